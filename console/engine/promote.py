"""Promote items to the realtime API: estimate per tier first, then send with bounded concurrency.

Money is spent once. Before any provider call the batch is refreshed from the provider (a batch
that ended is ingested, so its finished items are never offered), and the chosen items are
claimed in the store in one transaction: an item another promote or a resubmit holds, or one
already replaced, promoted or finished, is skipped and the result says how many and why.
Right before each purchase the item is checked again in the store (a sync may have ingested
its batch result meanwhile). Each answer is stored with the mark `promoted`, its costs and the
release of its claim in one transaction (store.answers), so the batch's counts move as the
promote runs and the item inspector can show the answer afterwards.

No provider can cancel one item of a batch, so a promoted item's batch copy keeps running
and is billed if it finishes: the store keeps that copy but does not count it as a second
output. When every pending item of the batch is being promoted, the batch itself can be
cancelled first (`cancel_batch`).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.errors import AdapterError
from console.engine import bodies as bodies_mod
from console.engine import cancel as cancel_mod
from console.engine import estimate, pricing, providers, retry, select, sync
from console.engine import requests as reqs
from console.engine.ceiling import REALTIME_TIERS, CeilingTally, token_ceiling
from console.engine.estimate import window_words
from console.engine.types import BadInput, EngineError, PromoteResult, PromotionEstimate, SyncReport, TierCost
from console.format.numbers import fmt_cost, fmt_int, fmt_money
from console.format.spend import CEILING_BASIS, ceiling_words
from console.format.wording import plural
from store.answers import RealtimeAnswer
from store.model import FAILED_ITEM_STATUSES, BatchStatus, ItemStatus, PriceTier

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from adapters.base import Capabilities
    from console.engine.service import Engine
    from store.model import Batch

PROMOTE_POLICY = retry.RetryPolicy(attempts=8, base=0.1, cap=10.0)

TIER_NOTES = {
    "batch": "leave it in the batch: {window} window, usually under an hour",
    "flex": "realtime at about the batch price; best-effort, slower, may be shed (429) under load",
    "standard": "realtime at list price",
    "priority": "realtime, fastest, at about twice the list price",
}

_PROMOTABLE = {ItemStatus.PENDING} | set(FAILED_ITEM_STATUSES)
_PROMOTABLE_VALUES = frozenset(s.value for s in _PROMOTABLE)

CLAIM_LEASE = 900.0
"""Seconds a promote's claim on its items lasts unless renewed; a running promote renews it
every third of that. A killed promote's claims lapse at once on this host (see store.claims)."""

EXPECTED_OUTPUT_TOKENS = estimate.EXPECTED_OUTPUT_TOKENS
"""Output tokens expected per item when the batch has no finished item to learn from yet
(never more than the item's max_tokens). UNCONFIRMED: a round guess for short answers. It is
never a ceiling: an item without max_tokens has none (console.engine.ceiling), and says so."""

SKIP_FINISHED_MEANWHILE = "finished in the batch while the promote ran"


class Slots:
    """At most `n` calls at once; a waiting retry is served before any first attempt.

    With a plain FIFO semaphore an item throttled at the start of a 1,000-item run would,
    after its retry-after, queue behind every item not yet sent: its retry would come at
    the end of the run, and a second 429 would add its whole wait on top of that.
    """

    def __init__(self, n: int) -> None:
        self.free = n
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    @contextlib.asynccontextmanager
    async def slot(self, *, first: bool) -> Any:
        await self._acquire(1 if first else 0)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, rank: int) -> None:
        if self.free > 0 and not self._waiting:
            self.free -= 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (rank, next(self._seq), fut))
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._release()  # handed a slot just as we were cancelled: pass it on
            else:
                fut.cancel()  # dropped from the heap lazily by _release
            raise

    def _release(self) -> None:
        while self._waiting:
            _, _, fut = heapq.heappop(self._waiting)
            if not fut.done():
                fut.set_result(None)  # the slot passes straight to the waiter
                return
        self.free += 1



def _selection(engine: Any, batch: Any, item_ids: Sequence[int] | None,
               custom_ids: Sequence[str] | None, *, strict: bool = True) -> list[Any]:
    """The items to promote (default: the batch's pending items). `strict` (the estimate): a
    named item that cannot be promoted is an error. The promote itself is not strict: an item
    finished or taken since the estimate is skipped by the claim, and the result says so."""
    named = select.chosen_items(engine, batch, item_ids=item_ids, custom_ids=custom_ids)
    if named is None:
        return select.all_with_status(engine, batch.id, ItemStatus.PENDING.value)
    if not strict:
        return named
    for item in named:
        status = ItemStatus(item.status)
        if status not in _PROMOTABLE or item.replaced_by is not None:
            raise BadInput(f"item {item.custom_id!r} is {status.value}; only pending or failed items "
                           "can be promoted")
    return named


