"""Mistral results lines, decoded with msgspec: `{id, custom_id, response: {status_code, body}, error}`.

The rule (reference §5, as the mistralai SDK's batch helper reads it): a line is a failure when
`error` is set **or** `response.status_code >= 400`, with that HTTP status when there is one;
such lines sit in the output file as well as the error file. A 2xx line without error is a
success (`truncated` when the answer stopped at its length limit).
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from adapters.base import RealtimeResult
from adapters.lifecycle import classify_error
from adapters.result_lines import decode_lines
from store.model import ErrorClass, ItemResult, ItemStatus, Usage

_UNRUN = {"expired": ItemStatus.EXPIRED, "timeout_exceeded": ItemStatus.EXPIRED,
          "cancelled": ItemStatus.CANCELED, "canceled": ItemStatus.CANCELED}


class MistralUsage(msgspec.Struct):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class _Choice(msgspec.Struct):
    finish_reason: str | None = None


class _Error(msgspec.Struct):
    message: str | None = None
    type: str | None = None
    code: str | int | None = None


class _Body(msgspec.Struct):
    model: str | None = None
    usage: MistralUsage | None = None
    choices: list[_Choice] | None = None
    message: str | None = None
    """An error body's sentence (`{object: "error", message, type, code}`)."""
    type: str | None = None
    code: str | int | None = None
    error: _Error | None = None


class _Response(msgspec.Struct):
    status_code: int | None = None
    body: _Body | str | None = None


class MistralLine(msgspec.Struct):
    custom_id: str | int
    response: _Response | None = None
    error: _Error | str | None = None


_line = msgspec.json.Decoder(MistralLine, strict=False)
_body = msgspec.json.Decoder(_Body, strict=False)


def _n(value: int | None) -> int:
    return value if value is not None and value > 0 else 0


def usage_of(u: MistralUsage | None) -> Usage | None:
    if u is None:
        return None
    return Usage(input_tokens=_n(u.prompt_tokens), output_tokens=_n(u.completion_tokens))


def _cut(body: _Body) -> bool:
    """A success that stopped at its length limit (or the model's)."""
    first = body.choices[0] if body.choices else None
    return first is not None and first.finish_reason in ("length", "model_length")


def result_of(line: MistralLine) -> ItemResult:
    custom_id = str(line.custom_id)
    response = line.response
    code = response.status_code if response is not None else None
    body = response.body if response is not None else None
    if isinstance(body, str):
        try:
            body = _body.decode(body)
        except msgspec.DecodeError:
            body = None
    error = line.error
    if error is None and code is not None and 200 <= code < 300:
        body = body or _Body()
        return ItemResult(custom_id=custom_id, status=ItemStatus.SUCCEEDED, usage=usage_of(body.usage),
                          model=body.model, truncated=_cut(body))
    if error is None and code is None:
        return ItemResult(custom_id=custom_id, status=ItemStatus.ERRORED, error_type="missing_response",
                          error_message="result line has neither response nor error",
                          error_class=ErrorClass.RETRYABLE)
    line_err = error if isinstance(error, _Error) else None
    body_err = body.error if body is not None else None
    etype = ((body_err.type if body_err else None) or (body.type if body is not None else None)
             or (str(line_err.code) if line_err and line_err.code is not None else None)
             or (f"http_{code}" if code is not None else "error"))
    message = ((body_err.message if body_err else None) or (body.message if body is not None else None)
               or (line_err.message if line_err else (error if isinstance(error, str) else None)))
    if code is None and isinstance(error, str | _Error):
        name = (error if isinstance(error, str) else str(error.code or error.type or "")).lower()
        if name in _UNRUN:
            return ItemResult(custom_id=custom_id, status=_UNRUN[name], error_type=name, error_message=message,
                              error_class=ErrorClass.RETRYABLE)
    ok_code = code if code is not None and code >= 400 else None
    return ItemResult(custom_id=custom_id, status=ItemStatus.ERRORED, error_type=etype, error_message=message,
                      http_status=ok_code,
                      error_class=classify_error(None, ok_code) if ok_code else classify_error(etype, None),
                      usage=usage_of(body.usage) if body is not None else None,
                      model=body.model if body is not None else None)


def parse_raw_line(raw: bytes) -> ItemResult | None:
    return result_of(_line.decode(raw))


def response_body(line: dict[str, Any]) -> Any:
    response = line.get("response")
    if isinstance(response, dict):
        code = response.get("status_code")
        if isinstance(code, int) and 200 <= code < 300 and line.get("error") is None:
            return response.get("body")
        return None
    if "choices" in line:  # a realtime answer
        return line
    return None


def response_text(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):  # Mistral may answer with content chunks
        content = "".join(c.get("text", "") for c in content if isinstance(c, dict))
    return content if isinstance(content, str) else None


def read_realtime(custom_id: str, text: str) -> RealtimeResult:
    data = json.loads(text) if text else {}
    data = data if isinstance(data, dict) else {}
    body = msgspec.convert(data, _Body, strict=False)
    result = ItemResult(custom_id=custom_id, status=ItemStatus.SUCCEEDED, usage=usage_of(body.usage),
                        model=body.model, truncated=_cut(body))
    return RealtimeResult(result=result, raw=text, tier=None)


class MistralResults:
    """The registry's ResultsFormat for Mistral."""

    def line_parser(self) -> Any:
        return decode_lines(parse_raw_line)

    def response_body(self, line: dict[str, Any]) -> Any:
        return response_body(line)

    def response_text(self, body: Any) -> str | None:
        return response_text(body)

    def read_realtime(self, custom_id: str, text: str) -> RealtimeResult:
        return read_realtime(custom_id, text)


RESULTS = MistralResults()
