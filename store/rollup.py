"""The savings rollup: running totals per (batch, model, UTC day), kept in step with items.

Three ways to keep it, each inside the transaction that changes the items:
- `changing(conn, item_ids)` around a write to a few items (promotion, resubmission):
  subtract their contribution before, add it back after.
- `ADD_ROW` for an ingest chunk that only overwrote pending items (the usual case): the
  ingest loop sums the chunk's contribution in Python as it builds the rows, since the items
  it replaced contributed nothing. (Triggers on items did the same job but halved the ingest
  rate, measured.)
- `rebuild_batch(conn, batch_id)` when an ingest met settled items (a re-ingest, a duplicate
  line, a promotion): recompute the batch's rows from its items in one grouped scan (about
  0.1 s for 100k items). Such an ingest marks the batch `rollup_stale` in each chunk's
  transaction and the rebuild clears it, so a crash between chunks is repaired by
  `repair_stale` (run on open) or by the re-ingest the engine does anyway.

Only settled items (status <> 'pending') contribute. An item is priced when both its batch and
realtime costs are known; an unpriced item counts in `unpriced_items` and in no dollar column.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

_COLUMNS = """batch_id, model, day, items, priced_items, unpriced_items, failed_waiting,
    batch_cost, realtime_cost, promoted_cost, input_tokens, output_tokens"""

_CONTRIBUTIONS = """
SELECT batch_id, coalesce(model, ''), coalesce(billed_day, ''),
    {s} * count(*), {s} * sum(p), {s} * sum(1 - p),
    {s} * sum(status IN ('errored', 'expired', 'canceled')),
    {s} * total(p * batch_cost), {s} * total(p * realtime_cost),
    {s} * total(p * coalesce(promoted_cost, 0)),
    {s} * sum(coalesce(input_tokens, 0) + coalesce(cache_read_tokens, 0) + coalesce(cache_write_tokens, 0)),
    {s} * sum(coalesce(output_tokens, 0))
FROM (SELECT *, (batch_cost IS NOT NULL AND realtime_cost IS NOT NULL) AS p FROM items WHERE {where})
WHERE status <> 'pending'
GROUP BY 1, 2, 3
"""

_ACCUMULATE = """
ON CONFLICT (batch_id, model, day) DO UPDATE SET
    items = items + excluded.items,
    priced_items = priced_items + excluded.priced_items,
    unpriced_items = unpriced_items + excluded.unpriced_items,
    failed_waiting = failed_waiting + excluded.failed_waiting,
    batch_cost = batch_cost + excluded.batch_cost,
    realtime_cost = realtime_cost + excluded.realtime_cost,
    promoted_cost = promoted_cost + excluded.promoted_cost,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens
"""


ADD_ROW = (
    f"INSERT INTO savings_rollup ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    + _ACCUMULATE
)
"""Add one (batch, model, day) contribution computed by the caller, columns as _COLUMNS."""


def rebuild_batch(conn: sqlite3.Connection, batch_id: int) -> None:
    """Recompute one batch's rollup rows from its items (caller holds the transaction)."""
    conn.execute("DELETE FROM savings_rollup WHERE batch_id = ?", (batch_id,))
    conn.execute(
        f"INSERT INTO savings_rollup ({_COLUMNS}) " + _CONTRIBUTIONS.format(s=1, where="batch_id = ?"),
        (batch_id,),
    )
    conn.execute("UPDATE batches SET rollup_stale = 0 WHERE id = ? AND rollup_stale <> 0", (batch_id,))


def _shift(conn: sqlite3.Connection, sign: int, ids_json: str) -> None:
    # "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT (upsert rule).
    conn.execute(
        f"INSERT INTO savings_rollup ({_COLUMNS}) SELECT * FROM ("
        + _CONTRIBUTIONS.format(s=sign, where="id IN (SELECT value FROM json_each(?))")
        + ") WHERE true" + _ACCUMULATE,
        (ids_json,),
    )


@contextmanager
def changing(conn: sqlite3.Connection, item_ids: Iterable[int]) -> Iterator[None]:
    """Wrap a write to these items: their old contribution out, their new one in."""
    ids_json = json.dumps(list(item_ids))
    _shift(conn, -1, ids_json)
    yield
    _shift(conn, 1, ids_json)
    conn.execute("DELETE FROM savings_rollup WHERE items = 0")


def repair_stale(conn: sqlite3.Connection) -> list[int]:
    """Rebuild batches an interrupted ingest left stale; return their ids."""
    stale = [r[0] for r in conn.execute("SELECT id FROM batches WHERE rollup_stale <> 0")]
    for batch_id in stale:
        rebuild_batch(conn, batch_id)
    return stale
