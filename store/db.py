"""Opening the database file: permissions, pragmas, sanity checks, one connection per thread.

Why these settings:
- WAL lets the console read while the sync engine writes (readers never block writers and
  never see a half-written transaction).
- busy_timeout makes a second writer wait for the lock instead of failing at once; every
  write transaction starts with BEGIN IMMEDIATE so the wait happens at the start, where the
  busy handler can retry it, and never as a failed read-to-write upgrade mid-transaction.
- synchronous=NORMAL is durable across application crashes in WAL mode; only a power cut
  can lose the last transactions, which the sync engine re-fetches from the provider.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from store.errors import StoreError

BUSY_TIMEOUT_MS = 10_000
_SQLITE_MAGIC = b"SQLite format 3\x00"
_RECOVERY_HINT = (
    "move it aside (batchdeck will create a fresh one) or restore it from a backup"
)


def create_private_file(path: Path) -> None:
    """Create the parent directory (0700) and an empty file (0600) if missing."""
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(path, 0o600)  # in case the umask removed bits we asked for (never adds any)


def check_header(path: Path) -> None:
    """Refuse a file that is not an SQLite database, or is shorter than its header says.

    Cheap (reads 100 bytes): a full integrity check would take seconds on a large store.
    """
    size = path.stat().st_size
    if size == 0:
        return  # brand new
    with open(path, "rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise StoreError(f"{path} is not a batchdeck database (not an SQLite file); {_RECOVERY_HINT}.")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    change_counter = int.from_bytes(header[24:28], "big")
    pages = int.from_bytes(header[28:32], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    # The in-header page count is only meaningful when "version-valid-for" matches.
    if pages and valid_for == change_counter and size < pages * page_size:
        raise StoreError(
            f"{path} is truncated ({size} of {pages * page_size} bytes); {_RECOVERY_HINT}."
        )


def check_pages(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a file whose pages are damaged in the middle, before any command reads or writes
    it (else `ls` passes and the first write fails far from the cause). `PRAGMA quick_check`
    reads every page once but skips the index-content cross-checks of integrity_check
    (measured in the benchmark suite: "store open")."""
    problem = conn.execute("PRAGMA quick_check(1)").fetchone()
    if problem is not None and problem[0] != "ok":
        # SQLite's report spans lines ("*** in database main ***\nPage 23: ..."): the last
        # line names the damage, and the sentence stays one line.
        detail = str(problem[0]).strip().splitlines()[-1]
        raise StoreError(f"{path} is damaged ({detail}); {_RECOVERY_HINT}.")


def damaged(path: Path, exc: sqlite3.Error) -> StoreError:
    """The one-sentence error for a file SQLite itself rejects."""
    return StoreError(f"{path} is damaged or not a batchdeck database ({exc}); {_RECOVERY_HINT}.")


def connect(path: Path) -> sqlite3.Connection:
    """A new connection in autocommit mode with batchdeck's pragmas applied.

    `check_same_thread=False` only so that Store.close() may close every thread's
    connection; each connection is still used by the one thread that opened it.
    """
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreError(f"{path} cannot use WAL journaling (got {mode}); put it on a local disk.")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise damaged(path, exc) from exc
    return conn


class ThreadConnections:
    """One sqlite3 connection per thread, created on first use and all closed together."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def get(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StoreError(f"the store at {self.path} is closed; open it again.")
            conn = connect(self.path)
            self._local.conn = conn
            self._local.depth = 0
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE); nested uses join the outer one."""
        conn = self.get()
        if self._local.depth:
            self._local.depth += 1
            try:
                yield conn
            finally:
                self._local.depth -= 1
            return
        conn.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield conn
        except BaseException:
            self._local.depth = 0
            conn.execute("ROLLBACK")
            raise
        self._local.depth = 0
        conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error:  # pragma: no cover - closing is best effort
                pass
        self._local = threading.local()
