"""Operator actions: estimate in a thread, confirm in a modal, run the engine, notify.

The console never calls a provider: every action goes through `console.engine.Engine`, the
same code path as the command line, which writes the audit event. Each action runs as an
async Textual worker on the UI loop that hands blocking work to threads: estimates (SQLite
reads) via `asyncio.to_thread`, engine coroutines on the app's EngineLoop thread (one loop,
so the engine's per-loop SDK clients are reused). So a 5,000-item promotion never freezes
the screen, and its progress shows in every screen's activity bar.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from rich.text import Text

from console.engine.providers import names as provider_names
from console.engine.types import BadInput
from console.format.numbers import fmt_int, fmt_money
from console.format.spend import add_reasons, bound_money, ceiling_words
from console.format.wording import plural
from console.tui.screens.confirm import ConfirmScreen
from console.tui.screens.forms import AttachScreen, ExportScreen, TrackScreen
from console.tui.screens.promote import PromoteScreen
from console.tui.widgets.activity import Job

_ids = itertools.count(1)


def _error_text(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(message)


class ActionRunner:
    """Owned by the app; screens call these with batch ids (and optionally item ids)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    # ---- plumbing -----------------------------------------------------------------------
    def _start(self, work: Callable[[], Coroutine[Any, Any, None]], description: str) -> None:
        self.app.run_worker(self._guard(work, description), group="action", exit_on_error=False,
                            description=description)

    async def _guard(self, work: Callable[[], Coroutine[Any, Any, None]], what: str) -> None:
        try:
            await work()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a notification
            self.app.notify(Text(_error_text(exc)), title=f"{what} failed", severity="error", timeout=12)
        finally:
            self.app.refresh_now()

    async def _engine_call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run one engine coroutine on the engine loop's thread (the UI loop stays free)."""
        return await self.app.engine_loop.run(coro)

    def _job(self, title: str, total: int = 0) -> Job:
        job = Job(next(_ids), title, 0, total)
        self.app.jobs[job.id] = job
        self.app.publish_jobs()
        return job

    async def _estimate(self, what: str, compute: Callable[[], Any]) -> Any:
        """Run an estimate in a thread, shown in the activity bar: it reads every chosen item,
        which takes seconds on a 50,000-item batch, and a silent wait looks like a dead key."""
        job = self._job(f"Estimating {what}")
        try:
            return await asyncio.to_thread(compute)
        finally:
            self._end(job)

    def _progress(self, job: Job) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:  # called from the engine's thread
            job.done, job.total = done, total
            self.app.call_from_thread(self.app.publish_jobs)

        return report

    def _end(self, job: Job) -> None:
        self.app.jobs.pop(job.id, None)
        self.app.publish_jobs()

    def _audit(self, action: str, targets: Sequence[int], details: dict[str, Any]) -> None:
        """An action attempted and not done (refused, declined) is an audit event too; written
        in a thread, off the UI loop."""
        engine = self.app.engine
        target = ",".join(map(str, targets)) or None
        self.app.run_worker(lambda: engine.audit(action, target, details), thread=True, group="audit",
                            exit_on_error=False)

    def _refuse(self, verb: str) -> bool:
        if self.app.read_only:  # a read-only console writes nothing, not even an audit event
            self.app.notify(f"Read-only mode: {verb} is refused (--read-only, or read_only = true in the config).",
                            severity="warning")
            return True
        return False

    # ---- resubmit -----------------------------------------------------------------------
    def resubmit(self, batch_ids: Sequence[int], item_ids: Any = None,
                 *, include_permanent: bool = False) -> None:
        if not self._refuse("resubmit") and batch_ids:
            self._start(lambda: self._resubmit(list(batch_ids), item_ids, include_permanent),
                        "Resubmit")

    async def _resubmit(self, batch_ids: list[int], item_ids: Sequence[int] | None,
                        include_permanent: bool) -> None:
        engine = self.app.engine
        if callable(item_ids):  # select-all-matching: collect ids off the UI thread
            item_ids = await asyncio.to_thread(item_ids)
        estimates = await self._estimate("resubmit", lambda: [
            engine.estimate_resubmit(b, item_ids=item_ids, include_permanent=include_permanent)
            for b in batch_ids])
        todo = [e for e in estimates if e.items]
        if not todo:
            skipped = sum(e.permanent for e in estimates) if not include_permanent else 0
            hint = f" ({plural(skipped, 'permanent failure')} need R to include them)" if skipped else ""
            self.app.notify(f"Nothing to resubmit: no failures not yet replaced{hint}.")
            return
        items = sum(e.items for e in todo)
        lines: list[str | Text] = [Text(e.summary) for e in todo]
        if not include_permanent and any(e.permanent for e in estimates):
            lines.append("Permanent failures are not included (the request must change first).")
        if any(e.needs_input for e in todo):
            lines.append("⚠ Some requests are not in the store: the engine will refuse without an input file.")
        ok = await self.app.push_screen_wait(ConfirmScreen(
            f"Resubmit {plural(items, 'failed item')} as a new batch",
            lines + ["A new batch is submitted and linked to its parent; the old items become 'resubmitted'."],
            cost=resubmit_cost(todo), confirm="Resubmit"))
        if not ok:
            self._audit("resubmit.declined", [e.batch_id for e in todo], {"items": items})
            self.app.notify("Resubmit cancelled: nothing was sent.")
            return
        job = self._job(f"Resubmit {plural(items, 'item')}")
        try:
            for est in todo:
                result = await self._engine_call(engine.resubmit(
                    est.batch_id, item_ids=item_ids, include_permanent=include_permanent))
                self.app.notify(Text(result.summary), title="Resubmitted")
        finally:
            self._end(job)

    # ---- promote ------------------------------------------------------------------------
    def promote(self, batch_ids: Sequence[int], item_ids: Any = None) -> None:
        if not self._refuse("promote") and batch_ids:
            self._start(lambda: self._promote(list(batch_ids), item_ids), "Promote")

    async def _promote(self, batch_ids: list[int], item_ids: Sequence[int] | None) -> None:
        engine = self.app.engine
        if callable(item_ids):
            item_ids = await asyncio.to_thread(item_ids)
        # Plan from the provider now, not from the last sync (the engine polls and ingests):
        # items the batch has already finished are never offered.
        refreshed = {b: await self._engine_call(engine.refresh_batch(b)) for b in batch_ids}
        estimates = await self._estimate(
            "promotion", lambda: [engine.estimate_promotion(b, item_ids, note=refreshed[b]) for b in batch_ids])
        todo = [e for e in estimates if e.items]
        if not todo:
            self.app.notify("Nothing to promote: no pending items here.")
            return
        items = sum(e.items for e in todo)
        tiers: dict[str, list[Any]] = {}
        for est in todo:
            for c in est.costs:
                slot = tiers.setdefault(c.tier, [0.0, c.note, True])
                slot[0] = None if slot[0] is None or c.cost is None else slot[0] + c.cost
                slot[2] = slot[2] and c.available
        costs = [(tier, v[0], v[1], v[2]) for tier, v in tiers.items()]
        where = f"batch #{todo[0].batch_id}" if len(todo) == 1 else f"{len(todo)} batches"
        notes: list[str] = []
        missing = sum(e.missing_requests for e in todo)
        if missing:
            verb = "has" if missing == 1 else "have"
            notes.append(f"⚠ {plural(missing, 'item')} {verb} no stored request and cannot be sent.")
        notes.extend(promote_notes(todo))
        notes.extend(f"⚠ {note}." for note in refreshed.values() if note)
        tier = await self.app.push_screen_wait(PromoteScreen(
            f"Promote {plural(items, 'item')} of {where} to realtime", items, costs,
            todo[0].tier, notes, tier_ceilings(todo)))
        if tier is None:
            self._audit("promote.declined", [e.batch_id for e in todo], {"items": items})
            self.app.notify("Promote cancelled: nothing was sent.")
            return
        job = self._job(f"Promote {plural(items, 'item')} at {tier}", items)
        try:
            for est in todo:
                result = await self._engine_call(engine.promote(
                    est.batch_id, item_ids, tier=tier, on_progress=self._progress(job)))
                severity = "warning" if result.failed else "information"
                self.app.notify(Text(result.summary), title="Promoted", severity=severity)
        finally:
            self._end(job)

    # ---- cancel -------------------------------------------------------------------------
    def cancel(self, batch_ids: Sequence[int]) -> None:
        if not self._refuse("cancel") and batch_ids:
            self._start(lambda: self._cancel(list(batch_ids)), "Cancel")

    async def _cancel(self, batch_ids: list[int]) -> None:
        engine = self.app.engine
        previews = await self._estimate("cancel", lambda: [engine.cancel_preview(b) for b in batch_ids])
        todo = [p for p in previews if p.cancellable]
        if not todo:
            self.app.notify("Nothing to cancel: these batches have already ended.")
            return
        pending = sum(p.pending_items for p in todo)
        ok = await self.app.push_screen_wait(ConfirmScreen(
            f"Cancel {plural(len(todo), 'batch', 'batches')}",
            [Text(p.summary) for p in todo]
            + [f"{plural(pending, 'pending item')} will not run; finished items keep their results."],
            cost="nothing more is spent; work already done is still billed",
            confirm="Cancel batch" if len(todo) == 1 else "Cancel batches", decline="Keep running",
            danger=True))
        if not ok:
            self._audit("cancel.declined", [p.batch_id for p in todo], {"pending_items": pending})
            self.app.notify("Cancel aborted: the batches keep running.")
            return
        job = self._job(f"Cancel {plural(len(todo), 'batch', 'batches')}")
        try:
            for p in todo:
                result = await self._engine_call(engine.cancel(p.batch_id))
                self.app.notify(Text(result.summary), title="Cancel requested")
        finally:
            self._end(job)

    # ---- track / export -------------------------------------------------------------------
    def track(self) -> None:
        self._start(self._track, "Track")

    async def _track(self) -> None:
        answer = await self.app.push_screen_wait(TrackScreen(provider_names()))
        if answer is None:
            return
        provider, batch_id = answer
        job = self._job(f"Track {provider} {batch_id}")
        try:
            result = await self._engine_call(self.app.engine.track(provider, batch_id))
            self.app.notify(Text(result.summary), title="Tracking")
        finally:
            self._end(job)

    def export(self, batch_id: int) -> None:
        self._start(lambda: self._export(batch_id), "Export")

    async def _export(self, batch_id: int) -> None:
        rows = await asyncio.to_thread(self.app.store.count_items, batch_id)
        answer = await self.app.push_screen_wait(
            ExportScreen(batch_id, rows, f"batch-{batch_id}-results.jsonl"))
        if answer is None:
            return
        path, fmt = answer
        job = self._job(f"Export #{batch_id} to {path}")

        def write() -> Any:
            with Path(path).expanduser().open("w", encoding="utf-8", newline="") as out:
                return self.app.engine.export(batch_id, out, format=fmt)

        try:
            result = await asyncio.to_thread(write)
            where = Path(path).expanduser().resolve()
            self.app.notify(Text(f"{result.summary} to {where}"), title="Exported")
        finally:
            self._end(job)

    # ---- attach a tracked batch's inputs ---------------------------------------------------
    def attach(self, batch_id: int) -> None:
        """Ask for the original input file of a batch whose provider cannot give its requests
        back, and attach it through the engine (as `batchdeck attach`). Spends nothing and
        calls no provider (a local file into the store), so read-only mode allows it, as the
        command line does."""
        self._start(lambda: self._attach(batch_id), "Attach inputs")

    async def _attach(self, batch_id: int) -> None:
        engine = self.app.engine
        batch = await asyncio.to_thread(engine.batch, batch_id)
        path, error = "", None
        while True:  # a file the engine refuses brings the form back with its one sentence
            answer = await self.app.push_screen_wait(AttachScreen(batch_id, str(batch.provider), path, error))
            if answer is None:
                return
            path = answer
            job = self._job(f"Attach inputs to #{batch_id}")
            try:
                count = await asyncio.to_thread(engine.attach_inputs, batch_id, Path(path).expanduser())
            except BadInput as exc:
                error = _error_text(exc)
                continue
            finally:
                self._end(job)
            where = Path(path).expanduser().resolve()
            self.app.notify(Text(f"Attached {plural(count, 'request')} to #{batch_id} from {where}."),
                            title="Inputs attached")
            return


