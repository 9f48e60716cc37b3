"""The schema, as an ordered list of forward migrations keyed by `PRAGMA user_version`.

Each step runs in its own IMMEDIATE transaction together with the bump of `user_version`, so a
crash leaves the file at the previous version, and two processes opening an old file at the
same moment migrate it once (the second re-reads the version after taking the write lock).
A file whose version is newer than `LATEST` was written by a newer batchdeck: it is refused
untouched rather than "repaired" by code that does not understand it.

Never edit a released step; append a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from store.errors import StoreError

# ---- v1 --------------------------------------------------------------------------------
# Money is USD (REAL), times are UTC epoch seconds (REAL), NULL means "not known".
V1 = """
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

# ---- v2 --------------------------------------------------------------------------------
# The failures view filters and groups by error type; Anthropic reports when a cancel was
# initiated, which decides "canceled" vs "expired" and is worth keeping.
V2 = """
CREATE INDEX items_by_error_type ON items (batch_id, error_type, seq) WHERE error_type IS NOT NULL;
ALTER TABLE batches ADD COLUMN cancel_requested_at REAL;
"""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[sqlite3.Connection], None]


# ---- v3 --------------------------------------------------------------------------------
# The console opens a 1,000,000-item batch by its item count; count(*) over the batch's index
# costs ~30 ms there, so the count is kept on the batch by every write that adds items.
V3 = """
ALTER TABLE batches ADD COLUMN item_count INTEGER NOT NULL DEFAULT 0;
UPDATE batches SET item_count = (SELECT count(*) FROM items WHERE items.batch_id = batches.id);
"""


# ---- v4 --------------------------------------------------------------------------------
# The detail screen groups a batch's failures by type and class. Through items_not_ok every
# failed row cost a table lookup (1,000 failures in a 1,000,000-item batch: ~11 ms warm, ~90 ms
# from a cold disk cache); this index holds all the grouping reads, so only index pages are read.
V4 = """
CREATE INDEX items_failure_groups ON items (batch_id, status, error_type, error_class)
    WHERE status NOT IN ('pending', 'succeeded');
"""


# ---- v5: resumable ingest (issue 15) ---------------------------------------------------
# An interrupted ingest resumes where it stopped: each chunk's transaction also records how far
# into its results file the committed rows reach (bytes, and lines for a tracked batch's seq).
V5 = """
ALTER TABLE result_files ADD COLUMN ingested_to INTEGER NOT NULL DEFAULT 0;
ALTER TABLE result_files ADD COLUMN ingested_lines INTEGER NOT NULL DEFAULT 0;
"""




def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        # Statement by statement: executescript() would COMMIT our transaction first.
        for statement in _split(sql):
            conn.execute(statement)

    return run


