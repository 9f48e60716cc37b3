"""Writes to the batches table: the submit intent, provider polls, tracked batches, history.

Every status change also appends a row to batch_status_history (the timeline the detail view
shows), in the same transaction as the change.
"""

from __future__ import annotations

import json
import sqlite3
import time
from enum import Enum
from typing import Any

from store.db import ThreadConnections
from store.errors import StoreError
from store.model import BatchStatus, RemoteBatch, RequestCounts
from store.rows import COUNT_COLUMNS

# Columns a caller may set directly (set_batch_fields); ids and bookkeeping are not among them.
SETTABLE = frozenset({
    "status", "raw_status", "endpoint", "model", "label", "job_id", "created_at", "started_at",
    "ended_at", "expires_at", "deadline", "input_file_id", "output_file_id", "error_file_id",
    "results_url", "parent_id", "submitted_by", "errors", "results_path", "ingested_at",
    "provider_batch_id", "profile", "tracked", "cancel_requested_at", "metadata", "inputs", "results_until",
    "inputs_until", "exported_at",
    *COUNT_COLUMNS,
})


def _remote_columns(remote: RemoteBatch) -> dict[str, Any]:
    """The columns a provider report sets. None leaves a known value alone (see _UPDATE)."""
    return {
        "status": str(remote.status),
        "raw_status": remote.raw_status,
        "endpoint": remote.endpoint,
        "model": remote.model,
        "created_at": remote.created_at,
        "started_at": remote.started_at,
        "ended_at": remote.ended_at,
        "expires_at": remote.expires_at,
        "cancel_requested_at": remote.cancel_requested_at,
        "input_file_id": remote.input_file_id,
        "output_file_id": remote.output_file_id,
        "error_file_id": remote.error_file_id,
        "results_url": remote.results_url,
        "errors": remote.errors,
        "reported_cost": remote.reported_cost,
        "reported_list_cost": remote.reported_list_cost,
        "metadata": json.dumps(remote.metadata, sort_keys=True) if remote.metadata else None,
        "results_until": remote.results_until,
        "inputs_until": remote.inputs_until,
        **_counts_columns(remote.counts),
    }


def _counts_columns(counts: RequestCounts) -> dict[str, int]:
    return {c: getattr(counts, c) for c in COUNT_COLUMNS}


# Status, raw status and counts always follow the provider; the rest only fill in or change
# when the provider says something (a poll without file ids must not erase the known ones).
_ALWAYS = {"status", "raw_status", *COUNT_COLUMNS}
# Only filled in while unknown: a poll's estimate (the provider's default retention counted from
# the batch's creation) must not replace the exact date learned from the provider since.
_FILL_ONLY = {"inputs_until"}


def _apply_remote(conn: sqlite3.Connection, batch_id: int, remote: RemoteBatch, now: float,
                  extra: dict[str, Any] | None = None) -> tuple[BatchStatus, BatchStatus]:
    row = conn.execute("SELECT status, raw_status FROM batches WHERE id = ?", (batch_id,)).fetchone()
    if row is None:
        raise StoreError(f"no batch with local id {batch_id}; list batches with `batchdeck ls`.")
    old_status, old_raw = row
    cols = _remote_columns(remote)
    cols.update(extra or {})
    assignments = [
        f"{c} = :{c}" if c in _ALWAYS or (extra and c in extra)
        else f"{c} = coalesce({c}, :{c})" if c in _FILL_ONLY
        else f"{c} = coalesce(:{c}, {c})"
        for c in cols
    ]
    conn.execute(
        f"UPDATE batches SET {', '.join(assignments)}, updated_at = :now WHERE id = :id",
        {**cols, "now": now, "id": batch_id},
    )
    if old_status != str(remote.status) or old_raw != remote.raw_status:
        _history(conn, batch_id, now, remote.status, remote.raw_status)
    return BatchStatus(old_status), remote.status


def _history(conn: sqlite3.Connection, batch_id: int, at: float, status: str, raw: str | None) -> None:
    conn.execute(
        "INSERT INTO batch_status_history (batch_id, at, status, raw_status) VALUES (?, ?, ?, ?)",
        (batch_id, at, str(status), raw),
    )


