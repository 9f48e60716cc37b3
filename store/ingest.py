"""Result ingest: applying a results file's lines to items, costed, at 100k+ lines/s.

Two halves:

* `store.result_rows.build_chunks` (pure, no database): ItemResults -> costed `RowChunk`s.
* `ingest_results` (here): writes each chunk with one executemany in one short transaction and keeps
  the savings rollup exact (store/rollup.py). Nothing is held beyond a chunk, so memory does
  not grow with the file; raw lines stay in the results file, found by offset and length.

A row is 17 values, `ROW`, or 13 for a row without an error (`CLEAN_ROW`, the error columns
written as NULL by the statement); what is the same for every row of an ingest (batch, billing
day, results file, time, the first seq) is written into the statement's text instead, because
binding parameters is most of what a row costs Python.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from itertools import chain
from typing import Any

from store import rollup
from store.db import ThreadConnections
from store.errors import StoreError
from store.items import utc_day
from store.model import IngestStats, ItemResult, ItemStatus
from store.prices import PriceBook
from store.result_rows import CLEAN_ROW, ROW, RowChunk, build_chunks
from store.rows import COUNT_COLUMNS


def _sql(value: object) -> str:
    """A literal for one of our own values (ints, floats, a "YYYY-MM-DD" day, None)."""
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    return "'" + text.replace("'", "''") + "'"


def _params(shape: tuple[str, ...]) -> dict[str, str]:
    """Each ROW column's SQL in a statement taking `shape` tuples: `?n`, or NULL when the
    shape leaves the column out."""
    return {c: f"?{shape.index(c) + 1}" if c in shape else "NULL" for c in ROW}


def _insert(batch_id: int, first_seq: int, day: str, file_id: int | None, now: float,
            shape: tuple[str, ...] = ROW, rows: int = 1) -> str:
    """INSERT of `rows` rows of `shape` tuples (their values one after another), up to its
    ON CONFLICT clause: the caller appends what a conflict does."""
    p = _params(shape)
    one = (f"({_sql(batch_id)}, {p['seq']} + {_sql(first_seq)}, {p['custom_id']}, {p['status']}, {p['status']}, "
           f"{p['model']}, {p['error_class']}, {p['error_type']}, {p['error_message']}, {p['http_status']}, "
           f"{p['input_tokens']}, {p['output_tokens']}, {p['cache_read_tokens']}, {p['cache_write_tokens']}, "
           f"{p['batch_cost']}, {p['realtime_cost']}, {_sql(day)}, {_sql(file_id)}, {p['result_offset']}, "
           f"{p['result_length']}, {p['truncated']}, {_sql(now)})")
    values = ",\n    ".join(_shifted(one, i * len(shape)) for i in range(rows))
    return f"""
INSERT INTO items (batch_id, seq, custom_id, status, result_status, model, error_class,
    error_type, error_message, http_status, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, batch_cost, realtime_cost, billed_day, result_file, result_offset,
    result_length, truncated, updated_at)
VALUES {values}
ON CONFLICT (batch_id, custom_id) DO UPDATE SET
"""


_PARAM = re.compile(r"\?(\d+)")


def _shifted(sql: str, by: int) -> str:
    """`sql` with each parameter ?n as ?(n + by): the next row's values in a VALUES list."""
    return _PARAM.sub(lambda m: f"?{int(m[1]) + by}", sql) if by else sql

ROWS_PER_INSERT = 64
"""Rows per INSERT statement on the fast path (its VALUES list holds this many rows): each
execution of a statement opens a cursor on the table and on each of its 7 indexes and goes
through Python's per-row executemany loop, so 64 rows at a time write a row ~0.6 us (a
fifth) faster than one (measured, tests/providers/bench_results.py; 50-100 is the flat
optimum, and 64 x 13 values stays under SQLite's oldest limit of 999 parameters)."""


# The fast path, for every batch: a line creates its item if it has none (a tracked batch's
# first ingest), or overwrites it while it is pending (a batch of ours), so the rows it writes
# contributed nothing to the rollup before and the chunk's sums are exact. A settled item
# (re-ingest, a duplicate line, a promotion) is not written, and is detected by the change count.
_UPSERT_PENDING_SET = """
    status = excluded.status, result_status = excluded.result_status,
    model = coalesce(excluded.model, items.model), error_class = excluded.error_class,
    error_type = excluded.error_type, error_message = excluded.error_message,
    http_status = excluded.http_status, input_tokens = excluded.input_tokens,
    output_tokens = excluded.output_tokens, cache_read_tokens = excluded.cache_read_tokens,
    cache_write_tokens = excluded.cache_write_tokens, batch_cost = excluded.batch_cost,
    realtime_cost = excluded.realtime_cost, billed_day = excluded.billed_day,
    result_file = excluded.result_file, result_offset = excluded.result_offset,
    result_length = excluded.result_length, truncated = excluded.truncated,
    updated_at = excluded.updated_at
WHERE items.status = 'pending'
"""

