"""Resolving intents left SUBMITTING by a crash (or an ambiguous provider failure).

For each pending intent, list the provider's batches created since shortly before it:

* Providers that keep metadata (OpenAI): the batch whose `metadata.batchdeck_token` equals the
  intent's token is ours — attach it. Exact.
* Anthropic (no metadata): candidates are batches not already known locally, created within
  `WINDOW` seconds after the intent was recorded, with the same request count. Intents and
  candidates are matched oldest-first; a match is recorded as `reconciled_by: window` in the
  audit log, and confirmed once results arrive: ingest checks that every result custom_id is
  one of the intent's items and flags the batch if not (see `ingest.py`).

An intent no provider batch matches is sent now, but only once it is older than
`engine.intent_grace` seconds: a younger one may belong to a submission still in flight in
another process (the console syncing while the CLI submits), and the listing may lag. An
intent whose stored items do not add up to its recorded total is never sent: it is marked
FAILED with the reason and a `submit.abandoned` audit event (see `abandon`).

Two syncing processes (a console plus a cron `sync`) must not both send one aged intent: each
aged intent is claimed in the store (one transaction, a lease of `submit.SEND_LEASE`) BEFORE the
provider is listed, and only the holder sends it. A submit (or resubmit) records its intents
already claimed (`submit.record(owner=...)`), so however long its upload takes, no sync sends
them meanwhile; a killed submit's claim lapses at once on this host. The listing is taken after the claim, so a
process that claims an intent another process sent meanwhile finds that batch and attaches it
instead of sending it again.

Every attach is written in the same transaction as the audit event that records it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from adapters.errors import AdapterError
from console.engine import providers, submit
from console.engine.discover import list_since
from store.claims import new_owner
from store.model import BatchStatus, ErrorClass, ItemResult, ItemStatus

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from console.engine.service import Engine
    from store.model import Batch
    from store.store import Store

WINDOW = 600.0
"""Seconds after an intent in which its Anthropic batch must have been created."""
SLACK = 120.0
"""Clock skew allowed between us and the provider."""


async def reconcile_intents(engine: Engine) -> list[int]:
    intents = engine.store.pending_intents()
    if not intents:
        return []
    resolved: list[int] = []
    groups: dict[tuple[str, str | None], list[Batch]] = defaultdict(list)
    for b in intents:
        groups[(b.provider, b.profile)].append(b)
    for (provider, profile), group in groups.items():
        try:
            resolved.extend(await _reconcile_group(engine, provider, profile, group))
        except AdapterError as exc:
            engine.audit("reconcile.error", provider, {"error": exc.message})
    return resolved


async def _reconcile_group(engine: Engine, provider: str, profile: str | None, group: list[Batch]) -> list[int]:
    caps = providers.capabilities(provider)
    adapter = engine.adapter(provider, profile)
    group.sort(key=lambda b: (b.created_at or 0, b.id))
    # Claim the aged intents before listing (see the module docstring): only these are sent.
    owner = new_owner()
    claim_now = engine.clock()
    sendable = {b.id for b in group
                if claim_now - (b.created_at or claim_now) >= engine.intent_grace
                and engine.store.claim_intent(b.id, owner=owner, until=claim_now + submit.SEND_LEASE, now=claim_now)}
    since = min((b.created_at or 0) for b in group) - SLACK
    # Paged and retried like every provider call (a 429 here used to fail the whole pass).
    remotes = await list_since(engine, adapter, since, policy=engine.poll_policy)
    by_token = {r.metadata.get("batchdeck_token"): r for r in remotes if r.metadata}
    claimed: set[str] = set()
    resolved: list[int] = []
    now = engine.clock()
    for intent in group:
        match = None
        how = "token"
        if caps.supports_metadata:
            match = by_token.get(intent.submit_token)
        else:
            how = "window"
            created = intent.created_at or now
            candidates = [
                r for r in remotes
                if r.provider_batch_id not in claimed
                and r.created_at is not None
                and created - SLACK <= r.created_at <= created + WINDOW
                and r.counts.total == intent.counts.total
                and engine.store.get_batch(r.provider_batch_id) is None
            ]
            candidates.sort(key=lambda r: r.created_at or 0.0)  # None filtered out above
            match = candidates[0] if candidates else None
        if match is not None:
            claimed.add(match.provider_batch_id)
            submit.keep_known_total(match, intent.counts.total)
            with engine.store.transaction():  # the batch and its audit record, or neither
                engine.store.attach_remote(intent.id, match, now=now)
                engine.audit("submit.reconciled", str(intent.id), {
                    "provider_batch_id": match.provider_batch_id, "reconciled_by": how,
                })
            resolved.append(intent.id)
            continue
        age = now - (intent.created_at or now)
        if intent.id not in sendable:
            continue  # young, or another process holds it (it sends it, or its lease lapses)
        if intent.submit_token is None:  # every intent is recorded with one; without it, never resend
            continue
        items = _items_with_bodies(engine.store, intent.id)
        if len(items) != intent.counts.total:
            # Never send a short (or empty) batch: the missing requests would be lost silently.
            abandon(engine, intent, len(items))
            continue
        remote = await submit.send(engine, intent.id, intent.submit_token, provider=provider,
                                   profile=profile, endpoint=intent.endpoint or adapter.default_endpoint,
                                   model=intent.model, job_id=intent.job_id, items=items,
                                   window=intent.completion_window,  # as `submit --window` asked
                                   event="submit.resent", owner=owner,
                                   details={"reason": f"no provider batch matched after {age:.0f} s"})
        if remote is not None:
            resolved.append(intent.id)
    return resolved


def abandon(engine: Engine, intent: Batch, found: int) -> None:
    """An intent whose stored requests do not add up to its recorded total (written by a
    process killed mid-record): mark it FAILED with the reason, settle what items it has as
    errored, and record `submit.abandoned` — all in one transaction. It is never sent."""
    now = engine.clock()
    message = (f"abandoned before sending: the intent recorded {intent.counts.total} requests but "
               f"only {found} were stored (the submitting process was interrupted); submit the "
               "file again")
    with engine.store.transaction():
        engine.store.set_batch_fields(intent.id, status=BatchStatus.FAILED.value, errors=message,
                                      ended_at=now, now=now)
        ids = submit.pending_custom_ids(engine.store, intent.id)
        if ids:
            engine.store.ingest_results(
                intent.id,
                (ItemResult(cid, ItemStatus.ERRORED, error_type="intent_incomplete",
                            error_message=message, error_class=ErrorClass.PERMANENT) for cid in ids),
                results_path=None, now=now,
            )
        engine.store.mark_ingested(intent.id, now=now)
        engine.audit("submit.abandoned", str(intent.id), {
            "reason": message, "recorded_requests": intent.counts.total, "stored_requests": found,
            "job_id": intent.job_id, "parent_id": intent.parent_id,
        })


def _items_with_bodies(store: Store, batch_id: int, page: int = 5000) -> list[tuple[str, str]]:
    """(custom_id, request JSON) of every item of a local batch, in order."""
    out: list[tuple[str, str]] = []
    offset = 0
    bulk = getattr(store, "item_requests", None)
    if callable(bulk):
        return list(bulk(batch_id))
    while True:
        rows = store.page_items(batch_id, offset=offset, limit=page)
        for row in rows:
            full = store.get_item(row.id)
            if full is not None and full.request is not None:
                out.append((full.custom_id, full.request))
        if len(rows) < page:
            return out
        offset += page