def _total(values: Sequence[float | None]) -> float | None:
    """A sum of costs, or None (unpriced) when any is: never a partial sum shown as the whole."""
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def resubmit_cost(estimates: Sequence[Any]) -> str:
    """The resubmit dialog's cost, one sentence: both figures named, at batch prices; a model
    without a price makes the expected figure "unpriced", never a partial sum."""
    items = sum(e.items for e in estimates)
    reasons: dict[str, int] = {}
    for e in estimates:
        add_reasons(reasons, e.ceiling_reasons)
    ceiling = ceiling_words(_total([e.ceiling_bounded_cost for e in estimates]),
                            sum(e.ceiling_unbounded for e in estimates), items, reasons, "item", fmt=bound_money)
    expected = _total([e.cost.cost for e in estimates])
    return f"expected {'unpriced' if expected is None else fmt_money(expected)} at batch prices; {ceiling}"


def tier_ceilings(estimates: Sequence[Any]) -> dict[str, str]:
    """Each realtime tier's ceiling in words, for the tier choice: the bound of the whole
    promote, or "none" when some item has no bound (the notes say which and what the others'
    bound is); "unpriced" when a model has no price there (never $0)."""
    unbounded = sum(e.ceiling_unbounded for e in estimates)
    tiers = {t for e in estimates for t in e.tier_ceilings}
    return {t: "none" if unbounded else bound_money(_total([e.tier_ceilings.get(t) for e in estimates]))
            for t in tiers}


