"""OpenAI batch results-file lines as ItemResults (the reference parse; `fastparse` matches it).

Two line shapes: a response with its HTTP status and body, or a top-level `error` (requests
that never ran: expired, cancelled, or rejected). Usage arrives in the chat, responses or
embeddings shape; cache reads and writes are split out of the input tokens.
"""

from __future__ import annotations

import json
from typing import Any

from adapters.base import token_count
from adapters.lifecycle import classify_error
from adapters.result_lines import json_line_parser
from store.model import ErrorClass, ItemResult, ItemStatus, Usage

_TERMINAL_ITEM = {
    "batch_expired": ItemStatus.EXPIRED,
    "batch_cancelled": ItemStatus.CANCELED,
    "batch_canceled": ItemStatus.CANCELED,
}


def normalize_usage(usage: dict[str, Any] | None) -> Usage | None:
    """OpenAI usage (chat, responses or embeddings shape) with cache tokens split out."""
    if not isinstance(usage, dict):
        return None
    if "prompt_tokens" in usage:
        prompt = token_count(usage.get("prompt_tokens"))
        details = usage.get("prompt_tokens_details") or {}
        output = token_count(usage.get("completion_tokens"))
    else:
        prompt = token_count(usage.get("input_tokens"))
        details = usage.get("input_tokens_details") or {}
        output = token_count(usage.get("output_tokens"))
    cached = token_count(details.get("cached_tokens")) if isinstance(details, dict) else 0
    written = token_count(details.get("cache_write_tokens")) if isinstance(details, dict) else 0
    return Usage(
        input_tokens=max(0, prompt - cached - written),
        output_tokens=output,
        cache_read_tokens=cached,
        cache_write_tokens=written,
    )


def _error_type(err: dict[str, Any]) -> str | None:
    """OpenAI's most specific error name: rate limits say type "requests"/"tokens" and put
    the meaningful name in `code` ("rate_limit_exceeded")."""
    kind, code = err.get("type"), err.get("code")
    if code and kind in (None, "", "requests", "tokens"):
        return str(code)
    return kind or (str(code) if code else None)


def parse_line(data: dict[str, Any]) -> ItemResult:
    """One output- or error-file line, normalized (both error shapes)."""
    custom_id = str(data.get("custom_id"))
    error = data.get("error")
    response = data.get("response")
    if error:
        code = error.get("code") or error.get("type") or "error"
        status = _TERMINAL_ITEM.get(code, ItemStatus.ERRORED)
        return ItemResult(
            custom_id=custom_id,
            status=status,
            error_type=code,
            error_message=error.get("message"),
            error_class=classify_error(code, None),
        )
    if not isinstance(response, dict):
        return ItemResult(custom_id=custom_id, status=ItemStatus.ERRORED, error_type="missing_response",
                          error_message="result line has neither response nor error",
                          error_class=ErrorClass.RETRYABLE)
    code = response.get("status_code")
    body = response.get("body")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            body = {}
    body = body if isinstance(body, dict) else {}
    if isinstance(code, int) and 200 <= code < 300:
        return ItemResult(
            custom_id=custom_id,
            status=ItemStatus.SUCCEEDED,
            usage=normalize_usage(body.get("usage")),
            model=body.get("model"),
        )
    err = body.get("error") if isinstance(body.get("error"), dict) else {}
    etype = _error_type(err) or f"http_{code}"
    return ItemResult(
        custom_id=custom_id,
        status=ItemStatus.ERRORED,
        error_type=etype,
        error_message=err.get("message"),
        http_status=code if isinstance(code, int) else None,
        error_class=classify_error(etype, code if isinstance(code, int) else None),
        usage=normalize_usage(body.get("usage")),
        model=body.get("model"),
    )



parse_raw_line = json_line_parser(parse_line)
"""The reference parse of one raw results line; None if it is not JSON (skipped)."""
