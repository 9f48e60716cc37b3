"""Track batches something else submitted: one by id, or every batch the account lists.

Every provider call, the list pages included, goes through the bounded backoff that honours
`retry-after` (a 429 storm on the list endpoint is waited out, within the policy's bounds).
A tracked batch is named from its metadata (console/engine/names.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from adapters.errors import AdapterError
from console.engine import inputs, names, retry
from console.engine.discover import Account, discover_account
from console.engine.submit import keep_known_total
from console.engine.types import BadInput, ProviderFailed, SyncReport, TrackResult

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from console.engine.service import Engine
    from store.model import RemoteBatch


def _upsert(engine: Engine, remote: RemoteBatch, profile: str | None, now: float) -> tuple[int, bool]:
    """Record a listed batch. One we already hold keeps the total we know: a provider reports
    `total: 0` while validating, and that must not erase what we sent (sync does the same)."""
    known = engine.store.get_batch(remote.provider_batch_id) if remote.provider_batch_id else None
    if known is not None and known.provider == remote.provider:
        keep_known_total(remote, known.counts.total)
    return engine.store.upsert_tracked(remote, profile=profile or "default", now=now)


async def track(engine: Engine, provider: str, provider_batch_id: str | None, *, all: bool,
                profile: str | None, input_path: str | Path | None = None) -> TrackResult:
    if not all and not provider_batch_id:
        raise BadInput("name a batch id to track, or pass --all")
    if all and input_path is not None:
        raise BadInput("--input FILE attaches one batch's original requests; name the batch instead of --all")
    adapter = engine.adapter(provider, profile)
    # Our own unconfirmed submissions must be matched first, or --all would import them
    # a second time as "tracked".
    await engine.reconcile_intents()
    created: list[int] = []
    existing: list[int] = []
    now = engine.clock()
    try:
        if all:
            account = Account(provider, profile or engine.profile or "default")
            listing = await discover_account(engine, account, policy=engine.retry, report=SyncReport(),
                                             whole=True)
            created, existing = listing.created, listing.existing
        else:
            wanted = provider_batch_id or ""  # given: checked above when not --all
            remote = await retry.call(lambda: adapter.retrieve(wanted),
                                      policy=engine.retry, sleep=engine.sleep)
            local, new = _upsert(engine, remote, profile, now)
            (created if new else existing).append(local)
            label = names.label_from_metadata(remote.metadata, names.label_keys(engine.config))
            if new and label:
                engine.store.set_batch_fields(local, label=label)
            if new:
                inputs.mark_tracked(engine, local, remote)
            batch = engine.store.get_batch(local)
            if batch is not None and input_path is not None:
                inputs.attach(engine, batch, input_path)
            elif batch is not None and batch.inputs == inputs.PENDING:
                try:
                    await inputs.read_inputs(engine, batch)  # items exist before any result
                except AdapterError:
                    pass  # tracked all the same; the next sync pass reads the input
    except AdapterError as exc:
        if exc.status == 404:
            raise BadInput(f"{provider} has no batch {provider_batch_id!r}") from None
        raise ProviderFailed(f"tracking failed: {exc.message}") from None
    engine.audit("track", provider_batch_id or f"{provider}:all",
                 {"provider": provider, "created": created, "existing": len(existing)})
    what = f"{len(created)} new" + (f", {len(existing)} already tracked" if existing else "")
    return TrackResult(created=created, existing=existing, summary=f"tracking {provider} batches: {what}")
