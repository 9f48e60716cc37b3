"""A damaged database file: a clear one-sentence error with a recovery hint and exit code 1,
never a traceback; a file written by a newer schema is refused and left byte-for-byte as it was."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from tests.reliability.helpers import cli, cli_env

COMMANDS = [["ls"], ["show", "1"], ["savings"], ["sync", "--once"], ["export", "1"]]


def _real_store(tmp_path):
    """A store with 2,000 items, written by batchdeck itself (checkpointed: one file)."""
    from store import Store
    from store.model import BatchStatus, ItemResult, ItemStatus, RemoteBatch, Usage

    db = tmp_path / "real.db"
    store = Store.open(db)
    remote = RemoteBatch("openai", "batch_corrupt", BatchStatus.COMPLETED, "completed", model="gpt-6-luna",
                         ended_at=1_795_000_000.0)
    bid, _ = store.upsert_tracked(remote, profile="default", now=1_795_000_000.0)
    store.ingest_results(bid, (ItemResult(f"c{i}", ItemStatus.SUCCEEDED, usage=Usage(100, 50), model="gpt-6-luna")
                               for i in range(2_000)), results_path=None, now=1_795_000_000.0)
    store.append_event("test", str(bid), {"note": "x" * 2000})
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return db


def _assert_refused_cleanly(done, db):
    assert done.returncode == 1, (done.returncode, done.stdout[-300:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.stderr.startswith("batchdeck: ") and done.stderr.count("\n") == 1, done.stderr
    assert str(db) in done.stderr, done.stderr
    assert "unexpected error" not in done.stderr, done.stderr
    hint = done.stderr.lower()
    assert "move it aside" in hint or "restore" in hint or "backup" in hint, done.stderr


def _truncate(db):
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _garbage_header(db):
    db.write_bytes(b"this is not a database, it is a shopping list\n" * 200)


def _zeroed_header(db):
    data = bytearray(db.read_bytes())
    data[:100] = bytes(100)
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_truncate, _garbage_header, _zeroed_header])
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_a_damaged_file_is_refused_with_a_hint_and_no_traceback(tmp_path, damage, args):
    db = _real_store(tmp_path)
    damage(db)
    before = db.read_bytes()
    done = cli(args, cli_env(tmp_path, None), db, timeout=60)
    _assert_refused_cleanly(done, db)
    assert db.read_bytes() == before


def _scribble_over_pages(db):
    """Valid header, garbage in the middle: SQLite only notices when it reads those pages."""
    data = bytearray(db.read_bytes())
    for start in range(8192, len(data) - 4096, 16384):
        data[start:start + 4096] = b"\xde\xad\xbe\xef" * 1024
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("args", [["show", "1"], ["export", "1"]], ids=lambda a: " ".join(a))
def test_corrupted_pages_are_reported_like_any_other_damage(tmp_path, args):
    db = _real_store(tmp_path)
    _scribble_over_pages(db)
    done = cli(args, cli_env(tmp_path, None), db, timeout=60)
    _assert_refused_cleanly(done, db)


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("args", COMMANDS + [["--read-only", "ls"]], ids=lambda a: " ".join(a))
def test_a_store_from_a_newer_batchdeck_is_refused_and_left_byte_for_byte_unchanged(tmp_path, args):
    from store.migrations import LATEST

    db = _real_store(tmp_path)
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.execute("CREATE TABLE from_the_future (x)")
    conn.commit()
    conn.close()
    digest, size, mtime = _digest(db), db.stat().st_size, db.stat().st_mtime_ns
    done = cli(args, cli_env(tmp_path, None), db, timeout=60)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("batchdeck: ") and done.stderr.count("\n") == 1, done.stderr
    assert "newer" in done.stderr and f"v{LATEST + 1}" in done.stderr and "Traceback" not in done.stderr
    assert (_digest(db), db.stat().st_size, db.stat().st_mtime_ns) == (digest, size, mtime)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST + 1
    assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 2_000
    conn.close()


@pytest.mark.parametrize("args", [["ls"], ["savings"], ["show", "1", "--limit", "1"], ["sync", "--once"]],
                         ids=lambda a: " ".join(a))
def test_damage_in_the_middle_is_found_on_open_even_by_commands_that_would_not_read_it(tmp_path, args):
    # Issue 15 (8c): `ls` once passed over a damaged store and the first write failed later
    # with "unexpected error"; a quick check on open gives the documented sentence at once.
    db = _real_store(tmp_path)
    data = bytearray(db.read_bytes())
    middle = len(data) // 2 // 4096 * 4096  # one page of items, far from the batches table
    data[middle:middle + 4096] = b"\xde\xad\xbe\xef" * 1024
    db.write_bytes(bytes(data))
    before = db.read_bytes()
    done = cli(args, cli_env(tmp_path, None), db, timeout=60)
    _assert_refused_cleanly(done, db)
    assert db.read_bytes() == before
