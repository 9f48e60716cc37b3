"""OpenAI's wire personality: request ids, error bodies, the files-based batch lifecycle.

Services that copy OpenAI's API (Groq, Doubleword, any OpenAI-compatible host) reuse these
pieces with their own name and quirks (`openai_style`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from starlette.responses import Response

from .. import rand, results
from ..core import jresp
from ..dialect import Dialect, Lifecycle, Refusal
from ..inputs import OPENAI_MAX_REQUESTS


def openai_error(status: int, message: str, etype: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, headers: Mapping[str, str] | None = None) -> Response:
    body = {"error": {"message": message, "type": etype, "param": param, "code": code}}
    return jresp(body, status, headers)


def _error(status: int, kind: str, message: str, code: str | None, headers: Mapping[str, str]) -> Response:
    return openai_error(status, message, kind, code, headers=headers)


def _request_id(h: int) -> dict[str, str]:
    return {"x-request-id": "req_" + rand.hex_id(h, 24)}


REFUSALS = {
    "auth": Refusal(401, "invalid_request_error",
                    "You didn't provide an API key. You need to provide your API key in an Authorization header "
                    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."),
    "bad_key": Refusal(401, "invalid_request_error", "Incorrect API key provided.", "invalid_api_key"),
    "rate_limit": Refusal(429, "requests", "Rate limit reached for requests per minute. Please try again later.",
                          "rate_limit_exceeded"),
    "server": Refusal(500, "server_error", "The server had an error while processing your request. Sorry about that!"),
    "overloaded": Refusal(503, "server_error", "The engine is currently overloaded, please try again later.",
                          "server_is_overloaded"),
}

LIFECYCLE = Lifecycle(validates=True, finalizes=True, cached_tokens=True, max_requests=OPENAI_MAX_REQUESTS)

DIALECT = Dialect(
    name="openai",
    batch_id=lambda h: "batch_" + rand.hex_id(h, 32),
    request_id=_request_id,
    error=_error,
    refusals=REFUSALS,
    lifecycle=LIFECYCLE,
    result_kinds=("output", "error"),
    results=results.openai_file,
    file_results=True,
)


def openai_style(name: str, **changes: object) -> Dialect:
    """The OpenAI dialect under another provider's name (with `changes` applied)."""
    return replace(DIALECT, name=name, **changes)  # type: ignore[arg-type]