def _default_tier(caps: Capabilities, tier: str | None) -> PriceTier:
    if tier is None:
        return PriceTier.STANDARD
    try:
        chosen = PriceTier(tier)
    except ValueError:
        raise BadInput(f"unknown tier {tier!r}; choose flex, standard or priority") from None
    if chosen not in caps.tiers:
        offered = ", ".join(t.value for t in caps.tiers)
        raise BadInput(f"tier {chosen.value} is not offered for this provider (offered: {offered})")
    return chosen


def _expected_output(engine: Engine, batch: Batch) -> int | None:
    """Mean output tokens of this batch's succeeded items (a better guess than max_tokens)."""
    rows = engine.store.page_items(batch.id, offset=0, limit=200, status=ItemStatus.SUCCEEDED.value)
    outs = [r.usage.output_tokens for r in rows if r.usage is not None]
    return round(sum(outs) / len(outs)) if outs else None


async def refresh(engine: Any, batch: Any) -> tuple[Any, str | None]:
    """The batch as the provider sees it now: polled, and ingested if it has ended (so its
    finished items are never offered). Returns (fresh batch, a note when the provider could
    not be asked)."""
    if batch.provider_batch_id is None or (BatchStatus(batch.status).is_terminal and batch.ingested_at):
        return batch, None
    report = SyncReport()
    try:
        await sync.sync_batch(engine, batch, report)
    except (AdapterError, EngineError) as exc:  # e.g. no credentials for this profile
        return batch, f"could not refresh batch #{batch.id} from the provider ({exc})"
    fresh = engine.store.get_batch(batch.id) or batch
    if batch.id in report.errors:
        return fresh, f"could not refresh batch #{batch.id} from the provider ({report.errors[batch.id]})"
    if batch.id in report.throttled:
        return fresh, f"the provider throttled the refresh of batch #{batch.id}; counts are from the last sync"
    return fresh, None


def _money(v: float | None) -> str:
    return fmt_cost(v, unknown="unpriced")


