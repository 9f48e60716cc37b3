"""Read-only access to a store file for operators: ad-hoc SQL (`batchdeck query`) and the
schema as SQLite itself reports it (`batchdeck info`), both through sqlite-utils.

Why two locks on one door: the connection is opened `mode=ro` (SQLite refuses every write to
the file), and an authorizer allows only reading statements, so a write, an ATTACH (which
could open or create another file), or a pragma that changes state is refused *before* it
runs, with a sentence that names what was refused. The file is never created, migrated or
checkpointed here: a path with no store is an error, not a new empty store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from store.errors import StoreError
from store.migrations import LATEST, schema_version

if TYPE_CHECKING:  # sqlite_utils loads on first use (~140 ms): `batchdeck --help` stays light
    import sqlite_utils

READ_PRAGMAS = frozenset({
    "user_version", "schema_version", "application_id", "page_count", "page_size", "freelist_count",
    "encoding", "compile_options", "database_list", "collation_list", "function_list", "module_list",
    "pragma_list", "journal_mode",
})
"""Pragmas a query may use bare: they only read without a value (`PRAGMA x = y` writes)."""
LOOKUP_PRAGMAS = frozenset({
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
    "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check",
})
"""Pragmas that only read whatever their argument (a table or index name, a row limit)."""

_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
_ACTION_NAMES = (  # authorizer action codes, named as the refusal sentence says them
    "CREATE_INDEX", "CREATE_TABLE", "CREATE_TEMP_INDEX", "CREATE_TEMP_TABLE", "CREATE_TEMP_TRIGGER",
    "CREATE_TEMP_VIEW", "CREATE_TRIGGER", "CREATE_VIEW", "DELETE", "DROP_INDEX", "DROP_TABLE",
    "DROP_TEMP_INDEX", "DROP_TEMP_TABLE", "DROP_TEMP_TRIGGER", "DROP_TEMP_VIEW", "DROP_TRIGGER",
    "DROP_VIEW", "INSERT", "PRAGMA", "TRANSACTION", "UPDATE", "ATTACH", "DETACH", "ALTER_TABLE",
    "REINDEX", "ANALYZE", "CREATE_VTABLE", "DROP_VTABLE", "SAVEPOINT",
)
_ACTIONS = {getattr(sqlite3, f"SQLITE_{n}"): n.lower().replace("_", " ") for n in _ACTION_NAMES}
_PHRASES = {sqlite3.SQLITE_INSERT: "insert into", sqlite3.SQLITE_DELETE: "delete from",
            sqlite3.SQLITE_PRAGMA: "set the pragma", sqlite3.SQLITE_ATTACH: "attach another database"}


class NoStore(StoreError):
    """The path names no store file (nothing is created here)."""


class QueryRefused(StoreError):
    """A statement that would change the store (or reach outside it); the message says which."""


class QueryFailed(StoreError):
    """SQL that SQLite could not run (a syntax error, an unknown table); the message is SQLite's."""


@dataclass(frozen=True, slots=True)
class TableInfo:
    name: str
    rows: int
    columns: list[tuple[str, str]]
    """(name, declared type), in table order."""


@dataclass(frozen=True, slots=True)
class StoreInfo:
    path: str
    bytes: int
    schema_version: int
    latest_version: int
    sqlite_version: str
    journal_mode: str
    tables: list[TableInfo] = field(default_factory=list)
    views: list[str] = field(default_factory=list)


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise NoStore(f"there is no batchdeck store at {path}; give --db the path of an existing store.")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} cannot be read as a batchdeck store ({exc}).") from exc
    return conn


@contextmanager
def _database(path: Path) -> Iterator[sqlite_utils.Database]:
    import sqlite_utils

    conn = _connect(path)
    try:
        yield sqlite_utils.Database(conn, execute_plugins=False, recursive_triggers=False)
    finally:
        conn.close()


class _Guard:
    """The authorizer: remembers the first refused action so the error can name it."""

    def __init__(self) -> None:
        self.refused: str | None = None

    def __call__(self, action: int, arg1: str | None, arg2: str | None, db: str | None,
                 _trigger: str | None) -> int:
        if action in _ALLOWED:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            if name in LOOKUP_PRAGMAS or (arg2 is None and name in READ_PRAGMAS):
                return sqlite3.SQLITE_OK
        if self.refused is None:
            what = _PHRASES.get(action) or _ACTIONS.get(action, f"action {action}")
            self.refused = f"{what} {arg1}" if arg1 and action != sqlite3.SQLITE_ATTACH else what
        return sqlite3.SQLITE_DENY


def _verb(sql: str) -> str:
    words = sql.split(None, 1)
    return words[0].upper()[:20] if words else "the statement"


def query(path: Path, sql: str) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """Run one reading statement; (column names, rows streamed). Raises QueryRefused for
    anything that would write or attach, QueryFailed for SQL SQLite cannot run."""
    import sqlite_utils

    conn = _connect(path)
    db = sqlite_utils.Database(conn, execute_plugins=False, recursive_triggers=False)
    guard = _Guard()
    conn.set_authorizer(guard)  # after sqlite-utils is set up: from here on, the statement only
    try:
        cursor = db.execute(sql)
    except sqlite3.Error as exc:
        conn.close()
        if guard.refused is not None:
            raise QueryRefused(f"query refused: {_verb(sql)} is not a read-only statement (it would "
                               f"{guard.refused}); `batchdeck query` runs only SELECT, WITH ... SELECT "
                               "or a reading PRAGMA.") from None
        if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc):
            raise QueryRefused(f"query refused: {_verb(sql)} would write to the store; "
                               "`batchdeck query` only reads.") from None
        raise QueryFailed(f"query failed: {exc}.") from None
    columns = [d[0] for d in cursor.description or ()]

    def rows() -> Iterator[tuple[Any, ...]]:
        try:
            yield from cursor
        except sqlite3.Error as exc:
            raise QueryFailed(f"query failed: {exc}.") from None
        finally:
            conn.close()

    return columns, rows()


def info(path: Path) -> StoreInfo:
    """What the file holds, as sqlite-utils introspects it: tables (rows, columns), views,
    and the schema version beside the one this batchdeck writes."""
    with _database(path) as db:
        conn = db.conn
        tables = [TableInfo(t.name, t.count, [(c.name, c.type) for c in t.columns])
                  for t in db.tables if not t.name.startswith("sqlite_")]
        return StoreInfo(
            path=str(path), bytes=path.stat().st_size, schema_version=schema_version(conn),
            latest_version=LATEST, sqlite_version=sqlite3.sqlite_version,
            journal_mode=str(conn.execute("PRAGMA journal_mode").fetchone()[0]),
            tables=tables, views=list(db.view_names()),
        )
