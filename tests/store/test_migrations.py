"""Forward migrations: a database written by an older batchdeck opens with every row intact.

V1_DDL below is a frozen copy of the schema as batchdeck v1 created it. It must never be
edited: it stands for files already on users' disks.
"""

from __future__ import annotations

import sqlite3

import pytest

from store.migrations import LATEST, MIGRATIONS, migrate
from store.model import BatchStatus, ItemStatus
from store.prices import PriceBook
from store.store import Store

V1_DDL = """
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    profile TEXT NOT NULL DEFAULT 'default',
    provider_batch_id TEXT,
    status TEXT NOT NULL,
    raw_status TEXT,
    endpoint TEXT,
    model TEXT,
    label TEXT,
    job_id TEXT,
    total INTEGER NOT NULL DEFAULT 0,
    succeeded INTEGER NOT NULL DEFAULT 0,
    errored INTEGER NOT NULL DEFAULT 0,
    expired INTEGER NOT NULL DEFAULT 0,
    canceled INTEGER NOT NULL DEFAULT 0,
    processing INTEGER NOT NULL DEFAULT 0,
    created_at REAL,
    started_at REAL,
    ended_at REAL,
    expires_at REAL,
    deadline REAL,
    input_file_id TEXT,
    output_file_id TEXT,
    error_file_id TEXT,
    results_url TEXT,
    parent_id INTEGER REFERENCES batches(id),
    submitted_by TEXT,
    submit_token TEXT UNIQUE,
    errors TEXT,
    results_path TEXT,
    ingested_at REAL,
    updated_at REAL,
    tracked INTEGER NOT NULL DEFAULT 0,
    metadata TEXT,
    rollup_stale INTEGER NOT NULL DEFAULT 0,
    UNIQUE (provider, provider_batch_id)
);
CREATE INDEX batches_by_status ON batches (status);
CREATE INDEX batches_by_parent ON batches (parent_id);

CREATE TABLE batch_status_history (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    at REAL NOT NULL,
    status TEXT NOT NULL,
    raw_status TEXT
);
CREATE INDEX status_history_by_batch ON batch_status_history (batch_id, at);

-- Downloaded results files, kept immutable on disk: an item points at its raw line by
-- (result_file, offset, length) instead of copying it (OpenAI splits output and errors
-- into two files, hence a table rather than one path per batch).
CREATE TABLE result_files (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    UNIQUE (batch_id, path)
);

CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    custom_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    result_status TEXT,
    model TEXT,
    error_class TEXT,
    error_type TEXT,
    error_message TEXT,
    http_status INTEGER,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cache_read_tokens INTEGER,
    cache_write_tokens INTEGER,
    batch_cost REAL,
    realtime_cost REAL,
    promoted_cost REAL,
    promoted_tier TEXT,
    billed_day TEXT,
    -- Links between an item and its replacement (no FK: a self-reference would make every
    -- delete of items scan items for children; a link to a deleted batch is just dangling).
    replaced_by INTEGER,
    replaces INTEGER,
    result_file INTEGER,  -- result_files.id (no FK: checked per row on the ingest hot path)
    result_offset INTEGER,
    result_length INTEGER,
    updated_at REAL
);
CREATE UNIQUE INDEX items_by_custom_id ON items (batch_id, custom_id);
CREATE INDEX items_by_seq ON items (batch_id, seq);
-- Partial: only the rows the failures view filters for, so ingesting a batch that mostly
-- succeeds does not rewrite an index entry per item. Queries repeat the WHERE verbatim.
CREATE INDEX items_not_ok ON items (batch_id, status, seq) WHERE status NOT IN ('pending', 'succeeded');

-- Request bodies apart from items: a body can be kilobytes, and ingest rewrites every item
-- row; keeping bodies out makes those rewrites (and item pages) small.
CREATE TABLE item_requests (
    item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    body TEXT NOT NULL
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    details TEXT
);
CREATE INDEX events_by_action ON events (action, id);

CREATE TABLE prices (
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    input REAL NOT NULL,
    output REAL NOT NULL,
    cached_input REAL,
    cache_write REAL,
    batch_discount REAL NOT NULL DEFAULT 0.5,
    batch_input REAL,
    batch_output REAL,
    batch_cached_input REAL,
    batch_cache_write REAL,
    flex_multiplier REAL,
    priority_multiplier REAL,
    source TEXT NOT NULL DEFAULT '',
    effective TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT 'book',
    PRIMARY KEY (provider, model)
);

-- Running savings totals per (batch, model, UTC day), so the console's once-a-second
-- aggregates read a few thousand rows instead of millions of items. Kept by store/rollup.py in
-- the same transaction as every item write. Only settled items (status <> 'pending')
-- contribute; an unpriced item adds to unpriced_items and to no dollar column.
CREATE TABLE savings_rollup (
    batch_id INTEGER NOT NULL,
    model TEXT NOT NULL,
    day TEXT NOT NULL,
    items INTEGER NOT NULL DEFAULT 0,
    priced_items INTEGER NOT NULL DEFAULT 0,
    unpriced_items INTEGER NOT NULL DEFAULT 0,
    failed_waiting INTEGER NOT NULL DEFAULT 0,
    batch_cost REAL NOT NULL DEFAULT 0,
    realtime_cost REAL NOT NULL DEFAULT 0,
    promoted_cost REAL NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (batch_id, model, day)
) WITHOUT ROWID;
CREATE INDEX savings_rollup_by_day ON savings_rollup (day);
"""

