"""The audit log: who did what, when, to which target. Append-only.

`actor()` names the operator as `user@host`; events never carry secrets (callers pass ids,
counts and costs in `details`, not keys or request bodies).
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import sqlite3
import time
from typing import Any

from store.db import ThreadConnections
from store.model import Event
from store.rows import event_from_row


def actor() -> str:
    """`user@host` for the current process (uid when the user has no name, e.g. in containers)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid{os.getuid()}"
    return f"{user}@{socket.gethostname() or 'localhost'}"


def append_event(db: ThreadConnections, action: str, target: str | None = None,
                 details: dict[str, Any] | None = None, *, actor_name: str | None = None,
                 now: float | None = None) -> int:
    with db.transaction() as conn:
        event_id = conn.execute(
            "INSERT INTO events (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
            (
                time.time() if now is None else now,
                actor_name or actor(),
                action,
                target,
                json.dumps(details, sort_keys=True, default=str) if details else None,
            ),
        ).lastrowid
        assert event_id is not None  # an INSERT always sets it
        return event_id


def events(conn: sqlite3.Connection, *, limit: int = 200, offset: int = 0, action: str | None = None,
           text: str | None = None) -> list[Event]:
    where, args = [], []
    if action is not None:
        where.append("action = ?")
        args.append(action)
    if text:
        # instr() rather than LIKE: no wildcard escaping, and case-insensitive via lower().
        needle = text.lower()
        where.append(
            "(instr(lower(action), ?) OR instr(lower(coalesce(target, '')), ?)"
            " OR instr(lower(actor), ?) OR instr(lower(coalesce(details, '')), ?))"
        )
        args.extend([needle] * 4)
    sql = "SELECT id, at, actor, action, target, details FROM events"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
    return [event_from_row(r) for r in conn.execute(sql, [*args, limit, offset])]
