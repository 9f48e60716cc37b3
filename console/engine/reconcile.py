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
another process (the console syncing while the CLI submits), and the listing may lag.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from adapters.errors import AdapterError
from console.engine import providers, submit

WINDOW = 600.0
"""Seconds after an intent in which its Anthropic batch must have been created."""
SLACK = 120.0
"""Clock skew allowed between us and the provider."""


async def reconcile_intents(engine: Any) -> list[int]:
    intents = engine.store.pending_intents()
    if not intents:
        return []
    resolved: list[int] = []
    groups: dict[tuple[str, str | None], list[Any]] = defaultdict(list)
    for b in intents:
        groups[(b.provider, b.profile)].append(b)
    for (provider, profile), group in groups.items():
        try:
            resolved.extend(await _reconcile_group(engine, provider, profile, group))
        except AdapterError as exc:
            engine.audit("reconcile.error", provider, {"error": exc.message})
    return resolved


async def _reconcile_group(engine: Any, provider: str, profile: str | None, group: list[Any]) -> list[int]:
    caps = providers.capabilities(provider)
    adapter = engine.adapter(provider, profile)
    group.sort(key=lambda b: (b.created_at or 0, b.id))
    since = min((b.created_at or 0) for b in group) - SLACK
    remotes = [r async for r in adapter.list_batches(since=since)]
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
            candidates.sort(key=lambda r: r.created_at)
            match = candidates[0] if candidates else None
        if match is not None:
            claimed.add(match.provider_batch_id)
            submit.keep_known_total(match, intent.counts.total)
            engine.store.attach_remote(intent.id, match, now=now)
            engine.audit("submit.reconciled", str(intent.id), {
                "provider_batch_id": match.provider_batch_id, "reconciled_by": how,
            })
            resolved.append(intent.id)
            continue
        age = now - (intent.created_at or now)
        if age < engine.intent_grace:
            continue
        items = _items_with_bodies(engine.store, intent.id)
        remote = await submit.send(engine, intent.id, intent.submit_token, provider=provider,
                                   profile=profile, endpoint=intent.endpoint or adapter.default_endpoint,
                                   model=intent.model, job_id=intent.job_id, items=items)
        if remote is not None:
            engine.audit("submit.resent", str(intent.id), {
                "provider_batch_id": remote.provider_batch_id,
                "reason": f"no provider batch matched after {age:.0f} s",
            })
            resolved.append(intent.id)
    return resolved


def _items_with_bodies(store: Any, batch_id: int, page: int = 5000) -> list[tuple[str, str]]:
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
