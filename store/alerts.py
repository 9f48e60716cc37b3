"""Alert state, the sync health the passes saw, and the deadline guard's spending (schema v5).

Plain functions over one sqlite3 connection: the caller opens the transaction
(`Store.transaction()`), so deciding what to send and recording that it was decided happen
under one write lock, and two processes evaluating at once never both send.
Nothing here holds a secret: targets are named by number and kind only.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

_FAILED = "('errored', 'expired', 'canceled')"


@dataclass(slots=True)
class AlertRow:
    """One condition's record: whether it is active, when it was last said, how delivery went."""

    key: str
    rule: str
    subject: str
    title: str
    started_at: float
    last_seen_at: float
    batch_id: int | None = None
    active: bool = True
    clear_since: float | None = None
    """The condition has not been seen since then (hold-down before "resolved")."""
    resolved_at: float | None = None
    last_sent_at: float | None = None
    last_event: str | None = None
    sends: int = 0
    delivery: str | None = None
    """The last delivery, per target ("target 1 (json) ok; target 2 (exec) failed: ...")."""
    details: dict[str, Any] = field(default_factory=dict)


_COLUMNS = ("key", "rule", "subject", "title", "started_at", "last_seen_at", "batch_id", "active",
            "clear_since", "resolved_at", "last_sent_at", "last_event", "sends", "delivery", "details")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM alert_state"


def _row(r: tuple[Any, ...]) -> AlertRow:
    values = dict(zip(_COLUMNS, r, strict=True))
    values["active"] = bool(values["active"])
    values["details"] = json.loads(values["details"]) if values["details"] else {}
    return AlertRow(**values)


def states(conn: sqlite3.Connection, *, active_only: bool = False, limit: int = 500) -> list[AlertRow]:
    """Active conditions first, then the most recently resolved."""
    where = " WHERE active = 1" if active_only else ""
    sql = f"{_SELECT}{where} ORDER BY active DESC, coalesce(resolved_at, last_seen_at) DESC LIMIT ?"
    return [_row(r) for r in conn.execute(sql, (limit,))]


def state(conn: sqlite3.Connection, key: str) -> AlertRow | None:
    r = conn.execute(f"{_SELECT} WHERE key = ?", (key,)).fetchone()
    return _row(r) if r else None


def save_state(conn: sqlite3.Connection, row: AlertRow) -> None:
    values = [getattr(row, c) for c in _COLUMNS]
    values[_COLUMNS.index("active")] = int(row.active)
    values[_COLUMNS.index("details")] = json.dumps(row.details, sort_keys=True, default=str)
    marks = ", ".join("?" for _ in _COLUMNS)
    conn.execute(f"INSERT OR REPLACE INTO alert_state ({', '.join(_COLUMNS)}) VALUES ({marks})", values)


def set_delivery(conn: sqlite3.Connection, key: str, delivery: str) -> None:
    conn.execute("UPDATE alert_state SET delivery = ? WHERE key = ?", (delivery, key))


def failure_counts(conn: sqlite3.Connection) -> dict[int, tuple[int, int]]:
    """Batch id -> (retryable, all) failed items not yet replaced.

    Replaced items carry their own status (resubmitted, promoted), so the status test alone
    answers it. The redundant NOT IN lets SQLite use the partial failure-groups index, which
    holds every column read here: only failed rows are visited (1M items, 20k failed: 155 ms
    scanning the table, a few ms through the index).
    """
    rows = conn.execute(
        f"""SELECT batch_id, sum(error_class = 'retryable'), count(*) FROM items
            WHERE status IN {_FAILED} AND status NOT IN ('pending', 'succeeded') GROUP BY batch_id"""
    )
    return {b: (int(r or 0), int(n)) for b, r, n in rows}


# ---- sync health ---------------------------------------------------------------------------
PASS_SCOPE = ""
"""The scope of the sync pass itself (its last_ok_at is the heartbeat). Provider accounts'
health is the live fleet's `sync_profiles` (store/sync_state.py); other scopes are unused."""


@dataclass(frozen=True, slots=True)
class HealthRow:
    scope: str
    """"" for the sync pass, else "provider/profile"."""
    last_ok_at: float | None
    failing_since: float | None
    last_error: str | None
    updated_at: float


def record_health(conn: sqlite3.Connection, scope: str, *, ok: bool, now: float, error: str | None = None) -> None:
    """A pass reached (ok) or could not reach this scope; the first failure in a row is kept."""
    if ok:
        conn.execute(
            """INSERT INTO alert_sync_health (scope, last_ok_at, failing_since, last_error, updated_at)
               VALUES (?, ?, NULL, NULL, ?)
               ON CONFLICT (scope) DO UPDATE SET last_ok_at = excluded.last_ok_at,
                   failing_since = NULL, last_error = NULL, updated_at = excluded.updated_at""",
            (scope, now, now),
        )
    else:
        conn.execute(
            """INSERT INTO alert_sync_health (scope, last_ok_at, failing_since, last_error, updated_at)
               VALUES (?, NULL, ?, ?, ?)
               ON CONFLICT (scope) DO UPDATE SET
                   failing_since = coalesce(alert_sync_health.failing_since, excluded.failing_since),
                   last_error = excluded.last_error, updated_at = excluded.updated_at""",
            (scope, now, error, now),
        )


def health(conn: sqlite3.Connection) -> list[HealthRow]:
    rows = conn.execute(
        "SELECT scope, last_ok_at, failing_since, last_error, updated_at FROM alert_sync_health ORDER BY scope"
    )
    return [HealthRow(*r) for r in rows]


# ---- deadline guard spending -----------------------------------------------------------------
def guard_spent(conn: sqlite3.Connection, *, batch_id: int | None = None, since: float | None = None) -> float:
    """What the guard has claimed or spent (the larger of the two per promotion), in USD."""
    where: list[str] = []
    args: list[float] = []
    if batch_id is not None:
        where.append("batch_id = ?")
        args.append(batch_id)
    if since is not None:
        where.append("at >= ?")
        args.append(since)
    sql = "SELECT coalesce(sum(max(claimed, coalesce(spent, 0))), 0) FROM guard_spend"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return float(conn.execute(sql, args).fetchone()[0])


def claim_guard_spend(conn: sqlite3.Connection, *, batch_id: int, tier: str, amount: float, now: float,
                      day_start: float, max_per_batch: float, max_per_day: float) -> int | None:
    """Reserve `amount` for a guard promotion if both caps still allow it; the claim's id or None.

    Run inside a write transaction: the check and the insert are one step for every process.
    """
    if guard_spent(conn, batch_id=batch_id) + amount > max_per_batch:
        return None
    if guard_spent(conn, since=day_start) + amount > max_per_day:
        return None
    cur = conn.execute("INSERT INTO guard_spend (batch_id, at, tier, claimed) VALUES (?, ?, ?, ?)",
                       (batch_id, now, tier, amount))
    return int(cur.lastrowid or 0)


def settle_guard_spend(conn: sqlite3.Connection, claim_id: int, spent: float | None) -> None:
    """What the promotion actually cost (None: unpriced; the claim then stands as the figure)."""
    conn.execute("UPDATE guard_spend SET spent = ? WHERE id = ?", (spent, claim_id))


def release_guard_spend(conn: sqlite3.Connection, claim_id: int) -> None:
    """The promotion was refused before anything was sent: its claim frees the budget again."""
    conn.execute("DELETE FROM guard_spend WHERE id = ?", (claim_id,))