def estimate_promotion(engine: Any, batch: Any, *, item_ids: Sequence[int] | None,
                       custom_ids: Sequence[str] | None, tier: str | None,
                       input_path: str | Path | None, note: str | None = None) -> PromotionEstimate:
    """What promoting would cost: the expected cost (prompt tokens + the output this batch's
    finished items produced, or EXPECTED_OUTPUT_TOKENS) and the ceiling (console.engine.ceiling:
    the most it can bill; items without a bound counted and named), each named; what keeps
    running in the batch; whether cancelling the batch is offered."""
    caps = providers.capabilities(batch.provider)
    chosen = _default_tier(caps, tier)
    items = _selection(engine, batch, item_ids, custom_ids)
    bodies, missing = bodies_mod.local_bodies(engine, batch, items, input_path)
    needs_input = bool(missing) and (input_path is not None or not caps.supports_request_readback
                                     or not batch.input_file_id)
    learned = _expected_output(engine, batch)
    expected = pricing.TokenTally(engine.store, batch.provider)
    ceilings = CeilingTally(engine.store, batch.provider, embeddings=(batch.endpoint or "").endswith("/embeddings"))
    for item in items:
        body: Any = None
        text = bodies.get(item.custom_id)
        if text is not None:
            try:
                body = json.loads(text)
            except ValueError:
                body = None
        i_tok = pricing.estimate_tokens(reqs.prompt_chars(body)) if body is not None else 0
        cap = reqs.max_output_tokens(body) if body is not None else None
        guess = learned if learned is not None else EXPECTED_OUTPUT_TOKENS
        model = (body.get("model") if isinstance(body, dict) else None) or item.model or batch.model
        expected.add(model, i_tok, min(guess, cap) if cap is not None else guess)
        # The bound, or the reason there is none: never the guess above dressed up as one.
        bound, why = token_ceiling(body, embeddings=ceilings.embeddings,
                                   json_bytes=len(text.encode()) if text is not None else None)
        ceilings.add(model, bound, why)
    totals = {t: expected.total(t) for t in ("batch", "flex", "standard", "priority")}
    ceiling = ceilings.at(chosen)
    tier_ceilings: dict[str, float | None] = {t.value: ceilings.at(t).bounded_cost for t in caps.tiers
                                              if t.value in REALTIME_TIERS}
    costs = [TierCost("batch", totals["batch"], TIER_NOTES["batch"].format(window=window_words(caps)))]
    for t in (PriceTier.FLEX, PriceTier.STANDARD, PriceTier.PRIORITY):
        costs.append(TierCost(t.value, totals[t.value], TIER_NOTES[t.value], available=t in caps.tiers))
    pending_in_batch = engine.store.count_items(batch.id, status=ItemStatus.PENDING.value)
    promoting_pending = sum(1 for i in items if i.status == ItemStatus.PENDING.value)
    running = not BatchStatus(batch.status).is_terminal
    cancel_offered = running and pending_in_batch > 0 and promoting_pending == pending_in_batch \
        and bool(batch.provider_batch_id)
    basis = (f"{learned:,} output tokens per item, the mean of this batch's finished items" if learned is not None
             else f"{EXPECTED_OUTPUT_TOKENS:,} output tokens per item (no finished item to learn from yet)")
    if not items:
        summary = f"batch #{batch.id} has no pending items to promote"
    elif needs_input:
        summary = bodies_mod.needs_input_message(batch, missing)
    else:
        ceiling_text = ceiling_words(ceiling.bounded_cost, ceiling.unbounded, len(items), ceiling.reasons, "item")
        summary = (f"promote {plural(len(items), 'item')} of batch #{batch.id} to realtime at {chosen.value}: "
                   f"expected cost {_money(totals[chosen.value])} ({basis}); "
                   f"{ceiling_text}{'' if ceiling.unbounded else f' ({CEILING_BASIS})'}; "
                   f"vs {_money(totals['batch'])} expected if left in the batch")
        if running and promoting_pending:
            summary += (". The batch copies of these items keep running at the provider and are billed "
                        "too if they finish")
            if cancel_offered:
                summary += ("; every pending item of the batch is being promoted, so the batch can be "
                            "cancelled first (--cancel-batch)")
    if note:
        summary += f" ({note})"
    return PromotionEstimate(batch_id=batch.id, provider=batch.provider, model=batch.model,
                             items=len(items), missing_requests=missing, needs_input=needs_input,
                             input_tokens=expected.input_tokens, output_tokens=expected.output_tokens,
                             costs=costs, tier=chosen.value, summary=summary,
                             expected_cost=totals[chosen.value], expected_basis=basis,
                             ceiling_cost=ceiling.cost, ceiling_bounded_cost=ceiling.bounded_cost,
                             ceiling_unbounded=ceiling.unbounded, ceiling_reasons=ceiling.reasons,
                             tier_ceilings=tier_ceilings, ceiling_output_tokens=ceiling.output_tokens,
                             batch_copies_running=promoting_pending if running else 0,
                             cancel_offered=cancel_offered)


async def promote(engine: Engine, batch: Batch, *, item_ids: Sequence[int] | None,
                  custom_ids: Sequence[str] | None, tier: str | None,
                  input_path: str | Path | None, concurrency: int,
                  on_progress: Callable[[int, int], Any] | None,
                  cancel_batch: bool = False) -> PromoteResult:
    caps = providers.capabilities(batch.provider)
    chosen = _default_tier(caps, tier)
    batch, _ = await refresh(engine, batch)
    items = _selection(engine, batch, item_ids, custom_ids, strict=False)
    if not items:
        raise BadInput(f"batch #{batch.id} has no pending items to promote")
    from store.claims import new_owner

    owner = new_owner()
    now = engine.clock()
    claim = engine.store.claim_items([i.id for i in items], owner=owner, until=now + CLAIM_LEASE,
                                     now=now, statuses=_PROMOTABLE_VALUES)
    try:
        return await _promote_claimed(engine, batch, items, claim, owner, chosen,
                                      input_path=input_path, concurrency=concurrency,
                                      on_progress=on_progress, cancel_batch=cancel_batch)
    finally:
        engine.store.release_items(owner)


