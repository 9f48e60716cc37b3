"""Opening a store: where the file goes, how it is protected, and what is refused."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from store.migrations import LATEST
from store.prices import PriceBook
from store.store import Store, StoreError


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_default_path_is_under_xdg_data_home(tmp_path):
    with Store.open(price_book=PriceBook.shipped()) as s:
        assert s.path == tmp_path / "xdg-data" / "batchdeck" / "batchdeck.db"


def test_batchdeck_db_overrides_xdg_and_argument_overrides_both(tmp_path, monkeypatch):
    monkeypatch.setenv("BATCHDECK_DB", str(tmp_path / "env.db"))
    with Store.open(price_book=PriceBook.shipped()) as s:
        assert s.path == tmp_path / "env.db"
    with Store.open(tmp_path / "arg.db", price_book=PriceBook.shipped()) as s:
        assert s.path == tmp_path / "arg.db"


def test_home_fallback_when_xdg_data_home_is_unset(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with Store.open(price_book=PriceBook.shipped()) as s:
        assert s.path == tmp_path / "home" / ".local" / "share" / "batchdeck" / "batchdeck.db"


def test_new_file_is_private_and_its_directory_too(tmp_path):
    with Store.open(tmp_path / "new" / "dir" / "b.db", price_book=PriceBook.shipped()) as s:
        assert _mode(s.path) == 0o600
        assert _mode(s.path.parent) == 0o700


def test_connection_uses_wal_busy_timeout_and_foreign_keys(store):
    conn = store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST


def test_each_thread_gets_its_own_connection(store):
    import threading

    seen = []
    t = threading.Thread(target=lambda: seen.append(store.conn))
    t.start()
    t.join()
    assert seen[0] is not store.conn


def test_sqlite_utils_wraps_this_threads_connection(store):
    db = store.db
    assert db.conn is store.conn
    assert {"batches", "items", "events", "prices", "savings_rollup"} <= set(db.table_names())


def test_price_book_is_mirrored_into_the_prices_table(store):
    row = store.conn.execute(
        "SELECT input, output, batch_cached_input, source, effective FROM prices "
        "WHERE provider = 'gemini' AND model = 'gemini-2.5-flash'"
    ).fetchone()
    assert row == (0.30, 2.50, 0.03, "litellm 1.109.1 price map [S18]", "")


def test_reopening_migrates_nothing_and_keeps_rows(tmp_path):
    path = tmp_path / "b.db"
    with Store.open(path, price_book=PriceBook.shipped()) as s:
        s.append_event("test", "x", now=1.0, actor="a@b")
    with Store.open(path, price_book=PriceBook.shipped()) as s:
        assert [e.action for e in s.events()] == ["test"]


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE batches (id INTEGER PRIMARY KEY, hover_mode TEXT)")
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=rf"newer batchdeck .*schema v{LATEST + 1}.*upgrade batchdeck"):
        Store.open(path, price_book=PriceBook.shipped())
    assert path.read_bytes() == before
    assert not (tmp_path / "future.db-wal").exists()


def test_a_text_file_is_refused_with_a_recovery_hint(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 10)
    with pytest.raises(StoreError) as err:
        Store.open(path, price_book=PriceBook.shipped())
    message = str(err.value)
    assert "not a batchdeck database" in message and "move it aside" in message
    assert path.read_text().startswith("these are my notes")


def test_a_truncated_database_is_refused(tmp_path):
    path = tmp_path / "b.db"
    with Store.open(path, price_book=PriceBook.shipped()) as s:
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(size // 2)
    with pytest.raises(StoreError, match="truncated"):
        Store.open(path, price_book=PriceBook.shipped())


def test_garbage_after_a_valid_header_is_reported_as_damaged(tmp_path):
    path = tmp_path / "b.db"
    with Store.open(path, price_book=PriceBook.shipped()) as s:
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # page 1's b-tree (the schema) overwritten
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="damaged or not a batchdeck database"):
        Store.open(path, price_book=PriceBook.shipped())


def test_someone_elses_sqlite_database_is_not_adopted(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not batchdeck's"):
        Store.open(path, price_book=PriceBook.shipped())


def test_a_closed_store_says_so(tmp_path):
    s = Store.open(tmp_path / "b.db", price_book=PriceBook.shipped())
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.list_batches()
