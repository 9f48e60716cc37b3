"""Anthropic batch results lines as ItemResults (the reference parse; `fastparse` matches it).

A line is `{custom_id, result: {type, ...}}` with type succeeded, errored, canceled or expired;
`input_tokens` already excludes cache reads and writes.
"""

from __future__ import annotations

from typing import Any

from adapters.base import token_count
from adapters.lifecycle import classify_error
from adapters.result_lines import json_line_parser
from store.model import ItemResult, ItemStatus, Usage

_STATUS = {
    "succeeded": ItemStatus.SUCCEEDED,
    "errored": ItemStatus.ERRORED,
    "canceled": ItemStatus.CANCELED,
    "expired": ItemStatus.EXPIRED,
}


def normalize_usage(usage: dict[str, Any] | None) -> Usage | None:
    """Anthropic usage: `input_tokens` already excludes cache reads and writes."""
    if not isinstance(usage, dict):
        return None
    return Usage(
        input_tokens=token_count(usage.get("input_tokens")),
        output_tokens=token_count(usage.get("output_tokens")),
        cache_read_tokens=token_count(usage.get("cache_read_input_tokens")),
        cache_write_tokens=token_count(usage.get("cache_creation_input_tokens")),
    )


def parse_line(data: dict[str, Any]) -> ItemResult:
    """One results line `{custom_id, result: {type, ...}}`, normalized."""
    custom_id = str(data.get("custom_id"))
    result = data.get("result") or {}
    kind = result.get("type")
    status = _STATUS.get(kind, ItemStatus.ERRORED)
    if status is ItemStatus.SUCCEEDED:
        message = result.get("message") or {}
        return ItemResult(custom_id=custom_id, status=status,
                          usage=normalize_usage(message.get("usage")), model=message.get("model"))
    if status is ItemStatus.ERRORED:
        outer = result.get("error") or {}
        inner = outer.get("error") if isinstance(outer.get("error"), dict) else outer
        etype = inner.get("type") or kind or "error"
        return ItemResult(custom_id=custom_id, status=status, error_type=etype,
                          error_message=inner.get("message"),
                          error_class=classify_error(etype, None))
    # canceled / expired: nothing ran, resubmit as is.
    return ItemResult(custom_id=custom_id, status=status, error_type=kind,
                      error_class=classify_error(kind, None))



parse_raw_line = json_line_parser(parse_line)
"""The reference parse of one raw results line; None if it is not JSON (skipped)."""
