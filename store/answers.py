"""Paid realtime answers: one row per promoted item in `realtime_answers`.

Written by `items.record_promotion` in the transaction that marks the item promoted, so an
answer and its mark exist together or not at all. Read by export and by the item inspector.

`import_side_files` is the one-time move (schema v5) of the answers earlier versions kept in
`results/<local batch id>/promoted.jsonl` beside the database. Those files were keyed by the
local id only, so two stores in one directory shared them: an answer is imported only onto an
item of this store that is marked promoted, has no answer yet, and whose recorded output
tokens match the answer's usage (another store's answer to another prompt does not match).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SIDE_FILE = "promoted.jsonl"


@dataclass(frozen=True, slots=True)
class RealtimeAnswer:
    """What a promotion paid for: the provider's response body and the tiers."""

    response: str
    """The realtime response body, JSON text, as the provider sent it."""
    paid_tier: str
    """The tier paid for (standard, flex, priority)."""
    tier: str | None = None
    """The tier as the provider reported it, if it did."""


def insert(conn: sqlite3.Connection, item_id: int, answer: RealtimeAnswer, now: float) -> None:
    conn.execute("INSERT OR REPLACE INTO realtime_answers (item_id, tier, paid_tier, response, at) "
                 "VALUES (?, ?, ?, ?, ?)", (item_id, answer.tier, answer.paid_tier, answer.response, now))


def get(conn: sqlite3.Connection, item_id: int) -> RealtimeAnswer | None:
    row = conn.execute("SELECT response, paid_tier, tier FROM realtime_answers WHERE item_id = ?",
                       (item_id,)).fetchone()
    return None if row is None else RealtimeAnswer(row[0], row[1], row[2])


def for_batch(conn: sqlite3.Connection, batch_id: int) -> Iterator[tuple[str, str]]:
    """(custom_id, response JSON text) of every answered item of a batch."""
    yield from conn.execute(
        "SELECT i.custom_id, a.response FROM realtime_answers a JOIN items i ON i.id = a.item_id "
        "WHERE i.batch_id = ?", (batch_id,))


def import_side_files(conn: sqlite3.Connection) -> int:
    """Move the answers of `results/*/promoted.jsonl` beside this database in (see above);
    returns how many were imported. The files are left where they are."""
    main = next((r[2] for r in conn.execute("PRAGMA database_list") if r[1] == "main"), "")
    if not main:
        return 0
    root = Path(main).parent / "results"
    if not root.is_dir():
        return 0
    imported = 0
    for batch_dir in sorted(root.iterdir()):
        side = batch_dir / SIDE_FILE
        if not batch_dir.name.isdigit() or not side.is_file():
            continue
        for cid, row in _side_lines(side):
            imported += _import_one(conn, int(batch_dir.name), cid, row)
    return imported


def _side_lines(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                row = json.loads(line)
            except ValueError:
                continue  # a line torn by a kill
            if (isinstance(row, dict) and isinstance(row.get("custom_id"), str)
                    and isinstance(row.get("response"), dict)):
                yield row["custom_id"], row


def _import_one(conn: sqlite3.Connection, batch_id: int, custom_id: str, row: dict[str, Any]) -> int:
    item = conn.execute(
        "SELECT i.id, i.output_tokens, i.promoted_tier FROM items i WHERE i.batch_id = ? AND i.custom_id = ? "
        "AND i.status = 'promoted' AND NOT EXISTS (SELECT 1 FROM realtime_answers a WHERE a.item_id = i.id)",
        (batch_id, custom_id)).fetchone()
    if item is None:
        return 0
    usage = row["response"].get("usage")
    out = None
    if isinstance(usage, dict):
        out = usage.get("completion_tokens", usage.get("output_tokens"))
    if isinstance(out, int) and item[1] is not None and out != item[1]:
        return 0  # another store's answer for the same local id and custom_id
    paid = row.get("paid_tier") or item[2] or "standard"
    tier = row.get("tier") if isinstance(row.get("tier"), str) else None
    insert(conn, item[0], RealtimeAnswer(json.dumps(row["response"], separators=(",", ":")), str(paid), tier),
           0.0)
    return 1
