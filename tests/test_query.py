"""`batchdeck query SQL` and `batchdeck info`: the store read as SQL, read-only, on a real store
file that real commands wrote (a submit to the emulator, then a sync)."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.emulator.testing import running_emulator
from tests.engine.conftest import openai_lines, write_jsonl

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A store with one submitted batch of 6 requests, written by the command line itself."""
    tmp = tmp_path_factory.mktemp("query")
    db = tmp / "q.db"
    with running_emulator(seed=5) as emu:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_", "BATCHDECK_"))},
               "OPENAI_API_KEY": "sk-test-query-key-123456", "OPENAI_BASE_URL": emu.base_url_openai,
               "XDG_DATA_HOME": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "config")}
        path = write_jsonl(tmp / "in.jsonl", openai_lines(6))
        done = subprocess.run([sys.executable, "-m", "console.cli", "--db", str(db), "submit", str(path),
                               "--provider", "openai", "--label", "q-test", "--format", "json"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    return db


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console.cli", "--db", str(db), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def fingerprint(db: Path) -> tuple:
    conn = sqlite3.connect(db)
    try:
        return (conn.execute("SELECT count(*), max(id) FROM events").fetchone(),
                conn.execute("SELECT count(*) FROM items").fetchone(),
                conn.execute("SELECT group_concat(label) FROM batches").fetchone(),
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone(),
                conn.execute("PRAGMA user_version").fetchone())
    finally:
        conn.close()


def test_query_answers_as_json_csv_and_table(filled):
    sql = "SELECT b.label, count(*) AS items FROM items i JOIN batches b ON b.id = i.batch_id GROUP BY b.id"
    as_json = run(filled, "query", sql, "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == [{"label": "q-test", "items": 6}]

    as_csv = run(filled, "query", sql, "--format", "csv")
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [["label", "items"], ["q-test", "6"]]

    as_table = run(filled, "query", sql)
    assert as_table.stdout.splitlines() == ["label   items", "q-test  6"]


def test_query_with_no_rows_and_a_reading_pragma(filled):
    assert json.loads(run(filled, "query", "SELECT * FROM batches WHERE 0", "--format", "json").stdout) == []
    cols = run(filled, "query", "PRAGMA table_info(items)", "--format", "json")
    assert "custom_id" in {c["name"] for c in json.loads(cols.stdout)}


@pytest.mark.parametrize("sql, verb", [
    ("INSERT INTO events (at, actor, action, details) VALUES (1, 'x', 'forged', '{}')", "INSERT"),
    ("UPDATE batches SET label = 'changed'", "UPDATE"),
    ("DELETE FROM items", "DELETE"),
    ("ATTACH DATABASE 'elsewhere.db' AS other", "ATTACH"),
    ("DROP TABLE events", "DROP"),
    ("CREATE TABLE t (x)", "CREATE"),
    ("PRAGMA user_version = 99", "PRAGMA"),
    ("PRAGMA journal_mode = DELETE", "PRAGMA"),
    ("VACUUM", "VACUUM"),
    ("REPLACE INTO events (at, actor, action, details) VALUES (1, 'x', 'forged', '{}')", "REPLACE"),
    ("WITH x AS (SELECT 1) DELETE FROM items", "WITH"),
])
def test_a_statement_that_would_change_the_store_is_refused_with_exit_2_and_one_sentence(filled, sql, verb, tmp_path):
    before = fingerprint(filled)
    done = subprocess.run([sys.executable, "-m", "console.cli", "--db", str(filled), "query", sql], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"batchdeck: query refused: {verb} is not a read-only statement")
    assert len(done.stderr.strip().splitlines()) == 1
    assert fingerprint(filled) == before
    assert not (tmp_path / "elsewhere.db").exists()


def test_sql_that_cannot_run_is_bad_input_in_one_sentence(filled):
    for sql, words in (("SELECT * FROM nope", "no such table: nope"), ("SELEC 1", "syntax error"),
                       ("SELECT 1; SELECT 2", "one statement at a time")):
        done = run(filled, "query", sql)
        assert done.returncode == 2, sql
        assert done.stderr.startswith("batchdeck: query failed:") and words in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_query_and_info_never_create_a_store(tmp_path):
    missing = tmp_path / "nothing-here.db"
    for args in (("query", "SELECT 1"), ("info",)):
        done = run(missing, *args)
        assert done.returncode == 2
        assert done.stderr == (f"batchdeck: there is no batchdeck store at {missing}; "
                               "give --db the path of an existing store\n")
    assert not missing.exists()


def test_info_shows_schema_version_tables_and_rows_through_introspection(filled):
    from store.migrations import LATEST

    data = json.loads(run(filled, "info", "--format", "json").stdout)
    assert data["schema_version"] == LATEST == data["latest_schema_version"]
    assert data["journal_mode"] == "wal"
    tables = {t["name"]: t for t in data["tables"]}
    assert {"batches", "items", "events", "prices", "savings_rollup"} <= set(tables)
    assert tables["items"]["rows"] == 6 and tables["batches"]["rows"] == 1
    assert {"name": "custom_id", "type": "TEXT"} in tables["items"]["columns"]

    text = run(filled, "info").stdout
    assert f"schema  v{LATEST} (current)" in text
    assert any(line.split()[:2] == ["items", "6"] for line in text.splitlines())


def test_a_table_stops_at_its_limit_and_says_so_while_csv_streams_every_row(filled):
    sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) SELECT i FROM n"
    shown = run(filled, "query", sql)
    assert shown.returncode == 0
    assert len(shown.stdout.splitlines()) == 1 + 1000
    assert shown.stderr == "batchdeck: showing the first 1,000 rows; --format csv or json prints them all\n"
    every = run(filled, "query", sql, "--format", "csv")
    assert every.stdout.splitlines()[-1] == "1500" and len(every.stdout.splitlines()) == 1501
    assert len(json.loads(run(filled, "query", sql, "--format", "json").stdout)) == 1500
