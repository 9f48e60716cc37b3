"""Claims: money is spent once, so work is claimed in the store before any provider call.

Two kinds, both taken in ONE write transaction (BEGIN IMMEDIATE) that also checks the work is
still to be done:

* an item a promote or resubmit is about to buy (`items.claim`, `items.claim_until`): an item
  already claimed by another live run, replaced, promoted or finished is skipped, and the
  caller is told how many and why;
* an aged submission intent a sync is about to send (`batches.send_claim`, `send_claim_until`):
  only the process holding the claim sends it.

A claim is a lease: it lapses at `claim_until`, or at once when its owner was a process on this
host that is no longer running (a killed promote must not hold its items for the whole lease).
The owner text is `host:pid:nonce`; the nonce tells two runs of one process apart.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from store.db import ThreadConnections

SKIP_CLAIMED = "claimed by a running promote or resubmit"
SKIP_REPLACED = "already resubmitted"
SKIP_PROMOTED = "already promoted"
SKIP_FINISHED = "already finished in the batch"


def new_owner() -> str:
    """A claim owner for one run of one action in this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_alive(owner: str) -> bool:
    """False only when the owner was a process on this host that has exited."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True  # another machine's claim: only its lease can lapse
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _held(claim: str | None, until: float | None, owner: str, now: float) -> bool:
    """Whether someone other than `owner` holds this claim now."""
    if claim is None or claim == owner:
        return False
    if until is not None and until < now:
        return False
    return _owner_alive(claim)


@dataclass(slots=True)
class ClaimResult:
    """Which items a run may buy, and how many were skipped for which reason."""

    claimed: list[int] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def skipped_text(self) -> str:
        """"3 skipped (2 already promoted, 1 claimed by a running promote or resubmit)", or ""."""
        total = sum(self.skipped.values())
        if not total:
            return ""
        parts = ", ".join(f"{n} {why}" for why, n in self.skipped.most_common())
        return f"{total} skipped ({parts})"


def claim_items(db: ThreadConnections, item_ids: Iterable[int], *, owner: str, until: float,
                now: float, statuses: Collection[str]) -> ClaimResult:
    """Claim the items whose status is one of `statuses`, not replaced, and not held by
    another live claim, in one transaction; the rest are counted in `skipped` by reason."""
    result = ClaimResult()
    wanted = list(dict.fromkeys(item_ids))
    with db.transaction() as conn:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = {r[0]: r[1:] for r in conn.execute(
                f"SELECT id, status, replaced_by, claim, claim_until FROM items WHERE id IN ({marks})", chunk)}
            take: list[int] = []
            for item_id in chunk:
                row = rows.get(item_id)
                if row is None:
                    continue
                status, replaced_by, claim, claim_until = row
                reason = _skip_reason(status, replaced_by, claim, claim_until, owner, now, statuses)
                if reason is None:
                    take.append(item_id)
                else:
                    result.skipped[reason] += 1
            conn.executemany("UPDATE items SET claim = ?, claim_until = ? WHERE id = ?",
                             [(owner, until, i) for i in take])
            result.claimed.extend(take)
    return result


def _skip_reason(status: str, replaced_by: int | None, claim: str | None, claim_until: float | None,
                 owner: str, now: float, statuses: Collection[str]) -> str | None:
    if replaced_by is not None or status == "resubmitted":
        return SKIP_REPLACED
    if status == "promoted":
        return SKIP_PROMOTED
    if status not in statuses:
        return SKIP_FINISHED
    if _held(claim, claim_until, owner, now):
        return SKIP_CLAIMED
    return None


def still_claimed(conn: sqlite3.Connection, item_id: int, owner: str, statuses: Collection[str]) -> bool:
    """Cheap per-item re-check before buying: still ours and still not finished (an ingest
    may have stored the batch's result since the claim was taken)."""
    row = conn.execute("SELECT status, claim FROM items WHERE id = ?", (item_id,)).fetchone()
    return row is not None and row[1] == owner and row[0] in statuses


def count_held(conn: sqlite3.Connection, batch_id: int, owner: str, status: str) -> int:
    """How many of a batch's items with `status` `owner` holds."""
    return int(conn.execute("SELECT count(*) FROM items WHERE batch_id = ? AND status = ? AND claim = ?",
                            (batch_id, status, owner)).fetchone()[0])


def release_items(db: ThreadConnections, owner: str, item_ids: Iterable[int] | None = None) -> None:
    """Drop `owner`'s claims (all of them, or on `item_ids` only)."""
    with db.transaction() as conn:
        if item_ids is None:
            conn.execute("UPDATE items SET claim = NULL, claim_until = NULL WHERE claim = ?", (owner,))
            return
        conn.executemany("UPDATE items SET claim = NULL, claim_until = NULL WHERE id = ? AND claim = ?",
                         [(i, owner) for i in item_ids])


def renew_items(db: ThreadConnections, owner: str, until: float) -> None:
    """Extend every claim `owner` holds (a long promote renews its lease as it goes)."""
    with db.transaction() as conn:
        conn.execute("UPDATE items SET claim_until = ? WHERE claim = ?", (until, owner))


def claim_intent(db: ThreadConnections, batch_id: int, *, owner: str, until: float, now: float) -> bool:
    """Claim a SUBMITTING intent for sending; False when it is no longer an intent or another
    live process holds it."""
    with db.transaction() as conn:
        row = conn.execute("SELECT status, send_claim, send_claim_until FROM batches WHERE id = ?",
                           (batch_id,)).fetchone()
        if row is None or row[0] != "submitting" or _held(row[1], row[2], owner, now):
            return False
        conn.execute("UPDATE batches SET send_claim = ?, send_claim_until = ? WHERE id = ?",
                     (owner, until, batch_id))
        return True
