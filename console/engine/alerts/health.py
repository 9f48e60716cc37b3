"""Filling the rules' snapshot from the store, and the heartbeat each sync pass leaves.

Provider reachability comes from the live fleet's per-account health (`sync_profiles`: each
pass's verdict on every account it called, with `failing_since`). The heartbeat is the later
of the sync lease's last pass and our own mark in `alert_sync_health`, written after every
pass: the lease row is deleted when its holder exits cleanly, and `sync --once` holds no lease,
yet a sync that stopped is exactly what the heartbeat rule must notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.engine.alerts.rules import FAILED_BATCH_WATCH_SECONDS, BatchView, ProviderHealth, Snapshot, SyncHealth
from console.engine.batch_facts import INPUTS_NOT_READ
from store import alerts as alert_store
from store.model import Batch

if TYPE_CHECKING:
    from store.store import Store


def record_pass(store: Store, *, now: float) -> None:
    """The heartbeat: a sync pass finished at `now`."""
    with store.transaction() as conn:
        alert_store.record_health(conn, alert_store.PASS_SCOPE, ok=True, now=now)


def sync_health(store: Store) -> SyncHealth:
    ours = next((r.last_ok_at for r in alert_store.health(store.conn) if r.scope == alert_store.PASS_SCOPE), None)
    lease = store.read_lease()
    passes = [t for t in (ours, lease.last_pass_at if lease is not None else None) if t is not None]
    providers = tuple(ProviderHealth(h.provider, h.profile, h.failing_since, h.last_success_at, h.last_error)
                      for h in store.profile_health())
    return SyncHealth(max(passes) if passes else None, providers)


def watched(batch: Batch, now: float) -> bool:
    """Batches a rule can hold for: not done yet, ended recently, or requests not read yet."""
    ended = batch.ended_at or batch.updated_at
    return (batch.ingested_at is None or ended is None or now - ended <= FAILED_BATCH_WATCH_SECONDS
            or batch.inputs == INPUTS_NOT_READ)


def snapshot(store: Store, now: float) -> Snapshot:
    failures = alert_store.failure_counts(store.conn)
    views = []
    for batch in store.list_batches():
        if not watched(batch, now):
            continue
        retryable, everything = failures.get(batch.id, (0, 0))
        views.append(BatchView(batch, retryable_failures=retryable, open_failures=everything))
    return Snapshot(now=now, batches=tuple(views), health=sync_health(store))