T0 = 1_795_000_000.0


def _make_v1_database(path):
    conn = sqlite3.connect(path)
    conn.executescript(V1_DDL)
    conn.executescript(
        f"""
        INSERT INTO batches (id, provider, profile, provider_batch_id, status, raw_status, model,
            total, succeeded, errored, created_at, ended_at, submitted_by, submit_token, tracked)
        VALUES (1, 'openai', 'default', 'batch_old1', 'completed', 'completed', 'gpt-6-luna',
            3, 2, 1, {T0}, {T0 + 600}, 'ana@box', 'tok-1', 0),
               (2, 'anthropic', 'prod', 'msgbatch_old2', 'in_progress', 'in_progress',
            'claude-haiku-5-5', 1, 0, 0, {T0 + 10}, NULL, NULL, NULL, 1);
        INSERT INTO batch_status_history (batch_id, at, status, raw_status) VALUES
            (1, {T0}, 'submitting', NULL), (1, {T0 + 600}, 'completed', 'completed');
        INSERT INTO items (id, batch_id, seq, custom_id, status, result_status, model, error_class,
            error_type, http_status, input_tokens, output_tokens, batch_cost, realtime_cost, billed_day)
        VALUES (1, 1, 0, 'a', 'succeeded', 'succeeded', 'gpt-6-luna', NULL, NULL, 200, 1000, 200,
                0.0001, 0.0002, '2026-11-18'),
               (2, 1, 1, 'b', 'succeeded', 'succeeded', 'gpt-6-luna', NULL, NULL, 200, 1000, 200,
                0.0001, 0.0002, '2026-11-18'),
               (3, 1, 2, 'c', 'errored', 'errored', 'gpt-6-luna', 'retryable', 'rate_limit_error',
                429, NULL, NULL, 0.0, 0.0, '2026-11-18'),
               (4, 2, 0, 'z', 'pending', NULL, 'claude-haiku-5-5', NULL, NULL, NULL, NULL, NULL,
                NULL, NULL, NULL);
        INSERT INTO item_requests (item_id, body) VALUES (1, '{{"n": 1}}'), (4, '{{"n": 4}}');
        INSERT INTO events (at, actor, action, target, details)
            VALUES ({T0}, 'ana@box', 'submit', 'batch 1', '{{"requests": 3}}');
        INSERT INTO savings_rollup VALUES (1, 'gpt-6-luna', '2026-11-18', 3, 3, 0, 1, 0.0002, 0.0004, 0, 2000, 400);
        PRAGMA user_version = 1;
        """
    )
    conn.commit()
    conn.close()


def test_a_v1_database_opens_migrated_with_every_row(tmp_path):
    path = tmp_path / "old.db"
    _make_v1_database(path)
    with Store.open(path, price_book=PriceBook.shipped()) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
        old, tracked = store.get_batch(1), store.get_batch("msgbatch_old2")
        assert (old.provider_batch_id, old.status, old.counts.succeeded, old.submitted_by) == (
            "batch_old1", BatchStatus.COMPLETED, 2, "ana@box")
        assert (tracked.profile, tracked.tracked, tracked.cancel_requested_at) == ("prod", True, None)
        assert store.status_history(1) == [(T0, "submitting", None), (T0 + 600, "completed", "completed")]
        items = store.page_items(1, offset=0, limit=10)
        assert [(i.custom_id, i.status) for i in items] == [
            ("a", ItemStatus.SUCCEEDED), ("b", ItemStatus.SUCCEEDED), ("c", ItemStatus.ERRORED)]
        assert store.get_item(1).request == '{"n": 1}'
        assert store.count_items(1, error_type="rate_limit_error") == 1  # v2's index answers this
        assert [e.details for e in store.events()] == [{"requests": 3}]
        row = store.savings(by="batch")[0]
        assert (row.items, row.savings) == (3, pytest.approx(0.0002))
        # v2's column is usable on the old rows.
        store.set_batch_fields(2, cancel_requested_at=T0 + 50)
        assert store.get_batch(2).cancel_requested_at == T0 + 50
        # v3 backfilled each batch's kept item count from its rows.
        assert store.count_items(1) == store.conn.execute(
            "SELECT count(*) FROM items WHERE batch_id = 1").fetchone()[0] > 0


def test_migrations_are_ordered_and_each_bumps_the_version_once(tmp_path):
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST + 1))
    path = tmp_path / "old.db"
    _make_v1_database(path)
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn) == list(range(2, LATEST + 1))  # every step after v1, once
    assert migrate(conn) == []
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    # v4: failure groups are read from an index that holds everything they need.
    plan = conn.execute("EXPLAIN QUERY PLAN SELECT error_type, error_class, count(*) FROM items "
                        "WHERE batch_id = 1 AND status = 'errored' AND status NOT IN ('pending', 'succeeded') "
                        "GROUP BY 1, 2").fetchall()
    assert any("COVERING INDEX items_failure_groups" in row[-1] for row in plan), plan
    conn.close()


def test_a_failed_step_leaves_the_file_at_the_old_version(tmp_path):
    path = tmp_path / "old.db"
    _make_v1_database(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("ALTER TABLE batches ADD COLUMN cancel_requested_at REAL")  # makes step 2 fail
    with pytest.raises(sqlite3.OperationalError, match="duplicate column"):
        migrate(conn)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'items_by_error_type'").fetchone()[0] == 0
    conn.close()
