"""Schema v5 (trust-money-15): paid realtime answers move from side files into the store.

The store is made the way the code before it laid things out: a v4 database whose promoted
items' answers sit in `results/<local batch id>/promoted.jsonl` beside it, one JSON line each
({"custom_id", "tier", "paid_tier", "response"}), possibly with a torn last line.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from store import Store
from store.migrations import MIGRATIONS


def _v4_store_with_promoted_items(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[:4]:
        conn.execute("BEGIN IMMEDIATE")
        step.apply(conn)
        conn.execute(f"PRAGMA user_version = {step.version}")
        conn.execute("COMMIT")
    conn.execute("INSERT INTO batches (id, provider, status, item_count) VALUES (1, 'openai', 'in_progress', 3)")
    for seq, (cid, status, out) in enumerate([("a", "promoted", 7), ("b", "promoted", 9), ("c", "pending", None)]):
        conn.execute("INSERT INTO items (batch_id, seq, custom_id, status, output_tokens, promoted_tier) "
                     "VALUES (1, ?, ?, ?, ?, ?)", (seq, cid, status, out, "flex" if status == "promoted" else None))
    conn.close()


def _answer(cid: str, completion_tokens: int, model: str = "gpt-6-luna") -> str:
    response = {"id": f"chatcmpl-{cid}", "model": model, "choices": [],
                "usage": {"prompt_tokens": 3, "completion_tokens": completion_tokens}}
    return json.dumps({"custom_id": cid, "tier": "flex", "paid_tier": "flex", "response": response},
                      separators=(",", ":")) + "\n"


def test_side_file_answers_are_imported_once_onto_this_stores_promoted_items(tmp_path):
    db = tmp_path / "batchdeck.db"
    _v4_store_with_promoted_items(db)
    side = tmp_path / "results" / "1" / "promoted.jsonl"
    side.parent.mkdir(parents=True)
    side.write_text(_answer("a", 7)
                    + _answer("b", 55, model="other-store")  # another store's answer: its tokens differ
                    + _answer("c", 4)                         # an item this store never marked promoted
                    + '{"custom_id":"b","tier":"fl')          # a line torn by a kill
    with Store.open(db) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] >= 6
        [a, b, c] = store.page_items(1, offset=0, limit=3)
        kept = store.realtime_answer(a.id)
        assert kept is not None and kept.paid_tier == "flex"
        assert json.loads(kept.response)["id"] == "chatcmpl-a"
        assert store.realtime_answer(b.id) is None and store.realtime_answer(c.id) is None
        assert store.get_batch(1).promoted == 2  # counted from the items by the migration
    side.write_text(_answer("a", 7) + _answer("b", 9))  # later writes to the old file are not read
    with Store.open(db) as store:
        assert store.conn.execute("SELECT count(*) FROM realtime_answers").fetchone()[0] == 1
    assert side.exists()  # the operator's file is left where it was


def test_a_store_without_side_files_migrates_to_an_empty_answers_table(tmp_path):
    db = tmp_path / "fresh.db"
    _v4_store_with_promoted_items(db)
    with Store.open(db) as store:
        assert store.conn.execute("SELECT count(*) FROM realtime_answers").fetchone()[0] == 0
        assert store.realtime_answers(1) == {}