# The general path. A promoted item keeps its realtime answer (usage, realtime cost, error
# fields, billing day); its batch copy only adds its own batch cost (0.0 unless it succeeded
# and was billed). A resubmitted item keeps its status; everything else follows the line.
_UPSERT_ANY_SET = """
    status = CASE WHEN items.status IN ('promoted', 'resubmitted') THEN items.status
                  ELSE excluded.status END,
    result_status = excluded.result_status,
    model = CASE WHEN items.status = 'promoted' THEN coalesce(items.model, excluded.model)
                 ELSE coalesce(excluded.model, items.model) END,
    error_class = CASE WHEN items.status = 'promoted' THEN items.error_class ELSE excluded.error_class END,
    error_type = CASE WHEN items.status = 'promoted' THEN items.error_type ELSE excluded.error_type END,
    error_message = CASE WHEN items.status = 'promoted' THEN items.error_message ELSE excluded.error_message END,
    http_status = CASE WHEN items.status = 'promoted' THEN items.http_status ELSE excluded.http_status END,
    input_tokens = CASE WHEN items.status = 'promoted' THEN items.input_tokens ELSE excluded.input_tokens END,
    output_tokens = CASE WHEN items.status = 'promoted' THEN items.output_tokens ELSE excluded.output_tokens END,
    cache_read_tokens = CASE WHEN items.status = 'promoted' THEN items.cache_read_tokens
                             ELSE excluded.cache_read_tokens END,
    cache_write_tokens = CASE WHEN items.status = 'promoted' THEN items.cache_write_tokens
                              ELSE excluded.cache_write_tokens END,
    batch_cost = excluded.batch_cost,
    realtime_cost = CASE WHEN items.status = 'promoted' THEN items.realtime_cost ELSE excluded.realtime_cost END,
    billed_day = CASE WHEN items.status = 'promoted' THEN items.billed_day ELSE excluded.billed_day END,
    result_file = excluded.result_file,
    result_offset = excluded.result_offset,
    result_length = excluded.result_length,
    truncated = CASE WHEN items.status = 'promoted' THEN items.truncated ELSE excluded.truncated END,
    updated_at = excluded.updated_at
"""


# ---- writing rows -----------------------------------------------------------------------------
def ingest_results(db: ThreadConnections, book: PriceBook, batch_id: int,
                   results: Iterable[ItemResult], *, results_path: str | None,
                   now: float, resumed_lines: int = 0) -> IngestStats:
    batch = db.get().execute(
        "SELECT provider, model, ended_at, tracked FROM batches WHERE id = ?", (batch_id,)
    ).fetchone()
    if batch is None:
        raise StoreError(f"no batch with local id {batch_id}; list batches with `batchdeck ls`.")
    provider, batch_model, ended_at, tracked = batch
    return _write_chunks(db, batch_id, build_chunks(book, provider, batch_model, results),
                         ended_at=ended_at, tracked=tracked, results_path=results_path, now=now,
                         resumed_lines=resumed_lines)


def checkpoint(db: ThreadConnections, batch_id: int, results_path: str) -> tuple[int, int]:
    """(bytes, lines) of `results_path` whose rows are committed: an interrupted ingest of that
    file starts again at this byte offset. (0, 0) for a file not yet (or no longer) begun."""
    row = db.get().execute(
        "SELECT ingested_to, ingested_lines FROM result_files WHERE batch_id = ? AND path = ?",
        (batch_id, results_path),
    ).fetchone()
    return (int(row[0]), int(row[1])) if row is not None else (0, 0)


