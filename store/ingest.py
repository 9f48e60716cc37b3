"""Result ingest: applying a results file's lines to items, costed, at 100k+ lines/s.

The adapter parses; this module turns each ItemResult into one tuple (costs from per-model
rates computed once), writes chunks of 5,000 with executemany inside short transactions, and
keeps the savings rollup exact (store/rollup.py). Nothing is held beyond one chunk, so memory
does not grow with the file; raw lines stay in the results file, found by offset and length.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from itertools import islice
from operator import itemgetter

from store import ledger, rollup
from store.db import ThreadConnections
from store.errors import StoreError
from store.items import CHUNK, utc_day
from store.model import ErrorClass, IngestStats, ItemResult, ItemStatus
from store.prices import PriceBook
from store.rows import COUNT_COLUMNS

# Plain str values: sqlite3 binds a str subclass (our StrEnums) through its adapter lookup,
# which measurably slows the ingest loop.
_PLAIN = {**{s: str(s) for s in ItemStatus}, **{c: str(c) for c in ErrorClass}, None: None}
INGEST_CHUNK = 4 * CHUNK
"""Result rows per write transaction (a few MB of tuples)."""
_CUSTOM_ID = itemgetter(2)
_RETRYABLE_BY_STATUS = {ItemStatus.EXPIRED: "retryable", ItemStatus.CANCELED: "retryable"}

_INSERT = """
INSERT INTO items (batch_id, seq, custom_id, status, result_status, model, error_class,
    error_type, error_message, http_status, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, batch_cost, realtime_cost, billed_day, result_file, result_offset,
    result_length, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (batch_id, custom_id) DO UPDATE SET
"""

# The fast path: only a pending item is overwritten, so the rows it writes contributed nothing
# to the rollup before, and the chunk's contribution computed in Python is exact. A settled
# item (re-ingest, a duplicate line, a promotion) is skipped and detected by the change count.
_UPSERT_PENDING = _INSERT + """
    status = excluded.status, result_status = excluded.result_status,
    model = coalesce(excluded.model, items.model), error_class = excluded.error_class,
    error_type = excluded.error_type, error_message = excluded.error_message,
    http_status = excluded.http_status, input_tokens = excluded.input_tokens,
    output_tokens = excluded.output_tokens, cache_read_tokens = excluded.cache_read_tokens,
    cache_write_tokens = excluded.cache_write_tokens, batch_cost = excluded.batch_cost,
    realtime_cost = excluded.realtime_cost, billed_day = excluded.billed_day,
    result_file = excluded.result_file, result_offset = excluded.result_offset,
    result_length = excluded.result_length, updated_at = excluded.updated_at
WHERE items.status = 'pending'
"""

# The general path. A promoted item keeps its realtime answer (usage, realtime cost, error
# fields, billing day); its batch copy only adds its own batch cost (0.0 unless it succeeded
# and was billed). A resubmitted item keeps its status; everything else follows the line.
_UPSERT_ANY = _INSERT + """
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
    cache_read_tokens = CASE WHEN items.status = 'promoted' THEN items.cache_read_tokens ELSE excluded.cache_read_tokens END,
    cache_write_tokens = CASE WHEN items.status = 'promoted' THEN items.cache_write_tokens ELSE excluded.cache_write_tokens END,
    batch_cost = excluded.batch_cost,
    realtime_cost = CASE WHEN items.status = 'promoted' THEN items.realtime_cost ELSE excluded.realtime_cost END,
    billed_day = CASE WHEN items.status = 'promoted' THEN items.billed_day ELSE excluded.billed_day END,
    result_file = excluded.result_file,
    result_offset = excluded.result_offset,
    result_length = excluded.result_length,
    updated_at = excluded.updated_at
"""


def ingest_results(db: ThreadConnections, book: PriceBook, batch_id: int,
                   results: Iterable[ItemResult], *, results_path: str | None,
                   now: float) -> IngestStats:
    conn = db.get()
    batch = conn.execute(
        "SELECT provider, model, ended_at, tracked FROM batches WHERE id = ?", (batch_id,)
    ).fetchone()
    if batch is None:
        raise StoreError(f"no batch with local id {batch_id}; list batches with `batchdeck ls`.")
    provider, batch_model, ended_at, tracked = batch
    file_id = _register_file(db, batch_id, results_path) if results_path else None
    # Items a tracked batch never had are created in result order (seq = line number, so a
    # re-run after a crash lands on the same seq); for our own batches they come after ours.
    base_seq = 0 if tracked else conn.execute(
        "SELECT coalesce(max(seq) + 1, 0) FROM items WHERE batch_id = ?", (batch_id,)
    ).fetchone()[0]
    before = _count(conn, batch_id)
    stats = IngestStats()
    day = utc_day(ended_at or now)
    contributions: dict[str | None, list] = {}
    rows = _result_rows(book, provider, batch_model, batch_id, base_seq, results, day, file_id,
                        now, stats, contributions)
    fast = True
    # Foreign keys are checked once above (the batch and file exist); per row they cost ~15%.
    # The pragma is per connection and cannot change inside a transaction, hence out here.
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        while chunk := list(islice(rows, INGEST_CHUNK)):
            # Results arrive in completion order, i.e. scattered over the batch's rows: in
            # key order each index and table page is visited once per chunk (~2x faster).
            # The sort is stable, so duplicate lines of one custom_id keep their order.
            chunk.sort(key=_CUSTOM_ID)
            with db.transaction() as conn:
                if fast:
                    written = conn.total_changes
                    conn.executemany(_UPSERT_PENDING, chunk)
                    if conn.total_changes - written == len(chunk):
                        _add_contributions(conn, batch_id, day, contributions)
                        continue
                    fast = False
                conn.executemany(_UPSERT_ANY, chunk)
                conn.execute("UPDATE batches SET rollup_stale = 1 WHERE id = ?", (batch_id,))
                _zero(contributions)
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


def _add_contributions(conn: sqlite3.Connection, batch_id: int, day: str,
                       contributions: dict[str | None, list]) -> None:
    """Write the chunk's sums and zero them in place (the row generator holds the lists)."""
    conn.executemany(
        rollup.ADD_ROW,
        [(batch_id, model or "", day, *acc[:6], 0.0, acc[6], acc[7])
         for model, acc in contributions.items() if acc[0]],
    )
    _zero(contributions)


def _zero(contributions: dict[str | None, list]) -> None:
    for acc in contributions.values():
        acc[:] = (0, 0, 0, 0, 0.0, 0.0, 0, 0)


def _result_rows(book: PriceBook, provider: str, batch_model: str | None, batch_id: int,
                 base_seq: int, results: Iterable[ItemResult], day: str, file_id: int | None,
                 now: float, stats: IngestStats, contributions: dict[str | None, list]) -> Iterator[tuple]:
    """Result lines as upsert tuples, costed, adding each line's rollup contribution to
    `contributions[model]` (the caller zeroes those lists in place after each chunk).

    The hot loop: one tuple per line; the model's per-token rates and accumulator are looked
    up only when the model differs from the previous line's.
    """
    rates_by_model: dict[str | None, tuple[float, ...] | None] = {}
    unpriced = 0
    seq = base_seq - 1
    last_model: object = object()
    rates: tuple[float, ...] | None = None
    acc: list = []
    try:
        for seq, r in enumerate(results, base_seq):
            model = r.model or batch_model
            if model != last_model:
                last_model = model
                if model not in rates_by_model:
                    rates_by_model[model] = ledger.rate_tuple(book.lookup(provider, model))
                rates = rates_by_model[model]
                acc = contributions.setdefault(model, [0, 0, 0, 0, 0.0, 0.0, 0, 0])
            status = r.status
            plain = _PLAIN[status]
            u = r.usage
            # acc: items, priced, unpriced, failed_waiting, batch $, realtime $, tokens in, out
            acc[0] += 1
            if u is None:
                it = ot = cr = cw = None
            else:
                it, ot, cr, cw = u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens
                acc[6] += it + cr + cw
                acc[7] += ot
            if rates is None:
                unpriced += 1
                acc[2] += 1
                bc = rc = None
            else:
                acc[1] += 1
                if plain == "succeeded" and u is not None:
                    bc = it * rates[0] + ot * rates[1] + cr * rates[2] + cw * rates[3]
                    rc = it * rates[4] + ot * rates[5] + cr * rates[6] + cw * rates[7]
                    acc[4] += bc
                    acc[5] += rc
                else:
                    bc = rc = 0.0
            if plain != "succeeded":
                acc[3] += 1
            ec = r.error_class
            yield (batch_id, seq, r.custom_id, plain, plain, model,
                   _PLAIN[ec] if ec is not None else _RETRYABLE_BY_STATUS.get(status), r.error_type,
                   r.error_message, r.http_status, it, ot, cr, cw, bc, rc, day, file_id,
                   r.offset, r.length, now)
    finally:
        stats.lines = seq - base_seq + 1
        stats.unpriced = unpriced


def _register_file(db: ThreadConnections, batch_id: int, path: str) -> int:
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO result_files (batch_id, path) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (batch_id, path),
        )
        conn.execute("UPDATE batches SET results_path = ? WHERE id = ?", (path, batch_id))
        return conn.execute(
            "SELECT id FROM result_files WHERE batch_id = ? AND path = ?", (batch_id, path)
        ).fetchone()[0]


def _count(conn: sqlite3.Connection, batch_id: int) -> int:
    return conn.execute("SELECT count(*) FROM items WHERE batch_id = ?", (batch_id,)).fetchone()[0]


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
        conn.execute(
            f"UPDATE batches SET {sets}, item_count = :total, ingested_at = :now, updated_at = :now "
            "WHERE id = :id",
            {**counts, "now": now, "id": batch_id},
        )
