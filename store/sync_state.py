"""The sync lease, the heartbeat and each account's health: who syncs this store, and how well.

One process at a time syncs a store (a console, or `batchdeck sync` run as a service). It holds
the single row of `sync_lease` and renews it every pass; every other process reads that row to
stand by, and to say how fresh its data is. `sync_profiles` keeps, per (provider, profile), the
last success and the last error of a sync pass's provider calls, and discovery's high-water mark.

All times are passed in (`now`), never read here: the engine's clock decides, so tests can move
it. Every write is one short IMMEDIATE transaction, so two processes racing for the lease
serialize on SQLite's write lock and exactly one wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from store.db import ThreadConnections
from store.model import ProfileHealth, SyncLease

_LEASE_COLUMNS = ("holder", "who", "host", "pid", "acquired_at", "heartbeat_at", "expires_at", "last_pass_at")
_HEALTH_COLUMNS = ("provider", "profile", "last_success_at", "last_error_at", "last_error", "failing_since",
                   "listed_until", "listed_first_id", "listed_at")
MAX_ERROR_CHARS = 300
"""Longest error text kept per account (provider messages can be long)."""


def read_lease(db: ThreadConnections) -> SyncLease | None:
    """The current lease row (possibly expired), or None if no process ever synced."""
    row = db.get().execute(f"SELECT {', '.join(_LEASE_COLUMNS)} FROM sync_lease WHERE id = 1").fetchone()
    return SyncLease(*row) if row else None


def take_lease(db: ThreadConnections, *, holder: str, who: str, host: str, pid: int, now: float,
               ttl: float, holder_dead: Callable[[SyncLease], bool] | None = None) -> SyncLease:
    """Take or renew the lease for `holder`, unless another live holder has it.

    The lease is free when nobody holds it, when its `expires_at` has passed, or when
    `holder_dead(lease)` says its process is gone (same host, pid not running). Returns the
    lease as it stands afterwards: compare `.holder` with yours to know whether you sync.
    """
    with db.transaction() as conn:
        row = conn.execute(f"SELECT {', '.join(_LEASE_COLUMNS)} FROM sync_lease WHERE id = 1").fetchone()
        current = SyncLease(*row) if row else None
        if current is not None and current.holder != holder and current.expires_at > now and not (
                holder_dead is not None and holder_dead(current)):
            return current
        if current is not None and current.holder == holder:
            conn.execute("UPDATE sync_lease SET heartbeat_at = ?, expires_at = ? WHERE id = 1", (now, now + ttl))
            acquired, last_pass = current.acquired_at, current.last_pass_at
        else:
            conn.execute(
                "INSERT OR REPLACE INTO sync_lease (id, holder, who, host, pid, acquired_at, heartbeat_at, "
                "expires_at, last_pass_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (holder, who, host, pid, now, now, now + ttl),
            )
            acquired, last_pass = now, None
        return SyncLease(holder, who, host, pid, acquired, now, now + ttl, last_pass)


def record_pass(db: ThreadConnections, *, holder: str, now: float) -> None:
    """Note that `holder` finished a sync pass at `now` (no-op if it lost the lease)."""
    with db.transaction() as conn:
        conn.execute("UPDATE sync_lease SET last_pass_at = ? WHERE id = 1 AND holder = ?", (now, holder))


def release_lease(db: ThreadConnections, *, holder: str) -> None:
    """Give the lease up (on a clean exit), so another process takes over at once."""
    with db.transaction() as conn:
        conn.execute("DELETE FROM sync_lease WHERE id = 1 AND holder = ?", (holder,))


def profile_health(db: ThreadConnections) -> list[ProfileHealth]:
    """Every account a sync pass has called, sorted by provider then profile."""
    rows = db.get().execute(
        f"SELECT {', '.join(_HEALTH_COLUMNS)} FROM sync_profiles ORDER BY provider, profile").fetchall()
    return [ProfileHealth(*row) for row in rows]


def record_profile_calls(db: ThreadConnections, provider: str, profile: str, *, now: float,
                         ok: bool, error: str | None = None) -> None:
    """One pass's verdict on an account: any call answered (`ok`), and the last error, if any.

    A pass with an error and no success starts (or continues) `failing_since`; a success ends it.
    """
    text = None if error is None else error[:MAX_ERROR_CHARS]
    with db.transaction() as conn:
        conn.execute("INSERT OR IGNORE INTO sync_profiles (provider, profile) VALUES (?, ?)", (provider, profile))
        if ok:
            conn.execute("UPDATE sync_profiles SET last_success_at = ?, failing_since = NULL "
                         "WHERE provider = ? AND profile = ?", (now, provider, profile))
        if text is not None:
            conn.execute(
                "UPDATE sync_profiles SET last_error_at = ?, last_error = ?, "
                "failing_since = CASE WHEN ? THEN NULL ELSE coalesce(failing_since, ?) END "
                "WHERE provider = ? AND profile = ?", (now, text, ok, now, provider, profile))


def record_listed(db: ThreadConnections, provider: str, profile: str, *, until: float | None,
                  first_id: str | None, now: float) -> None:
    """A discovery pass read the account's list down to what it knew; `until` is the newest
    creation time it saw (kept if older than the mark already stored) and `first_id` the
    batch at the top of the list (kept when the list was empty)."""
    with db.transaction() as conn:
        conn.execute("INSERT OR IGNORE INTO sync_profiles (provider, profile) VALUES (?, ?)", (provider, profile))
        conn.execute(
            "UPDATE sync_profiles SET listed_at = ?, listed_first_id = coalesce(?, listed_first_id), "
            "listed_until = max(coalesce(listed_until, ?), coalesce(?, listed_until)) "
            "WHERE provider = ? AND profile = ?", (now, first_id, until, until, provider, profile))


def known_provider_ids(db: ThreadConnections, provider: str, ids: Iterable[str]) -> set[str]:
    """Which of these provider batch ids the store already has (any profile)."""
    wanted = list(dict.fromkeys(ids))
    known: set[str] = set()
    conn = db.get()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        known.update(r[0] for r in conn.execute(
            f"SELECT provider_batch_id FROM batches WHERE provider = ? AND provider_batch_id IN ({marks})",
            (provider, *chunk)))
    return known
