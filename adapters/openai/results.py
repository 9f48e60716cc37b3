"""OpenAI-style results lines, decoded with msgspec into the few fields ingest needs.

One declaration per line shape (the Structs below); msgspec validates every line in one pass
and skips everything else in it (the answer text, logprobs, a dozen ids). Shared by every
service that writes OpenAI's results format: OpenAI, Groq, Together, Doubleword and any
`openai_compat` profile.

The one rule for failed lines (reference §2.4): a line whose `response.status_code` is 400 or
more failed with that HTTP status whatever `error` holds (vLLM-style servers fill both); the
message comes from `response.body.error`, else from `error`; 4xx is permanent except 408/429.
Only without a status does `error.code` decide (`batch_expired`, `batch_cancelled`, ...).
A 2xx line is a success, `truncated` when the chat answer stopped at its length limit
(`finish_reason: "length"`) or a Responses answer is `status: "incomplete"`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import msgspec

from adapters.base import MAX_RESULT_TOKENS, RealtimeResult
from adapters.lifecycle import classify_error
from adapters.result_lines import decode_lines
from store.model import ErrorClass, ItemResult, ItemStatus, Usage

_TERMINAL_ITEM = {
    "batch_expired": ItemStatus.EXPIRED,
    "batch_cancelled": ItemStatus.CANCELED,
    "batch_canceled": ItemStatus.CANCELED,
}


Tokens = Annotated[int, msgspec.Meta(ge=0, le=MAX_RESULT_TOKENS)]
"""A token count: a whole number from 0 to MAX_RESULT_TOKENS; anything else (a string, a
negative, `1e999`, 10^30) makes the line malformed instead of priced from a made-up number."""


class _TokenDetails(msgspec.Struct):
    cached_tokens: Tokens = 0
    cache_write_tokens: Tokens = 0


class OpenAIUsage(msgspec.Struct):
    """Usage in the chat (`prompt_tokens`), Responses or embeddings (`input_tokens`) shape."""

    prompt_tokens: Tokens | None = None
    completion_tokens: Tokens = 0
    prompt_tokens_details: _TokenDetails | None = None
    input_tokens: Tokens = 0
    output_tokens: Tokens = 0
    input_tokens_details: _TokenDetails | None = None


class _Choice(msgspec.Struct):
    finish_reason: str | None = None


class _Error(msgspec.Struct):
    message: str | None = None
    type: str | None = None
    code: str | int | None = None


class _Body(msgspec.Struct):
    model: str | None = None
    usage: OpenAIUsage | None = None
    choices: list[_Choice] | None = None
    status: str | None = None
    """Responses: `completed`, `incomplete`, `failed`..."""
    service_tier: str | None = None
    error: _Error | None = None


class _Response(msgspec.Struct):
    status_code: int | None = None
    body: _Body | str | None = None


class OpenAILine(msgspec.Struct):
    """One line of an output or error file."""

    custom_id: str | int
    response: _Response | None = None
    error: _Error | str | None = None


_line = msgspec.json.Decoder(OpenAILine)
_SUCCEEDED = ItemStatus.SUCCEEDED
_body = msgspec.json.Decoder(_Body)


def usage_of(u: OpenAIUsage | None) -> Usage | None:
    """OpenAI usage with cache reads and writes split out of the input tokens."""
    if u is None:
        return None
    prompt = u.prompt_tokens
    if prompt is not None:
        output, details = u.completion_tokens, u.prompt_tokens_details
    else:
        prompt, output, details = u.input_tokens, u.output_tokens, u.input_tokens_details
    if details is None:
        return Usage(prompt, output, 0, 0)
    cached, written = details.cached_tokens, details.cache_write_tokens
    uncached = prompt - cached - written
    return Usage(uncached if uncached > 0 else 0, output, cached, written)  # not max(): a call per line


def normalize_usage(usage: Any) -> Usage | None:
    """Usage from a decoded JSON object (a realtime answer's `usage`)."""
    if not isinstance(usage, dict):
        return None
    try:
        return usage_of(msgspec.convert(usage, OpenAIUsage))
    except msgspec.ValidationError:
        return None


def _error_type(err: _Error | None) -> str | None:
    """OpenAI's most specific error name: rate limits say type "requests"/"tokens" and put
    the meaningful name in `code` ("rate_limit_exceeded")."""
    if err is None:
        return None
    kind, code = err.type, err.code
    if code and kind in (None, "", "requests", "tokens"):
        return str(code)
    return kind or (str(code) if code else None)


def _truncated(body: _Body) -> bool:
    if body.status == "incomplete":
        return True
    choices = body.choices
    return bool(choices) and choices[0].finish_reason == "length"  # type: ignore[index]


def result_of(line: OpenAILine) -> ItemResult:
    """One decoded line as an ItemResult (the rule in the module docstring)."""
    response = line.response
    if response is not None:
        code, body = response.status_code, response.body
        if code is not None and 200 <= code < 300 and type(body) is _Body:  # the common line, first
            # Positional arguments only, and `truncated` set on the few lines it is true of:
            # a keyword argument costs the dataclass's __init__ ~80 ns, on every line.
            result = ItemResult(line.custom_id if type(line.custom_id) is str else str(line.custom_id),
                                _SUCCEEDED, usage_of(body.usage), body.model)
            choices = body.choices
            if body.status == "incomplete" or (choices and choices[0].finish_reason == "length"):
                result.truncated = True
            return result
    else:
        code = body = None
    custom_id = str(line.custom_id)
    if isinstance(body, str):
        try:
            body = _body.decode(body)
        except msgspec.DecodeError:
            body = None
    if code is not None and 200 <= code < 300:
        body = body or _Body()
        return ItemResult(custom_id=custom_id, status=ItemStatus.SUCCEEDED, usage=usage_of(body.usage),
                          model=body.model, truncated=_truncated(body))
    error = line.error
    if code is None or code < 400:
        if error is not None and code is None:
            name = error if isinstance(error, str) else (str(error.code or error.type or "") or "error")
            message = None if isinstance(error, str) else error.message
            return ItemResult(custom_id=custom_id, status=_TERMINAL_ITEM.get(name, ItemStatus.ERRORED),
                              error_type=name, error_message=message if message is not None else (
                                  error if isinstance(error, str) and error != name else None),
                              error_class=classify_error(name, None))
        if response is None or code is None:
            return ItemResult(custom_id=custom_id, status=ItemStatus.ERRORED, error_type="missing_response",
                              error_message="result line has neither response nor error",
                              error_class=ErrorClass.RETRYABLE)
    # A failed HTTP call (>= 400, or an unexpected 1xx/3xx): the status decides.
    body_error = body.error if body is not None else None
    line_error = error if isinstance(error, _Error) else None
    etype = _error_type(body_error) or _error_type(line_error) or f"http_{code}"
    message = (body_error.message if body_error else None) or (
        line_error.message if line_error else (error if isinstance(error, str) else None))
    return ItemResult(custom_id=custom_id, status=ItemStatus.ERRORED, error_type=etype, error_message=message,
                      http_status=code, error_class=classify_error(None, code),
                      usage=usage_of(body.usage) if body is not None else None,
                      model=body.model if body is not None else None)


def parse_line(data: Any) -> ItemResult:
    """One already-decoded JSON line (a dict) as an ItemResult; msgspec.ValidationError if
    its fields have the wrong types."""
    return result_of(msgspec.convert(data, OpenAILine))


def parse_raw_line(raw: bytes) -> ItemResult | None:
    """One raw results line (see `adapters.result_lines.decode_lines` for damaged lines)."""
    return result_of(_line.decode(raw))


def _response_text(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    choices = body.get("choices")
    if isinstance(choices, list) and choices:
        texts = []
        for choice in choices:
            choice = choice if isinstance(choice, dict) else {}
            message = choice.get("message")
            content = message.get("content") if isinstance(message, dict) else None
            if content is None:
                content = choice.get("text")
            if isinstance(content, str):
                texts.append(content)
        return "\n".join(texts) if texts else None
    if isinstance(body.get("output_text"), str):
        return str(body["output_text"])
    output = body.get("output")
    if isinstance(output, list):
        parts = [
            str(part.get("text", ""))
            for entry in output if isinstance(entry, dict)
            for part in (entry.get("content") or []) if isinstance(part, dict)
            and part.get("type") in ("output_text", "text")
        ]
        return "".join(parts) if parts else None
    return None


class OpenAIResults:
    """The OpenAI results format (`ResultsFormat` in adapters.registry)."""

    def line_parser(self) -> Any:
        return decode_lines(parse_raw_line)

    def response_body(self, line: dict[str, Any]) -> Any:
        response = line.get("response")
        if isinstance(response, dict):
            code = response.get("status_code")
            # No status: a realtime answer the console wrapped in the line shape to show it.
            if code is None or isinstance(code, int) and 200 <= code < 300:
                return response.get("body")
            return None
        if "choices" in line or "output" in line or "output_text" in line:  # a realtime answer
            return line
        return None

    def response_text(self, body: Any) -> str | None:
        return _response_text(body)

    def read_realtime(self, custom_id: str, text: str) -> RealtimeResult:
        data = json.loads(text) if text else {}
        data = data if isinstance(data, dict) else {}
        try:
            body = msgspec.convert(data, _Body)
        except msgspec.ValidationError:
            body = _Body()
        result = ItemResult(custom_id=custom_id, status=ItemStatus.SUCCEEDED, usage=usage_of(body.usage),
                            model=body.model, truncated=_truncated(body))
        return RealtimeResult(result=result, raw=text, tier=body.service_tier)


RESULTS = OpenAIResults()
