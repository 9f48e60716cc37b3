"""Gemini results lines, decoded with msgspec: `{"key", "response" | "error"}`.

The same line shape serves both result forms: the responses file of a file-mode batch, and the
inlined responses of an inline batch (the adapter writes those out as lines of this shape, the
`metadata.key` lifted to `key`). A response's usage is `usageMetadata`: prompt tokens include
the cached ones (split out here), thoughts bill as output. A failed line's `error.code` is a
gRPC code, classified by `adapters.gemini.status`, never read as HTTP.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from adapters.base import RealtimeResult
from adapters.gemini.status import TRUNCATING_FINISH, grpc_class, grpc_name
from adapters.result_lines import decode_lines
from store.model import ErrorClass, ItemResult, ItemStatus, Usage


class GeminiUsage(msgspec.Struct, rename="camel"):
    prompt_token_count: int | None = None
    candidates_token_count: int | None = None
    thoughts_token_count: int | None = None
    cached_content_token_count: int | None = None


class _Candidate(msgspec.Struct, rename="camel"):
    finish_reason: str | None = None


class GeminiResponse(msgspec.Struct, rename="camel"):
    candidates: list[_Candidate] | None = None
    usage_metadata: GeminiUsage | None = None
    model_version: str | None = None


class GeminiStatus(msgspec.Struct):
    """google.rpc.Status: `code` is a gRPC code (the exact line form is UNCONFIRMED, §4.4)."""

    code: int | None = None
    message: str | None = None
    status: str | None = None


class _Meta(msgspec.Struct):
    key: str | int | None = None


class GeminiLine(msgspec.Struct):
    key: str | int | None = None
    response: GeminiResponse | None = None
    error: GeminiStatus | None = None
    metadata: _Meta | None = None


_line = msgspec.json.Decoder(GeminiLine, strict=False)


def _n(value: int | None) -> int:
    return value if value is not None and value > 0 else 0


def usage_of(u: GeminiUsage | None) -> Usage | None:
    if u is None:
        return None
    cached = _n(u.cached_content_token_count)
    return Usage(input_tokens=max(0, _n(u.prompt_token_count) - cached),
                 output_tokens=_n(u.candidates_token_count) + _n(u.thoughts_token_count),
                 cache_read_tokens=cached)


def result_of(line: GeminiLine) -> ItemResult:
    key = line.key if line.key is not None else (line.metadata.key if line.metadata else None)
    custom_id = str(key)
    if line.response is not None and line.error is None:
        r = line.response
        finish = r.candidates[0].finish_reason if r.candidates else None
        return ItemResult(custom_id=custom_id, status=ItemStatus.SUCCEEDED, usage=usage_of(r.usage_metadata),
                          model=r.model_version, truncated=finish in TRUNCATING_FINISH)
    err = line.error
    if err is None:
        return ItemResult(custom_id=custom_id, status=ItemStatus.ERRORED, error_type="missing_response",
                          error_message="result line has neither response nor error",
                          error_class=ErrorClass.RETRYABLE)
    return ItemResult(custom_id=custom_id, status=ItemStatus.ERRORED, error_type=grpc_name(err.code, err.status),
                      error_message=err.message, http_status=None, error_class=grpc_class(err.code, err.status))


def parse_raw_line(raw: bytes) -> ItemResult | None:
    return result_of(_line.decode(raw))


def response_text(body: Any) -> str | None:
    """The text of a GenerateContentResponse's first candidate."""
    if not isinstance(body, dict):
        return None
    candidates = body.get("candidates")
    if not isinstance(candidates, list) or not candidates or not isinstance(candidates[0], dict):
        return None
    parts = (candidates[0].get("content") or {}).get("parts")
    if not isinstance(parts, list):
        return None
    # Thought summaries are not the answer.
    texts = [p["text"] for p in parts
             if isinstance(p, dict) and isinstance(p.get("text"), str) and not p.get("thought")]
    return "".join(texts) if texts else None


def response_body(line: dict[str, Any]) -> Any:
    """The GenerateContentResponse in a results line (or a realtime answer itself)."""
    if isinstance(line.get("response"), dict):
        return line["response"]
    if "candidates" in line:
        return line
    return None


def read_realtime(custom_id: str, text: str) -> RealtimeResult:
    data = json.loads(text) if text else {}
    data = data if isinstance(data, dict) else {}
    r = msgspec.convert(data, GeminiResponse, strict=False)
    finish = r.candidates[0].finish_reason if r.candidates else None
    result = ItemResult(custom_id=custom_id, status=ItemStatus.SUCCEEDED, usage=usage_of(r.usage_metadata),
                        model=r.model_version, truncated=finish in TRUNCATING_FINISH)
    return RealtimeResult(result=result, raw=text, tier=None)


class GeminiResults:
    """The registry's ResultsFormat for Gemini."""

    def line_parser(self) -> Any:
        return decode_lines(parse_raw_line)

    def response_body(self, line: dict[str, Any]) -> Any:
        return response_body(line)

    def response_text(self, body: Any) -> str | None:
        return response_text(body)

    def read_realtime(self, custom_id: str, text: str) -> RealtimeResult:
        return read_realtime(custom_id, text)


RESULTS = GeminiResults()
