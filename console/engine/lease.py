"""One syncing engine per store: the lease a syncing process holds and renews.

A console and a `batchdeck sync` service may share one store; if both polled, every provider
call would be made twice and two processes would race to ingest the same results. So the
long-running sync loop first takes the store's lease (store/sync_state.py): one process syncs,
the others stand by, read its heartbeat, and take over when it stops renewing — at once when it
released the lease on exit, or when it ran on this host and its pid is gone; after `ttl`
otherwise (a process killed on another host).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from typing import Protocol

from store.model import SyncLease

LEASE_TTL = 90.0
"""Seconds a lease lasts without renewal. The holder renews it every pass and every third of
this while a long pass runs, so only a dead or frozen holder lets it lapse."""


class LeaseStore(Protocol):
    """The store functions the lease needs (store.Store has them)."""

    def take_lease(self, *, holder: str, who: str, host: str, pid: int, now: float, ttl: float,
                   holder_dead: Callable[[SyncLease], bool] | None = None) -> SyncLease: ...

    def record_sync_pass(self, *, holder: str, now: float) -> None: ...

    def release_lease(self, *, holder: str) -> None: ...


def pid_running(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return True
    return True


def holder_gone(lease: SyncLease, host: str | None = None) -> bool:
    """True when the lease's process ran on this host and no longer exists (crash, kill -9):
    the lease can be taken at once instead of waiting for it to expire."""
    host = host or socket.gethostname()
    return lease.host == host and lease.pid != os.getpid() and not pid_running(lease.pid)


class LeaseHolder:
    """This process's claim on a store's sync lease.

    Args:
        store: the store (its `take_lease` / `release_lease` / `record_sync_pass`).
        clock: seconds since the epoch (the engine's; injectable).
        who: `user@host`, shown to other processes as the syncer.
        ttl: seconds the lease lasts without renewal.
    """

    def __init__(self, store: LeaseStore, clock: Callable[[], float], who: str, ttl: float = LEASE_TTL) -> None:
        self.store = store
        self.clock = clock
        self.who = who
        self.ttl = ttl
        self.token = f"{uuid.uuid4().hex}"
        self.host = socket.gethostname()
        self.pid = os.getpid()

    def take(self) -> SyncLease:
        """Take or renew the lease; the lease as it stands afterwards (see `holds`)."""
        return self.store.take_lease(
            holder=self.token, who=self.who, host=self.host, pid=self.pid, now=self.clock(),
            ttl=self.ttl, holder_dead=lambda lease: holder_gone(lease, self.host))

    def holds(self, lease: SyncLease | None) -> bool:
        return lease is not None and lease.holder == self.token

    def passed(self) -> None:
        """Record a finished pass (the heartbeat others read)."""
        self.store.record_sync_pass(holder=self.token, now=self.clock())

    def release(self) -> None:
        """Give the lease up so a standing-by process takes over at once."""
        self.store.release_lease(holder=self.token)