async def _promote_claimed(engine: Any, batch: Any, items: list[Any], claim: Any, owner: str,
                           chosen: PriceTier, *, input_path: str | Path | None, concurrency: int,
                           on_progress: Callable[[int, int], Any] | None,
                           cancel_batch: bool) -> PromoteResult:
    mine = set(claim.claimed)
    items = [i for i in items if i.id in mine]
    skipped = claim.skipped
    if not items:
        summary = f"nothing promoted in batch #{batch.id}: {claim.skipped_text()}"
        engine.audit("promote.refused", str(batch.id), {"reason": summary, "skipped": dict(skipped)})
        return PromoteResult(batch_id=batch.id, tier=chosen.value, promoted=0, failed={}, cost=0.0,
                             retries=0, seconds=0.0, summary=summary, skipped=dict(skipped))
    adapter = engine.adapter(batch.provider, batch.profile)
    bodies = await bodies_mod.all_bodies(engine, batch, items, input_path)
    cancelled = ""
    if cancel_batch:
        cancelled = await _cancel_batch_first(engine, batch, owner)
    endpoint = batch.endpoint or adapter.default_endpoint
    slots = Slots(max(1, concurrency))
    stats = retry.RetryStats()
    failed: dict[str, str] = {}
    promoted = 0
    total_cost: float | None = 0.0
    started = time.monotonic()
    renewed = started
    rows: dict[str | None, Any] = {}

    async def one(item: Any) -> None:
        nonlocal promoted, total_cost, renewed
        body = json.loads(bodies[item.custom_id])
        tries = 0

        async def attempt() -> Any:
            # The slot is held only during the call: a throttled item waits out its
            # retry-after without blocking the others, then goes ahead of items not yet
            # started (otherwise it would queue behind all of them once more).
            nonlocal tries
            tries += 1
            async with slots.slot(first=tries == 1):
                # Checked in the store right before buying: a sync may have stored this
                # item's batch result since it was claimed.
                if tries == 1 and not engine.store.still_claimed(item.id, owner, _PROMOTABLE_VALUES):
                    return None
                return await adapter.realtime(item.custom_id, body, endpoint=endpoint, tier=chosen)

        try:
            answer = await retry.call(attempt, policy=PROMOTE_POLICY, sleep=engine.sleep, stats=stats)
        except AdapterError as exc:
            failed[item.custom_id] = exc.message
            engine.store.release_items(owner, [item.id])
            return
        if answer is None:
            skipped[SKIP_FINISHED_MEANWHILE] += 1
            return
        result = answer.result
        if result.status is not ItemStatus.SUCCEEDED:
            failed[item.custom_id] = result.error_message or result.error_type or "error"
            engine.store.release_items(owner, [item.id])
            return
        model = result.model or body.get("model") or batch.model
        if model not in rows:
            rows[model] = pricing.price_row(engine.store, batch.provider, model)
        paid = pricing.cost(result.usage, rows[model], chosen)
        standard = pricing.cost(result.usage, rows[model], PriceTier.STANDARD)
        engine.store.record_promotion(
            item.id, result, promoted_cost=paid, realtime_cost=standard, tier=chosen, now=engine.clock(),
            answer=RealtimeAnswer(answer.raw, chosen.value, answer.tier))
        promoted += 1
        total_cost = None if (paid is None or total_cost is None) else total_cost + paid
        if time.monotonic() - renewed > CLAIM_LEASE / 3:
            renewed = time.monotonic()
            engine.store.renew_items(owner, engine.clock() + CLAIM_LEASE)
        if on_progress is not None:
            on_progress(promoted + len(failed), len(items))

    await asyncio.gather(*(one(i) for i in items))
    seconds = time.monotonic() - started
    engine.audit("promote", str(batch.id), {
        "tier": chosen.value, "items": len(items), "promoted": promoted, "failed": len(failed),
        "skipped": dict(skipped), "cost": total_cost, "retries": stats.retries,
        "throttled": stats.throttled, "cancel_batch": cancel_batch,
    })
    if failed:
        engine.audit("promote.failed", str(batch.id), {
            "items": len(failed), "errors": dict(list(failed.items())[:20])})
    money = fmt_money(total_cost) if total_cost is not None else "an unpriced amount"
    summary = (f"promoted {fmt_int(promoted)} of {plural(len(items), 'item')} of batch #{batch.id} "
               f"at {chosen.value} for {money}")
    if failed:
        summary += f"; {len(failed)} could not be sent and were left as they were"
    if skipped:
        summary += f"; {claim.skipped_text()}"
    summary += cancelled
    return PromoteResult(batch_id=batch.id, tier=chosen.value, promoted=promoted, failed=failed,
                         cost=total_cost, retries=stats.retries, seconds=seconds, summary=summary,
                         skipped=dict(skipped))


async def _cancel_batch_first(engine: Any, batch: Any, owner: str) -> str:
    """Cancel the batch whose every pending item this run holds (its copies would be billed
    too). A cancel the provider refuses leaves the promote going; the summary says so."""
    pending = engine.store.count_items(batch.id, status=ItemStatus.PENDING.value)
    held = engine.store.count_held(batch.id, owner, ItemStatus.PENDING.value)
    if pending != held:
        engine.audit("cancel.refused", str(batch.id), {"reason": "not every pending item is being promoted"})
        return f"; batch #{batch.id} was not cancelled: not every pending item is being promoted"
    try:
        done = await cancel_mod.cancel(engine, batch)
    except (BadInput, EngineError) as exc:
        return f"; batch #{batch.id} was not cancelled ({exc})"
    return f"; batch #{batch.id} cancelled first ({done.status}), so its copies are not billed"
