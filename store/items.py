"""Writes to the items table outside ingest: requests, resubmission links, promotions.

Every write keeps the savings rollup in step inside its own transaction (store/rollup.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import islice

from store import answers, rollup
from store.answers import RealtimeAnswer
from store.db import ThreadConnections
from store.errors import StoreError
from store.model import ItemResult, PriceTier

CHUNK = 5_000
"""Rows per executemany and per transaction: big enough to amortize the commit, small enough
that the console's reads and the engine's other writes are never held up for long."""


def utc_day(ts: float) -> str:
    """The UTC calendar day of an epoch time, as the rollup keys it ("2026-11-22")."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def add_items(db: ThreadConnections, batch_id: int, requests: Iterable[tuple[str, str]],
              *, model: str | None = None) -> int:
    """Insert PENDING items in order, continuing the batch's seq; return how many."""
    conn = db.get()
    start = conn.execute(
        "SELECT coalesce(max(seq) + 1, 0) FROM items WHERE batch_id = ?", (batch_id,)
    ).fetchone()[0]
    added = 0
    rows = ((batch_id, start + i, cid, body) for i, (cid, body) in enumerate(requests))
    while chunk := list(islice(rows, CHUNK)):
        with db.transaction() as conn:
            conn.executemany(
                "INSERT INTO items (batch_id, seq, custom_id, model) VALUES (?, ?, ?, ?)",
                [(b, seq, cid, model) for b, seq, cid, _ in chunk],
            )
            conn.executemany(
                """INSERT INTO item_requests (item_id, body)
                   SELECT id, ? FROM items WHERE batch_id = ? AND custom_id = ?""",
                [(body, b, cid) for b, _, cid, body in chunk if body is not None],
            )
            conn.execute("UPDATE batches SET item_count = item_count + ? WHERE id = ?",
                         (len(chunk), batch_id))
        added += len(chunk)
    return added


def link_resubmission(db: ThreadConnections, old_item_ids: Iterable[int], new_batch_id: int,
                      *, now: float) -> int:
    """Mark each old item RESUBMITTED and link it both ways to the new batch's item with the
    same custom_id. Items without a counterpart in the new batch are left alone."""
    linked = 0
    with db.transaction() as conn:
        for old_id in old_item_ids:
            new = conn.execute(
                """SELECT n.id FROM items n JOIN items o ON o.custom_id = n.custom_id
                   WHERE o.id = ? AND n.batch_id = ?""",
                (old_id, new_batch_id),
            ).fetchone()
            if new is None:
                continue
            with rollup.changing(conn, [old_id]):
                conn.execute(
                    "UPDATE items SET status = 'resubmitted', replaced_by = ?, updated_at = ?, "
                    "claim = NULL, claim_until = NULL WHERE id = ?",
                    (new[0], now, old_id),
                )
            conn.execute("UPDATE items SET replaces = ? WHERE id = ?", (old_id, new[0]))
            linked += 1
    return linked


def record_promotion(db: ThreadConnections, item_id: int, result: ItemResult, *,
                     promoted_cost: float | None, realtime_cost: float | None,
                     tier: PriceTier | str, now: float, answer: RealtimeAnswer | None = None) -> None:
    """Mark PROMOTED with the realtime answer's usage and costs, keep the `answer` paid for,
    release the item's claim and count it on its batch: one transaction.

    A batch cost already recorded (the batch copy finished first) stays: it was billed, and
    the item's savings go negative by that much. Otherwise the batch copy has cost nothing
    yet (0.0), and a later ingest of it fills in what it cost.
    """
    u = result.usage
    tokens = (None,) * 4 if u is None else (
        u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens)
    with db.transaction() as conn, rollup.changing(conn, [item_id]):
        before = conn.execute("SELECT status, batch_id FROM items WHERE id = ?", (item_id,)).fetchone()
        cur = conn.execute(
            """UPDATE items SET status = 'promoted', model = coalesce(?, model),
                   input_tokens = ?, output_tokens = ?, cache_read_tokens = ?, cache_write_tokens = ?,
                   promoted_cost = ?, realtime_cost = ?, promoted_tier = ?,
                   batch_cost = CASE WHEN ? IS NULL THEN batch_cost ELSE coalesce(batch_cost, 0.0) END,
                   billed_day = ?, updated_at = ?, claim = NULL, claim_until = NULL
               WHERE id = ?""",
            (result.model, *tokens, promoted_cost, realtime_cost, str(PriceTier(tier)),
             realtime_cost, utc_day(now), now, item_id),
        )
        if cur.rowcount == 0 or before is None:
            raise StoreError(f"no item with id {item_id}; it may belong to a deleted batch.")
        if before[0] != "promoted":  # the batch's counts move while a promote runs
            conn.execute("UPDATE batches SET promoted = promoted + 1 WHERE id = ?", (before[1],))
        if answer is not None:
            answers.insert(conn, item_id, answer, now)


def apply_inputs(db: ThreadConnections, batch_id: int, requests: Iterable[tuple[str, str]],
                 *, model: str | None = None, first_seq: int = 0) -> tuple[int, int]:
    """Give a batch the requests of its input, in input order: (items created, items matched).

    An item already there (its result came first) gets the input's position as its seq and
    its body when it had none; a request with no item yet becomes a PENDING item. So export
    order, promote and resubmit work the same whether inputs or results arrived first.
    `first_seq` is the input position of the first request (a caller feeding chunks).
    """
    created = matched = 0
    rows = enumerate(requests, first_seq)
    while chunk := list(islice(rows, CHUNK)):
        with db.transaction() as conn:
            for seq, (custom_id, body) in chunk:
                row = conn.execute("SELECT id FROM items WHERE batch_id = ? AND custom_id = ?",
                                   (batch_id, custom_id)).fetchone()
                if row is None:
                    item_id = conn.execute(
                        "INSERT INTO items (batch_id, seq, custom_id, model) VALUES (?, ?, ?, ?)",
                        (batch_id, seq, custom_id, model)).lastrowid
                    created += 1
                else:
                    item_id = row[0]
                    conn.execute("UPDATE items SET seq = ? WHERE id = ?", (seq, item_id))
                    matched += 1
                conn.execute("INSERT OR IGNORE INTO item_requests (item_id, body) VALUES (?, ?)", (item_id, body))
            if created:
                conn.execute("UPDATE batches SET item_count = (SELECT count(*) FROM items WHERE batch_id = ?) "
                             "WHERE id = ?", (batch_id, batch_id))
    return created, matched
