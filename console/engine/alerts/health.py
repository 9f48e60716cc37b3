"""Filling the rules' snapshot from the store, and recording what each sync pass saw.

The sync heartbeat and provider reachability live in `alert_sync_health` (store/alerts.py),
written here after every pass from its SyncReport: a provider account counts as unreachable in
a pass when every poll of it failed (throttled past the retry budget, or refused). When the
live-fleet work's heartbeat table lands, `sync_health` is the one place to read it instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.engine.alerts.rules import FAILED_BATCH_WATCH_SECONDS, BatchView, ProviderHealth, Snapshot, SyncHealth
from console.engine.types import SyncReport
from store import alerts as alert_store
from store.model import Batch

if TYPE_CHECKING:
    from store.store import Store


def scope_of(provider: str, profile: str) -> str:
    return f"{provider}/{profile}"


def record_pass(store: Store, report: SyncReport, *, now: float) -> None:
    """The heartbeat, and each provider account's reachability as this pass found it."""
    started = now - report.seconds
    failed: dict[str, str] = {}
    reached: set[str] = set()
    troubled = {bid: "throttled (429/5xx) past the retry budget" for bid in report.throttled}
    troubled.update({bid: msg for bid, msg in report.errors.items() if bid})
    for batch_id, message in troubled.items():
        batch = store.get_batch(batch_id)
        if batch is not None:
            failed[scope_of(batch.provider, batch.profile)] = message[:300]
    for batch in store.batches_to_sync() if failed else ():
        # Any batch of the account polled in this pass means the provider answered.
        if batch.updated_at is not None and batch.updated_at >= started:
            reached.add(scope_of(batch.provider, batch.profile))
    with store.transaction() as conn:
        alert_store.record_health(conn, alert_store.PASS_SCOPE, ok=True, now=now)
        known = {h.scope for h in alert_store.health(conn)}
        for scope in known | set(failed):
            if scope == alert_store.PASS_SCOPE:
                continue
            if scope in failed and scope not in reached:
                alert_store.record_health(conn, scope, ok=False, now=now, error=failed[scope])
            else:
                alert_store.record_health(conn, scope, ok=True, now=now)


def sync_health(store: Store) -> SyncHealth:
    rows = alert_store.health(store.conn)
    last_pass = next((r.last_ok_at for r in rows if r.scope == alert_store.PASS_SCOPE), None)
    providers = []
    for r in rows:
        if r.scope == alert_store.PASS_SCOPE:
            continue
        provider, _, profile = r.scope.partition("/")
        providers.append(ProviderHealth(provider, profile, r.failing_since, r.last_ok_at, r.last_error))
    return SyncHealth(last_pass, tuple(providers))


def watched(batch: Batch, now: float) -> bool:
    """Batches a rule can hold for: not done yet, or ended recently."""
    ended = batch.ended_at or batch.updated_at
    return batch.ingested_at is None or ended is None or now - ended <= FAILED_BATCH_WATCH_SECONDS


def snapshot(store: Store, now: float) -> Snapshot:
    failures = alert_store.failure_counts(store.conn)
    views = []
    for batch in store.list_batches():
        if not watched(batch, now):
            continue
        retryable, everything = failures.get(batch.id, (0, 0))
        views.append(BatchView(batch, retryable_failures=retryable, open_failures=everything))
    return Snapshot(now=now, batches=tuple(views), health=sync_health(store))