def _write_chunks(db: ThreadConnections, batch_id: int, chunks: Iterable[RowChunk], *,
                  ended_at: float | None, tracked: bool, results_path: str | None,
                  now: float, resumed_lines: int = 0) -> IngestStats:
    """Write the RowChunks of one batch's result lines, in the order of the lines.

    `resumed_lines`: the lines of this file already committed by an interrupted ingest (the
    results given start after them); counted in the stats and in a tracked batch's seq."""
    conn = db.get()
    file_id = _register_file(db, batch_id, results_path) if results_path else None
    # Items a tracked batch never had are created in result order (seq = line number, so a
    # re-run after a crash lands on the same seq); for our own batches they come after ours.
    next_seq = resumed_lines if tracked else conn.execute(
        "SELECT coalesce(max(seq) + 1, 0) FROM items WHERE batch_id = ?", (batch_id,)
    ).fetchone()[0]
    before = _count(conn, batch_id)
    stats = IngestStats()
    stats.lines = resumed_lines
    day = utc_day(ended_at or now)
    fast = True
    # Foreign keys are checked once above (the batch and file exist); per row they cost ~15%.
    # The pragma is per connection and cannot change inside a transaction, hence out here.
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        for chunk in chunks:
            insert = _insert(batch_id, next_seq, day, file_id, now)
            with db.transaction() as conn:
                if fast:
                    # Clean rows and the others in separate statements: their order only
                    # matters for a custom_id met twice, which the change count catches (its
                    # second line finds the item no longer pending), and the general path
                    # below then writes every row again in line order.
                    written = conn.total_changes
                    _write_clean(conn, chunk.clean, batch_id, next_seq, day, file_id, now)
                    if chunk.rows:
                        conn.executemany(insert + _UPSERT_PENDING_SET, chunk.rows)
                    if conn.total_changes - written == chunk.lines:
                        _add_contributions(conn, batch_id, day, chunk.sums)
                    else:
                        fast = False
                if not fast:
                    conn.executemany(insert + _UPSERT_ANY_SET, chunk.all_rows())
                    conn.execute("UPDATE batches SET rollup_stale = 1 WHERE id = ?", (batch_id,))
                if file_id is not None:
                    # The checkpoint commits with the rows it describes, never apart from them.
                    conn.execute("UPDATE result_files SET ingested_to = max(ingested_to, ?),"
                                 " ingested_lines = ? WHERE id = ?",
                                 (chunk.reach, stats.lines + chunk.lines, file_id))
            next_seq += chunk.lines
            stats.lines += chunk.lines
            stats.unpriced += chunk.unpriced
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    if not fast:
        with db.transaction() as conn:
            rollup.rebuild_batch(conn, batch_id)
    after = _count(conn, batch_id)
    stats.inserted = after - before
    if stats.inserted:
        with db.transaction() as conn:
            conn.execute("UPDATE batches SET item_count = ? WHERE id = ?", (after, batch_id))
    stats.updated = stats.lines - stats.inserted
    return stats


def _write_clean(conn: sqlite3.Connection, rows: list[tuple[object, ...]], batch_id: int, first_seq: int,
                 day: str, file_id: int | None, now: float) -> None:
    """The fast path's write of `CLEAN_ROW` rows, ROWS_PER_INSERT rows per statement (the
    rest one by one)."""
    per = ROWS_PER_INSERT
    whole = len(rows) - len(rows) % per
    if whole:
        conn.executemany(_insert(batch_id, first_seq, day, file_id, now, CLEAN_ROW, per) + _UPSERT_PENDING_SET,
                         (list(chain.from_iterable(rows[i:i + per])) for i in range(0, whole, per)))
    if whole < len(rows):
        conn.executemany(_insert(batch_id, first_seq, day, file_id, now, CLEAN_ROW) + _UPSERT_PENDING_SET,
                         rows[whole:])


def _add_contributions(conn: sqlite3.Connection, batch_id: int, day: str,
                       sums: dict[str | None, list[Any]]) -> None:
    conn.executemany(
        rollup.ADD_ROW,
        [(batch_id, model or "", day, *acc[:6], 0.0, acc[6], acc[7])
         for model, acc in sums.items() if acc[0]],
    )


def _register_file(db: ThreadConnections, batch_id: int, path: str) -> int:
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO result_files (batch_id, path) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (batch_id, path),
        )
        conn.execute("UPDATE batches SET results_path = ? WHERE id = ?", (path, batch_id))
        return int(conn.execute(
            "SELECT id FROM result_files WHERE batch_id = ? AND path = ?", (batch_id, path)
        ).fetchone()[0])


def _count(conn: sqlite3.Connection, batch_id: int) -> int:
    return int(conn.execute("SELECT count(*) FROM items WHERE batch_id = ?", (batch_id,)).fetchone()[0])


def mark_ingested(db: ThreadConnections, batch_id: int, *, now: float) -> None:
    """Recount the batch's items by the outcome the batch reported (result_status)."""
    with db.transaction() as conn:
        counts = dict.fromkeys(COUNT_COLUMNS, 0)
        for status, n in conn.execute(
            "SELECT coalesce(result_status, 'pending'), count(*) FROM items WHERE batch_id = ? GROUP BY 1",
            (batch_id,),
        ):
            key = "processing" if status == ItemStatus.PENDING else status
            if key in counts:
                counts[key] += n
            counts["total"] += n
        sets = ", ".join(f"{c} = :{c}" for c in COUNT_COLUMNS)
        # Whole: a later ingest of the same file (a re-run) starts from the top again.
        conn.execute("UPDATE result_files SET ingested_to = 0, ingested_lines = 0 WHERE batch_id = ?",
                     (batch_id,))
        conn.execute(
            f"UPDATE batches SET {sets}, item_count = :total, ingested_at = :now, updated_at = :now, "
            "truncated = (SELECT count(*) FROM items WHERE batch_id = :id AND truncated = 1) "
            "WHERE id = :id",
            {**counts, "now": now, "id": batch_id},
        )
