"""Anthropic batch results lines, decoded with msgspec into the few fields ingest needs.

A line is `{custom_id, result: {type, ...}}` with type succeeded, errored, canceled or expired;
`input_tokens` already excludes cache reads and writes. A success whose `stop_reason` is
`max_tokens` (cut at the limit) or `refusal` is `truncated`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import msgspec

from adapters.base import MAX_RESULT_TOKENS, RealtimeResult
from adapters.lifecycle import classify_error
from adapters.result_lines import decode_lines
from store.model import ItemResult, ItemStatus, Usage

_STATUS = {
    "succeeded": ItemStatus.SUCCEEDED,
    "errored": ItemStatus.ERRORED,
    "canceled": ItemStatus.CANCELED,
    "expired": ItemStatus.EXPIRED,
}

TRUNCATING_STOPS = frozenset({"max_tokens", "refusal"})


Tokens = Annotated[int, msgspec.Meta(ge=0, le=MAX_RESULT_TOKENS)]
"""A token count; anything else makes the line malformed (see adapters.base.MAX_RESULT_TOKENS)."""


class AnthropicUsage(msgspec.Struct):
    input_tokens: Tokens | None = None
    output_tokens: Tokens | None = None
    cache_read_input_tokens: Tokens | None = None
    cache_creation_input_tokens: Tokens | None = None
    service_tier: str | None = None


class _Message(msgspec.Struct):
    model: str | None = None
    usage: AnthropicUsage | None = None
    stop_reason: str | None = None


class _InnerError(msgspec.Struct):
    type: str | None = None
    message: str | None = None


class _Error(msgspec.Struct):
    type: str | None = None
    message: str | None = None
    error: _InnerError | None = None


class _Result(msgspec.Struct):
    type: str | None = None
    message: _Message | None = None
    error: _Error | None = None


class AnthropicLine(msgspec.Struct):
    custom_id: str | int
    result: _Result | None = None


_line = msgspec.json.Decoder(AnthropicLine)


def _n(value: int | None) -> int:
    return value if value is not None and value > 0 else 0


def usage_of(u: AnthropicUsage | None) -> Usage | None:
    if u is None:
        return None
    return Usage(input_tokens=_n(u.input_tokens), output_tokens=_n(u.output_tokens),
                 cache_read_tokens=_n(u.cache_read_input_tokens),
                 cache_write_tokens=_n(u.cache_creation_input_tokens))


def normalize_usage(usage: Any) -> Usage | None:
    """Anthropic usage from a decoded JSON object: `input_tokens` already excludes cache."""
    if not isinstance(usage, dict):
        return None
    try:
        return usage_of(msgspec.convert(usage, AnthropicUsage))
    except msgspec.ValidationError:
        return None


def result_of(line: AnthropicLine) -> ItemResult:
    custom_id = str(line.custom_id)
    result = line.result or _Result()
    kind = result.type
    status = _STATUS.get(kind or "", ItemStatus.ERRORED)
    if status is ItemStatus.SUCCEEDED:
        message = result.message or _Message()
        return ItemResult(custom_id=custom_id, status=status, usage=usage_of(message.usage), model=message.model,
                          truncated=message.stop_reason in TRUNCATING_STOPS)
    if status is ItemStatus.ERRORED:
        outer = result.error or _Error()
        inner = outer.error or outer
        etype = inner.type or kind or "error"
        return ItemResult(custom_id=custom_id, status=status, error_type=etype, error_message=inner.message,
                          error_class=classify_error(etype, None))
    # canceled / expired: nothing ran, resubmit as is.
    return ItemResult(custom_id=custom_id, status=status, error_type=kind, error_class=classify_error(kind, None))


def parse_line(data: Any) -> ItemResult:
    """One already-decoded JSON line as an ItemResult (msgspec.ValidationError if mistyped)."""
    return result_of(msgspec.convert(data, AnthropicLine))


def parse_raw_line(raw: bytes) -> ItemResult | None:
    return result_of(_line.decode(raw))


class AnthropicResults:
    """The Anthropic results format (`ResultsFormat` in adapters.registry)."""

    def line_parser(self) -> Any:
        return decode_lines(parse_raw_line)

    def response_body(self, line: dict[str, Any]) -> Any:
        result = line.get("result")
        if isinstance(result, dict) and result.get("type") == "succeeded":
            return result.get("message")
        if line.get("type") == "message":  # a realtime Message
            return line
        return None

    def response_text(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return None
        content = body.get("content")
        if isinstance(content, list):
            return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text")
        return None

    def read_realtime(self, custom_id: str, text: str) -> RealtimeResult:
        data = json.loads(text) if text else {}
        data = data if isinstance(data, dict) else {}
        try:
            message = msgspec.convert(data, _Message)
        except msgspec.ValidationError:
            message = _Message()
        result = ItemResult(custom_id=custom_id, status=ItemStatus.SUCCEEDED, usage=usage_of(message.usage),
                            model=message.model, truncated=message.stop_reason in TRUNCATING_STOPS)
        tier = message.usage.service_tier if message.usage else None
        return RealtimeResult(result=result, raw=text, tier=tier)


RESULTS = AnthropicResults()