def promote_notes(estimates: Sequence[Any]) -> list[str]:
    """What the promote dialog says beside the tiers: the same facts as the command line
    (expected and ceiling, named, with their bases; the batch copies that keep running; the
    cancel offer), one line each at 80 columns where the facts allow."""
    tokens = (f"about {fmt_int(sum(e.input_tokens for e in estimates))} tokens in, "
              f"{fmt_int(sum(e.output_tokens for e in estimates))} out")
    bases = {e.expected_basis for e in estimates}
    basis = bases.pop() if len(bases) == 1 else "each batch's own output per item"
    notes = [f"Expected: {tokens}; {basis}."]
    items = sum(e.items for e in estimates)
    unbounded = sum(e.ceiling_unbounded for e in estimates)
    if not unbounded:
        notes.append("Ceiling: the most it can bill (every output limit used in full).")
    else:
        reasons: dict[str, int] = {}
        for e in estimates:
            add_reasons(reasons, e.ceiling_reasons)
        words = ceiling_words(None, unbounded, items, reasons, "item").removeprefix("ceiling: ")
        if unbounded < items:
            bounded = ", ".join(f"{t} {bound_money(_total([e.tier_ceilings.get(t) for e in estimates]))}"
                                for t in ("flex", "standard", "priority")
                                if all(t in e.tier_ceilings for e in estimates))
            words = words.split(";")[0] + f"; the other {fmt_int(items - unbounded)}: {bounded}"
        notes.append(f"Ceiling: {words}.")
    running = sum(e.batch_copies_running for e in estimates)
    if running:
        notes.append(f"Batch copies of {plural(running, 'item')} keep running; billed too if they finish.")
    offered = [e.batch_id for e in estimates if e.cancel_offered]
    if offered:
        notes.append(f"All pending items go: cancel batch {', '.join(f'#{i}' for i in offered)} first "
                     "(c, or --cancel-batch).")
    return notes
