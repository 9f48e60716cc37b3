"""Submitting batches exactly once.

For a job (one file, maybe split into several batches):
  1. every batch's `store.record_intent` (status SUBMITTING, a fresh token) with its items,
     committed in ONE transaction before the first provider call: a submit stopped between
     the batches of a split job leaves the rest as intents, which `sync` sends once (after the
     grace period, under its send claim), and `ls`/`show` flag the job as partly sent;
then for each batch in turn:
  2. the provider call, tagged with the token in `metadata` where the provider keeps it;
  3. `store.attach_remote` once the provider answered, with its audit event (one transaction).
A crash between 2 and 3 leaves the intent SUBMITTING; `reconcile.reconcile_intents` finds the
provider batch by token (or, for Anthropic, by time window and request count) and attaches it,
so the work is never sent twice and never lost. Only a 429 is retried here (the provider did
not accept); an ambiguous failure (timeout, 5xx, broken connection) leaves the intent for
reconciliation instead of risking a duplicate.

The private copy of the file (`.submit-*.jsonl` beside the store, see `submit_file`) is needed
only until the intents and their items are recorded: every send and re-send reads the store.
It is deleted right then, and its submit holds an exclusive lock on it while it lives; a copy
left by a killed submit (no lock, untouched for STALE_COPY_SECONDS) is swept by the next
submit or sync (`sweep_copies`).

Test hooks: `BATCHDECK_CRASH_AT=after_provider_accept` exits the process (status 75) right
after the provider accepted a batch and before it is recorded; `before_provider_call` exits
after the intent is recorded and before the provider is called.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.base import BatchRequest
from adapters.errors import AdapterError, RateLimited
from console.engine import pricing, providers, retry
from console.engine import requests as reqs
from console.engine.estimate import EXPECTED_BASIS, ceiling_tally, token_tally
from console.engine.types import BadInput, ProviderFailed, SubmitPreview, SubmitResult
from console.format.spend import CEILING_BASIS, ceiling_words, money
from console.format.wording import plural
from store.claims import new_owner
from store.model import BatchStatus, ErrorClass, ItemResult, ItemStatus, PriceTier, RemoteBatch, RequestCounts

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from console.engine.service import Engine
    from store.store import Store

CRASH_ENV = "BATCHDECK_CRASH_AT"
COPY_GLOB = ".submit-*.jsonl"
STALE_COPY_SECONDS = 15 * 60.0
"""A copy nobody holds a lock on and nobody wrote for this long was left by a killed submit.
(A live submit writes its copy while validating, then holds the lock: both keep it safe.)"""


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os._exit(75)


def new_token() -> str:
    return uuid.uuid4().hex


def metadata_for(token: str, batch_id: int, job_id: str | None) -> dict[str, str]:
    meta = {"batchdeck_token": token, "batchdeck_batch": str(batch_id)}
    if job_id:
        meta["batchdeck_job"] = job_id
    return meta


SEND_LEASE = 300.0
"""Seconds a process's claim to send an intent lasts (it lapses at once if that process dies on
this host). Longer than any one create call with its retries; renewed before each send."""


def claim_send(engine: Engine, batch_id: int, owner: str) -> bool:
    """Take (or renew) this run's claim to send intent `batch_id`; False when another live
    process holds it (it sends the intent, or attaches what it finds)."""
    now = engine.clock()
    return engine.store.claim_intent(batch_id, owner=owner, until=now + SEND_LEASE, now=now)


def record(
    engine: Engine,
    *,
    provider: str,
    profile: str | None,
    endpoint: str,
    model: str | None,
    label: str | None,
    deadline: float | None,
    job_id: str | None,
    parent_id: int | None,
    items: list[tuple[str, str]],
    replaces: list[int] | None = None,
    window: str | None = None,
    owner: str | None = None,
) -> tuple[int, str]:
    """Step 1: record the intent and its items in ONE transaction; returns (local id, token).

    A kill can never leave an intent without (some of) its items, which a later reconcile
    would send as a short or empty batch. `replaces` (resubmit) are the old items' ids: they
    are linked to the new items in the same transaction, so a kill cannot leave a recorded
    resubmission whose old items still look unreplaced (and get resubmitted again). `window`
    (`submit --window`) is kept on the intent: a send after a crash asks for the same window.
    `owner` (a `store.claims.new_owner`): the intent is recorded already claimed for sending by
    this run, so a sync in another process (a console, a cron `sync`) never sends it while this
    run is still uploading, however long that takes past `engine.intent_grace`.
    """
    token = new_token()
    with engine.store.transaction():
        batch_id = _record(engine, token, provider=provider, profile=profile, endpoint=endpoint,
                           model=model, label=label, deadline=deadline, job_id=job_id,
                           parent_id=parent_id, items=items, window=window)
        if replaces:
            engine.store.link_resubmission(replaces, batch_id, now=engine.clock())
        if owner is not None:
            claim_send(engine, batch_id, owner)  # a brand-new intent: nobody else can hold it
    return batch_id, token


def _record(engine: Engine, token: str, *, provider: str, profile: str | None, endpoint: str,
            model: str | None, label: str | None, deadline: float | None, job_id: str | None,
            parent_id: int | None, items: list[tuple[str, str]], window: str | None = None) -> int:
    batch_id = engine.store.record_intent(
        provider=provider,
        profile=profile or "default",
        endpoint=endpoint,
        model=model,
        label=label,
        deadline=deadline,
        job_id=job_id,
        parent_id=parent_id,
        submitted_by=engine.actor,
        submit_token=token,
        request_count=len(items),
        now=engine.clock(),
        window=window,
    )
    engine.store.add_items(batch_id, items, model=model)
    return batch_id


async def send(engine: Engine, batch_id: int, token: str, *, provider: str, profile: str | None,
               endpoint: str, model: str | None, job_id: str | None,
               items: Iterable[tuple[str, str]], event: str | None = None,
               details: dict[str, Any] | None = None, window: str | None = None,
               owner: str | None = None) -> Any:
    """Steps 2 and 3: call the provider and attach its batch. Returns the RemoteBatch, or
    None when the outcome is ambiguous (left SUBMITTING for reconciliation).

    `event` (with `details`): the audit event recording the accepted batch, appended in the
    same transaction as `attach_remote` (with `provider_batch_id` added), so a kill can never
    leave a batch that reached the provider without its audit record.

    `owner`: the claim this run took on the intent; it is renewed here, and if another process
    took the intent meanwhile (this run's lease lapsed), nothing is sent: that process sends or
    attaches it, and this run reports it as awaiting confirmation."""
    if owner is not None and not claim_send(engine, batch_id, owner):
        engine.audit("submit.skipped", str(batch_id), {"reason": "another process holds this intent's send claim"})
        return None
    _crash_point("before_provider_call")
    adapter = engine.adapter(provider, profile)
    batch_requests = [BatchRequest(cid, json.loads(body) if isinstance(body, str) else body)
                      for cid, body in items]
    meta = metadata_for(token, batch_id, job_id)

    async def create() -> Any:
        try:
            return await adapter.create_batch(batch_requests, endpoint=endpoint, model=model, metadata=meta,
                                              window=window)
        except RateLimited:
            raise
        except AdapterError as exc:
            # Not a 429: the provider may or may not have accepted. Never retry blindly.
            exc.retryable = False
            raise

    try:
        remote = await retry.call(create, policy=engine.retry, sleep=engine.sleep)
    except AdapterError as exc:
        if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (408, 409, 429):
            reject(engine, batch_id, f"the provider refused this batch: {exc.message}")
            raise ProviderFailed(f"{provider} refused batch {batch_id}: {exc.message}") from None
        engine.audit("submit.pending", str(batch_id), {"reason": exc.message, "status": exc.status})
        return None
    _crash_point("after_provider_accept")
    keep_known_total(remote, len(batch_requests))
    with engine.store.transaction():
        engine.store.attach_remote(batch_id, remote, now=engine.clock())
        if event is not None:
            engine.audit(event, str(batch_id), {**(details or {}),
                                                "provider_batch_id": remote.provider_batch_id})
    return remote


def keep_known_total(remote: RemoteBatch, known_total: int) -> None:
    """OpenAI reports `total: 0` while validating; we know how many we sent."""
    if remote.counts.total == 0 and known_total and not remote.status.is_terminal:
        remote.counts = RequestCounts(total=known_total, processing=known_total)


def reject(engine: Engine, batch_id: int, message: str) -> None:
    """The provider refused an intent outright: the batch is FAILED and its items errored,
    with its audit event, in one transaction."""
    now = engine.clock()
    with engine.store.transaction():
        engine.store.set_batch_fields(batch_id, status=BatchStatus.FAILED.value, errors=message, ended_at=now)
        ids = pending_custom_ids(engine.store, batch_id)
        engine.store.ingest_results(
            batch_id,
            (ItemResult(cid, ItemStatus.ERRORED, error_type="batch_rejected", error_message=message,
                        error_class=ErrorClass.PERMANENT) for cid in ids),
            results_path=None,
            now=now,
        )
        engine.store.mark_ingested(batch_id, now=now)
        engine.audit("submit.rejected", str(batch_id), {"reason": message})


def pending_custom_ids(store: Store, batch_id: int, page: int = 5000) -> list[str]:
    out: list[str] = []
    offset = 0
    while True:
        rows = store.page_items(batch_id, offset=offset, limit=page, status=ItemStatus.PENDING.value)
        out.extend(r.custom_id for r in rows)
        if len(rows) < page:
            return out
        offset += page


async def submit_file(engine: Engine, path: Path, *, provider: str, model: str | None,
                      deadline: float | None, label: str | None, endpoint: str | None,
                      profile: str | None,
                      approve: Callable[[SubmitPreview], bool] | None = None,
                      window: str | None = None) -> SubmitResult:
    """Validate, split and submit `path` (see module docstring). `approve` is shown what
    would be sent and what it would cost, once the file is validated and before anything is
    recorded; nothing is sent when it says no."""
    cls = providers.spec(provider)
    # What is sent is read from a private copy of the bytes validated: a file edited or cut
    # while its batches go out cannot make a later batch differ from what was approved.
    scanned = reqs.scan(path, cls, model=model, endpoint=endpoint, copy_into=engine.store.path.parent)
    try:
        with holding(scanned.copy):
            return await _submit_scanned(engine, path, scanned, cls, provider=provider, model=model,
                                         deadline=deadline, label=label, endpoint=endpoint,
                                         profile=profile, approve=approve, window=window)
    finally:
        scanned.discard()


@contextlib.contextmanager
def holding(copy: Path | None) -> Iterator[None]:
    """Hold an exclusive lock on this submit's private copy while it runs. The kernel drops
    the lock when the process dies, however it dies (SIGKILL included): that is how
    `sweep_copies` tells a leftover from a copy in use."""
    if copy is None:
        yield
        return
    fd = os.open(copy, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def sweep_copies(directory: Path, *, now: float | None = None) -> int:
    """Delete the private copies killed submits left in `directory` (the store's); how many.

    A copy is left alone while its submit holds its lock, and while it was written less than
    STALE_COPY_SECONDS ago (it may be a submit still validating, before it takes the lock)."""
    now = time.time() if now is None else now
    removed = 0
    for path in directory.glob(COPY_GLOB):
        try:
            if path.stat().st_mtime > now - STALE_COPY_SECONDS:
                continue
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue  # gone meanwhile, or not ours to read
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # a live submit holds it
            continue
        try:
            path.unlink(missing_ok=True)
            removed += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


async def _submit_scanned(engine: Any, path: Path, scanned: reqs.ScannedFile, cls: Any, *,
                          provider: str, model: str | None, deadline: float | None,
                          label: str | None, endpoint: str | None, profile: str | None,
                          approve: Callable[[SubmitPreview], bool] | None,
                          window: str | None = None) -> SubmitResult:
    # Credentials first: an intent recorded for a provider we cannot even call would be sent
    # later by a sync the operator never asked for.
    # The adapter's capabilities are its profile's (an OpenAI-compatible host sets its own).
    caps = engine.adapter(provider, profile).capabilities
    if window is not None and window not in caps.windows:
        raise BadInput(f"{cls.display_name} takes completion window {', '.join(caps.windows)}, not {window!r}")
    chunks = reqs.plan(scanned.lines, caps)
    preview = _preview(engine, path, provider, model, scanned.lines, len(chunks))
    if approve is not None and not approve(preview):
        engine.audit("submit.declined", str(path), {"provider": provider, "requests": len(scanned.lines),
                                                    "estimated_cost": preview.cost})
        return SubmitResult(job_id="", batch_ids=[], provider_batch_ids=[], requests=0, provider=provider,
                            summary="nothing submitted", unpriced_models=preview.unpriced_models)
    await engine.reconcile_intents()
    job_id = uuid.uuid4().hex[:12]
    batch_ids: list[int] = []
    provider_ids: list[str | None] = []
    engine.audit("submit.start", str(path), {"provider": provider, "job_id": job_id,
                                             "requests": len(scanned.lines), "batches": len(chunks),
                                             "estimated_cost": preview.cost, "ceiling_cost": preview.ceiling_cost,
                                             "ceiling_unbounded": preview.ceiling_unbounded})
    planned: list[tuple[int, str, str, str | None]] = []
    owner = new_owner()  # this run's claim on its intents: no other process sends them meanwhile
    # Every batch of the job, with its items, before the first provider call (one transaction).
    with engine.store.transaction():
        for chunk in chunks:
            items = [(cid, json.dumps(body, separators=(",", ":"), ensure_ascii=False))
                     for cid, body in reqs.load(scanned.source, chunk, cls, model=model, endpoint=endpoint)]
            ep = chunk[0].endpoint
            chunk_model = model or chunk[0].model
            batch_id, token = record(engine, provider=provider, profile=profile, endpoint=ep,
                                     model=chunk_model, label=label, deadline=deadline, job_id=job_id,
                                     parent_id=None, items=items, window=window, owner=owner)
            planned.append((batch_id, token, ep, chunk_model))
            batch_ids.append(batch_id)
    # Recorded: every send (and a re-send after a crash) reads the store from here on.
    scanned.discard()
    for n, (batch_id, token, ep, chunk_model) in enumerate(planned):
        for later in planned[n + 1:]:  # the job's later batches wait their turn under our claim
            claim_send(engine, later[0], owner)
        items = engine.store.item_requests(batch_id)  # what was recorded is what is sent
        details = {"provider": provider, "job_id": job_id, "requests": len(items),
                   "label": label, "deadline": deadline, "file": str(path)}
        remote = await send(engine, batch_id, token, provider=provider, profile=profile,
                            endpoint=ep, model=chunk_model, job_id=job_id, items=items,
                            event="submit", details=details, window=window, owner=owner)
        provider_ids.append(remote.provider_batch_id if remote else None)
        if remote is None:
            # Nothing attached: the intent (recorded above) waits for reconciliation.
            engine.audit("submit", str(batch_id), {**details, "provider_batch_id": None})
    pending = sum(1 for p in provider_ids if p is None)
    summary = (f"submitted {len(scanned.lines)} requests to {provider} as {len(batch_ids)} "
               f"batch{'es' if len(batch_ids) != 1 else ''} (job {job_id})")
    if pending:
        summary += f"; {pending} awaiting provider confirmation (resolved by the next sync)"
    if preview.unpriced_models:
        summary += f"; {pricing.unpriced_note(provider, preview.unpriced_models)}"
    return SubmitResult(job_id=job_id, batch_ids=batch_ids, provider_batch_ids=provider_ids,
                        requests=len(scanned.lines), provider=provider, summary=summary,
                        unpriced_models=preview.unpriced_models)


def _preview(engine: Engine, path: Path, provider: str, model: str | None, lines: list[reqs.LineInfo],
             batches: int) -> SubmitPreview:
    """What the submit will cost at batch prices, both figures named: expected (the estimate,
    with its basis) and the ceiling (the most it can bill; requests without a bound said so)."""
    tally = token_tally(engine, provider, model, lines)
    cost, unpriced = tally.total(PriceTier.BATCH), tally.unpriced_models()
    ceiling = ceiling_tally(engine, provider, model, lines).at(PriceTier.BATCH)
    summary = (f"submit {plural(len(lines), 'request')} to {provider} as "
               f"{plural(batches, 'batch', 'batches')} at batch prices: expected {money(cost)} ({EXPECTED_BASIS}); "
               f"{ceiling_words(ceiling.bounded_cost, ceiling.unbounded, len(lines), ceiling.reasons)}")
    if not ceiling.unbounded:
        summary += f" ({CEILING_BASIS})"
    if unpriced:
        summary += f" ({pricing.unpriced_note(provider, unpriced)})"
    return SubmitPreview(path=str(path), provider=provider, requests=len(lines), batches=batches,
                         cost=cost, unpriced_models=unpriced, summary=summary, expected_basis=EXPECTED_BASIS,
                         ceiling_cost=ceiling.cost, ceiling_bounded_cost=ceiling.bounded_cost,
                         ceiling_unbounded=ceiling.unbounded, ceiling_reasons=ceiling.reasons)