def _split(sql: str) -> list[str]:
    """Split a script into complete statements (trigger bodies contain semicolons)."""
    statements, current = [], ""
    for piece in sql.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \n;"):
                statements.append(current.strip())
            current = ""
    return statements


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "batches, items, events, prices, savings rollup", _script(V1)),
    Migration(2, "error-type index, batches.cancel_requested_at", _script(V2)),
    Migration(3, "batches.item_count", _script(V3)),
    Migration(4, "failure-groups index", _script(V4)),
    Migration(5, "result_files ingest checkpoint", _script(V5)),
)
LATEST = MIGRATIONS[-1].version


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: str = "the database") -> list[int]:
    """Bring `conn`'s database up to LATEST; return the versions applied (maybe none).

    `conn` must be in autocommit mode (isolation_level=None): each step is its own
    BEGIN IMMEDIATE ... COMMIT.
    """
    current = schema_version(conn)
    if current > LATEST:
        raise StoreError(
            f"{path} was written by a newer batchdeck (schema v{current}, this one knows up to "
            f"v{LATEST}); upgrade batchdeck, or point --db at another file."
        )
    applied: list[int] = []
    for step in MIGRATIONS:
        if step.version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the write lock.
            if schema_version(conn) >= step.version:
                conn.execute("COMMIT")
                current = step.version
                continue
            step.apply(conn)
            conn.execute(f"PRAGMA user_version = {int(step.version)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(step.version)
        current = step.version
    return applied


# ---- v6: claims, send leases, realtime answers (issue 15) -------------------------------
# Money is spent once: an item a running promote or resubmit is about to buy is claimed in
# the store (items.claim = the owner, items.claim_until = when the lease lapses) in the same
# transaction that checks it is still unbought; an aged submission intent is claimed the same
# way (batches.send_claim / send_claim_until) before a sync sends it. Paid realtime answers
# live in realtime_answers, written in the transaction that marks the item promoted (they were
# side files beside the database, shared by every store in that directory).
# batches.promoted counts the batch's items a promotion answered, kept by that transaction,
# so a batch's counts move while a promote runs.
V6_CLAIMS = """
ALTER TABLE items ADD COLUMN claim TEXT;
ALTER TABLE items ADD COLUMN claim_until REAL;
CREATE INDEX items_claimed ON items (batch_id) WHERE claim IS NOT NULL;
ALTER TABLE batches ADD COLUMN send_claim TEXT;
ALTER TABLE batches ADD COLUMN send_claim_until REAL;
ALTER TABLE batches ADD COLUMN promoted INTEGER NOT NULL DEFAULT 0;
UPDATE batches SET promoted = (SELECT count(*) FROM items
                               WHERE items.batch_id = batches.id AND items.status = 'promoted');
CREATE TABLE realtime_answers (
    item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    tier TEXT,
    paid_tier TEXT NOT NULL,
    response TEXT NOT NULL,
    at REAL NOT NULL
);
"""


def _claims_v6(conn: sqlite3.Connection) -> None:
    _script(V6_CLAIMS)(conn)
    from store.answers import import_side_files

    # The side files of the answers' old home are read in this same step: imported once.
    import_side_files(conn)


MIGRATIONS = (*MIGRATIONS, Migration(6, "item claims, send leases, realtime answers",
                                     _claims_v6))


# ---- v7: sync lease and per-account health (live-fleet-14) ---------------------------------
# One row in sync_lease at most: the process that syncs (a console or `batchdeck sync`), with
# its heartbeat; others read it to stand by and to say how fresh the data is. sync_profiles
# keeps, per (provider, profile), the last success and the last error of any provider call a
# sync pass made, and how far the account's list has been read (discovery's high-water mark).
V_LIVE_FLEET_SYNC = """
CREATE TABLE sync_lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    holder TEXT NOT NULL,
    who TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    acquired_at REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    last_pass_at REAL
);
CREATE TABLE sync_profiles (
    provider TEXT NOT NULL,
    profile TEXT NOT NULL,
    last_success_at REAL,
    last_error_at REAL,
    last_error TEXT,
    failing_since REAL,
    listed_until REAL,
    listed_first_id TEXT,
    listed_at REAL,
    PRIMARY KEY (provider, profile)
);
"""

MIGRATIONS = (*MIGRATIONS, Migration(7, "sync lease, heartbeat and per-profile health (live-fleet-14)",
                                     _script(V_LIVE_FLEET_SYNC)))


# ---- v8: what is known of a tracked batch's inputs (live-fleet-14) -------------------------
# NULL: a batch we submitted (its items were recorded at submit), or older rows.
# 'pending': the provider keeps the input (OpenAI input file), not read yet; 'read': read;
# 'unknown': the provider cannot give it back (Anthropic) and no file was attached;
# 'attached': the operator attached the original file (--input FILE / attach).
V_LIVE_FLEET_INPUTS = """
ALTER TABLE batches ADD COLUMN inputs TEXT;
"""

MIGRATIONS = (*MIGRATIONS, Migration(8, "batches.inputs (live-fleet-14)",
                                     _script(V_LIVE_FLEET_INPUTS)))


# ---- v9: when a batch's results stop being downloadable (live-fleet-14) ---------------------
# Anthropic: archived_at, or 29 days after creation; OpenAI: the output file's expires_at.
V_LIVE_FLEET_RETENTION = """
ALTER TABLE batches ADD COLUMN results_until REAL;
"""

MIGRATIONS = (*MIGRATIONS, Migration(9, "batches.results_until (live-fleet-14)",
                                     _script(V_LIVE_FLEET_RETENTION)))


# ---- v10: alert state, sync health, deadline guard spending (alerts-19) --------------------
# Alerts (console/engine/alerts): one row per condition ever raised, so a restart knows what
# was already said; the heartbeat every sync pass leaves (the lease's goes with its holder);
# the deadline guard's spending, claimed before each promote so the caps hold across processes.
V_ALERTS = """
CREATE TABLE alert_state (
    key TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    subject TEXT NOT NULL,
    batch_id INTEGER,
    active INTEGER NOT NULL DEFAULT 1,
    started_at REAL NOT NULL,
    last_seen_at REAL NOT NULL,
    clear_since REAL,
    resolved_at REAL,
    last_sent_at REAL,
    last_event TEXT,
    sends INTEGER NOT NULL DEFAULT 0,
    delivery TEXT,
    title TEXT NOT NULL,
    details TEXT
);
CREATE INDEX alert_state_active ON alert_state (active, rule);
CREATE TABLE alert_sync_health (
    scope TEXT PRIMARY KEY,
    last_ok_at REAL,
    failing_since REAL,
    last_error TEXT,
    updated_at REAL NOT NULL
);
CREATE TABLE guard_spend (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES batches(id),
    at REAL NOT NULL,
    tier TEXT NOT NULL,
    claimed REAL NOT NULL,
    spent REAL
);
CREATE INDEX guard_spend_at ON guard_spend (at);
"""

MIGRATIONS = (*MIGRATIONS, Migration(10, "alert state, sync health, deadline guard spending (alerts-19)",
                                     _script(V_ALERTS)))


# ---- v11 (branch providers-16): truncated successes, reported costs ---------------------
# Truncated successes (output limit reached, refusal) are flagged per item
# and counted per batch, so they can be filtered and shown beside the failures; a batch keeps
# what the provider itself says it cost (billed and list), where it says so (Doubleword).
V_PROVIDERS = """
ALTER TABLE items ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN reported_cost REAL;
ALTER TABLE batches ADD COLUMN reported_list_cost REAL;
CREATE INDEX items_truncated ON items (batch_id, seq) WHERE truncated = 1;
"""

MIGRATIONS = (*MIGRATIONS, Migration(11, "items.truncated, batches.truncated and reported costs",
                                     _script(V_PROVIDERS)))
LATEST = MIGRATIONS[-1].version



# ---- v12 (branch inputs-expiry-14): inputs' retention, last export, the submit window ------
# inputs_until: when the provider stops serving a batch's requests (OpenAI: the input file's
# expires_at), so a tracked batch whose inputs are not read yet counts down. exported_at: the
# last `export` that carried the batch's results (results are then safe in the operator's file).
# completion_window: the window `submit --window` asked for, kept on the intent so a send
# after a crash asks for the same one.
V_INPUTS_EXPIRY = """
ALTER TABLE batches ADD COLUMN inputs_until REAL;
ALTER TABLE batches ADD COLUMN exported_at REAL;
ALTER TABLE batches ADD COLUMN completion_window TEXT;
"""

MIGRATIONS = (*MIGRATIONS, Migration(12, "batches.inputs_until, exported_at, completion_window (inputs-expiry-14)",
                                     _script(V_INPUTS_EXPIRY)))
LATEST = MIGRATIONS[-1].version
