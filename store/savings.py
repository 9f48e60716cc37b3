"""Savings aggregates and the fleet header, read from the rollup table, never from items.

savings_rollup holds one row per (batch, model, UTC day), maintained by triggers on items
(store/migrations.py), so these queries touch a few thousand rows however many millions of
items the store holds.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from store.model import TERMINAL_BATCH_STATUSES, FleetTotals, SavingsRow

_GROUPS = {
    "provider": ("b.provider", "JOIN batches b ON b.id = r.batch_id"),
    "model": ("r.model", ""),
    "day": ("r.day", ""),
    "batch": ("CAST(r.batch_id AS TEXT)", ""),
}
_TERMINAL_SQL = "(" + ", ".join(f"'{s}'" for s in sorted(TERMINAL_BATCH_STATUSES)) + ")"
_SUMS = """sum(r.items), sum(r.priced_items), sum(r.unpriced_items), total(r.batch_cost),
           total(r.realtime_cost), total(r.promoted_cost), sum(r.input_tokens), sum(r.output_tokens)"""


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def savings(conn: sqlite3.Connection, *, by: str, since: float | None = None,
            until: float | None = None) -> list[SavingsRow]:
    """Rows grouped by `by`; `since`/`until` select whole UTC days (until inclusive)."""
    if by not in _GROUPS:
        raise ValueError(f"savings by {by!r}: choose one of {', '.join(_GROUPS)}")
    key, join = _GROUPS[by]
    where, args = ["r.items <> 0"], []
    if since is not None:
        where.append("r.day >= ?")
        args.append(_day(since))
    if until is not None:
        where.append("r.day <= ?")
        args.append(_day(until))
    sql = f"""SELECT {key} AS k, {_SUMS} FROM savings_rollup r {join}
              WHERE {' AND '.join(where)} GROUP BY k ORDER BY k"""
    rows = [SavingsRow(k, *(v or 0 for v in rest)) for k, *rest in conn.execute(sql, args)]
    if by == "batch":
        rows.sort(key=lambda r: int(r.key))
    return [r for r in rows if r.items]


def fleet_totals(conn: sqlite3.Connection, *, now: float) -> FleetTotals:
    in_flight, pending = conn.execute(
        f"""SELECT count(*), total(max(total - succeeded - errored - expired - canceled, 0))
            FROM batches WHERE status NOT IN {_TERMINAL_SQL}"""
    ).fetchone()
    today = _day(now)
    month_start = today[:8] + "01"
    failures, unpriced, today_savings, month_savings = conn.execute(
        """SELECT total(failed_waiting), total(unpriced_items),
                  total(CASE WHEN day = :today THEN realtime_cost - batch_cost - promoted_cost END),
                  total(CASE WHEN day >= :month AND day <= :today
                        THEN realtime_cost - batch_cost - promoted_cost END)
           FROM savings_rollup""",
        {"today": today, "month": month_start},
    ).fetchone()
    return FleetTotals(
        in_flight=in_flight,
        items_pending=int(pending),
        failures_waiting=int(failures),
        savings_today=today_savings,
        savings_month=month_savings,
        unpriced_items=int(unpriced),
    )
