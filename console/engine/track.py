"""Track batches something else submitted: one by id, or every batch the account lists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.errors import AdapterError
from console.engine import retry
from console.engine.submit import keep_known_total
from console.engine.types import BadInput, ProviderFailed, TrackResult

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
                profile: str | None) -> TrackResult:
    if not all and not provider_batch_id:
        raise BadInput("name a batch id to track, or pass --all")
    adapter = engine.adapter(provider, profile)
    # Our own unconfirmed submissions must be matched first, or --all would import them
    # a second time as "tracked".
    await engine.reconcile_intents()
    created: list[int] = []
    existing: list[int] = []
    now = engine.clock()
    try:
        if all:
            async for remote in adapter.list_batches():
                local, new = _upsert(engine, remote, profile, now)
                (created if new else existing).append(local)
        else:
            wanted = provider_batch_id or ""  # given: checked above when not --all
            remote = await retry.call(lambda: adapter.retrieve(wanted),
                                      policy=engine.retry, sleep=engine.sleep)
            local, new = _upsert(engine, remote, profile, now)
            (created if new else existing).append(local)
    except AdapterError as exc:
        if exc.status == 404:
            raise BadInput(f"{provider} has no batch {provider_batch_id!r}") from None
        raise ProviderFailed(f"tracking failed: {exc.message}") from None
    engine.audit("track", provider_batch_id or f"{provider}:all",
                 {"provider": provider, "created": created, "existing": len(existing)})
    what = f"{len(created)} new" + (f", {len(existing)} already tracked" if existing else "")
    return TrackResult(created=created, existing=existing, summary=f"tracking {provider} batches: {what}")