def record_intent(db: ThreadConnections, *, provider: str, profile: str, endpoint: str | None,
                  model: str | None, label: str | None, deadline: float | None,
                  job_id: str | None, parent_id: int | None, submitted_by: str,
                  submit_token: str, request_count: int, now: float, window: str | None = None) -> int:
    with db.transaction() as conn:
        existing = conn.execute(
            "SELECT id FROM batches WHERE submit_token = ?", (submit_token,)
        ).fetchone()
        if existing:
            # The same submit retried (e.g. after a crash): one intent, never two batches.
            return int(existing[0])
        cur = conn.execute(
            """INSERT INTO batches (provider, profile, status, endpoint, model, label, deadline,
                   job_id, parent_id, submitted_by, submit_token, total, processing,
                   created_at, updated_at, completion_window)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (provider, profile, str(BatchStatus.SUBMITTING), endpoint, model, label, deadline,
             job_id, parent_id, submitted_by, submit_token, request_count, request_count, now, now,
             window),
        )
        batch_id = cur.lastrowid
        assert batch_id is not None  # an INSERT always sets it
        _history(conn, batch_id, now, BatchStatus.SUBMITTING, None)
        return batch_id


def attach_remote(db: ThreadConnections, batch_id: int, remote: RemoteBatch, *, now: float) -> None:
    with db.transaction() as conn:
        other = conn.execute(
            "SELECT id, tracked FROM batches WHERE provider = ? AND provider_batch_id = ? AND id <> ?",
            (remote.provider, remote.provider_batch_id, batch_id),
        ).fetchone()
        if other is not None:
            if not other[1]:
                raise StoreError(
                    f"provider batch {remote.provider_batch_id} is already attached to local "
                    f"batch {other[0]}; reconcile with `batchdeck show {other[0]}`."
                )
            # A list sync saw the batch before the submit recorded its answer: the intent wins.
            conn.execute("DELETE FROM batches WHERE id = ?", (other[0],))
        _apply_remote(conn, batch_id, remote, now, {"provider_batch_id": remote.provider_batch_id})


def update_from_remote(db: ThreadConnections, batch_id: int, remote: RemoteBatch, *,
                       now: float) -> tuple[BatchStatus, BatchStatus]:
    with db.transaction() as conn:
        return _apply_remote(conn, batch_id, remote, now)


def upsert_tracked(db: ThreadConnections, remote: RemoteBatch, *, profile: str, now: float,
                   submitted_by: str | None = None) -> tuple[int, bool]:
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT id FROM batches WHERE provider = ? AND provider_batch_id = ?",
            (remote.provider, remote.provider_batch_id),
        ).fetchone()
        if row is not None:
            _apply_remote(conn, row[0], remote, now)
            return row[0], False
        cols = _remote_columns(remote)
        cols.update(provider=remote.provider, provider_batch_id=remote.provider_batch_id,
                    profile=profile, submitted_by=submitted_by, tracked=1, updated_at=now)
        names = ", ".join(cols)
        marks = ", ".join(f":{c}" for c in cols)
        batch_id = conn.execute(f"INSERT INTO batches ({names}) VALUES ({marks})", cols).lastrowid
        assert batch_id is not None  # an INSERT always sets it
        _history(conn, batch_id, now, remote.status, remote.raw_status)
        return batch_id, True


def set_batch_fields(db: ThreadConnections, batch_id: int, now: float | None, **fields: Any) -> None:
    if "counts" in fields:
        fields.update(_counts_columns(fields.pop("counts")))
    unknown = set(fields) - SETTABLE
    if unknown:
        raise ValueError(f"not settable batch field(s): {', '.join(sorted(unknown))}")
    if not fields:
        return
    values = {
        k: (str(v) if isinstance(v, Enum) else json.dumps(v, sort_keys=True) if isinstance(v, dict) else v)
        for k, v in fields.items()
    }
    with db.transaction() as conn:
        old = conn.execute("SELECT status, raw_status FROM batches WHERE id = ?", (batch_id,)).fetchone()
        if old is None:
            raise StoreError(f"no batch with local id {batch_id}; list batches with `batchdeck ls`.")
        sets = ", ".join(f"{k} = :{k}" for k in values)
        if now is not None:
            sets += ", updated_at = :_now"
        conn.execute(f"UPDATE batches SET {sets} WHERE id = :_id", {**values, "_id": batch_id, "_now": now})
        if "status" in values and values["status"] != old[0]:
            at = now if now is not None else time.time()
            _history(conn, batch_id, at, values["status"], values.get("raw_status", old[1]))
