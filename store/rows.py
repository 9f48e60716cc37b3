"""Turning database rows into store.model objects (and the column lists that go with them)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from store.model import (
    Batch,
    BatchStatus,
    ErrorClass,
    Event,
    Item,
    ItemStatus,
    RequestCounts,
    Usage,
)

COUNT_COLUMNS = ("total", "succeeded", "errored", "expired", "canceled", "processing")

BATCH_COLUMNS = (
    "id", "provider", "status", "profile", "provider_batch_id", "raw_status", "endpoint", "model",
    "label", "job_id", *COUNT_COLUMNS, "created_at", "started_at", "ended_at", "expires_at",
    "deadline", "input_file_id", "output_file_id", "error_file_id", "results_url", "parent_id",
    "submitted_by", "submit_token", "errors", "results_path", "ingested_at", "updated_at",
    "tracked", "cancel_requested_at", "metadata", "inputs", "promoted",
    "results_until", "truncated", "reported_cost", "reported_list_cost",
    "inputs_until", "exported_at", "completion_window",
)
BATCH_SELECT = "SELECT " + ", ".join(BATCH_COLUMNS) + " FROM batches"

# Without `request`: page_items never loads bodies (they can be large); get_item adds it.
ITEM_COLUMNS = (
    "id", "batch_id", "custom_id", "seq", "status", "model", "error_class", "error_type",
    "error_message", "http_status", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_tokens", "batch_cost", "realtime_cost", "promoted_cost", "replaced_by",
    "replaces", "result_offset", "result_length", "result_status", "promoted_tier", "truncated",
)
ITEM_SELECT = "SELECT " + ", ".join(ITEM_COLUMNS) + " FROM items"
ITEM_SELECT_WITH_REQUEST = (
    "SELECT " + ", ".join(ITEM_COLUMNS)
    + ", (SELECT body FROM item_requests WHERE item_id = items.id) FROM items"
)


def batch_status(value: str | None) -> BatchStatus:
    try:
        return BatchStatus(value or "")  # None is not a status either: the same ValueError
    except ValueError:
        return BatchStatus.UNKNOWN


def batch_from_row(row: tuple[Any, ...]) -> Batch:
    d = dict(zip(BATCH_COLUMNS, row, strict=False))
    counts = RequestCounts(*(d.pop(c) for c in COUNT_COLUMNS))
    metadata = d.pop("metadata")
    d["status"] = batch_status(d["status"])
    d["tracked"] = bool(d["tracked"])
    return Batch(counts=counts, metadata=json.loads(metadata) if metadata else {}, **d)


def item_from_row(row: tuple[Any, ...]) -> Item:
    (id_, batch_id, custom_id, seq, status, model, error_class, error_type, error_message,
     http_status, it, ot, cr, cw, batch_cost, realtime_cost, promoted_cost, replaced_by,
     replaces, offset, length, result_status, promoted_tier, truncated, *rest) = row
    usage = None
    if it is not None or ot is not None or cr is not None or cw is not None:
        usage = Usage(it or 0, ot or 0, cr or 0, cw or 0)
    return Item(
        id=id_, batch_id=batch_id, custom_id=custom_id, seq=seq, status=ItemStatus(status),
        request=rest[0] if rest else None, model=model,
        error_class=ErrorClass(error_class) if error_class else None,
        error_type=error_type, error_message=error_message, http_status=http_status,
        usage=usage, batch_cost=batch_cost, realtime_cost=realtime_cost,
        promoted_cost=promoted_cost, replaced_by=replaced_by, replaces=replaces,
        result_offset=offset, result_length=length,
        result_status=ItemStatus(result_status) if result_status else None,
        promoted_tier=promoted_tier, truncated=bool(truncated),
    )


def event_from_row(row: sqlite3.Row | tuple[Any, ...]) -> Event:
    id_, at, actor, action, target, details = row
    return Event(id=id_, at=at, actor=actor, action=action, target=target,
                 details=Event.details_from_json(details))
