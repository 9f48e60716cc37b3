"""Anthropic's wire personality: request ids, error bodies, the three-status lifecycle."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from .. import rand, results
from ..core import jresp
from ..dialect import Dialect, Lifecycle, Refusal


def anthropic_error(status: int, kind: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
    rid = headers.get("request-id") if headers else None
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": rid}
    return jresp(body, status, headers)


def _error(status: int, kind: str, message: str, code: str | None, headers: Mapping[str, str]) -> Response:
    return anthropic_error(status, kind, message, headers)


REFUSALS = {
    "auth": Refusal(401, "authentication_error", "x-api-key header is required"),
    "bad_key": Refusal(401, "authentication_error", "invalid x-api-key"),
    "rate_limit": Refusal(429, "rate_limit_error", "Number of requests has exceeded your per-minute rate limit."),
    "server": Refusal(500, "api_error", "Internal server error"),
    "overloaded": Refusal(529, "overloaded_error", "Overloaded"),
}

_ENDED = "ended"

LIFECYCLE = Lifecycle(
    validates=False,
    finalizes=False,
    start_delay=2.0,
    names={"validating": "in_progress", "finalizing": "in_progress", "completed": _ENDED, "failed": _ENDED,
           "expired": _ENDED, "cancelling": "canceling", "cancelled": _ENDED},
    stamps={"validating": None, "in_progress": None, "finalizing": None, "completed": "ended_at",
            "failed": "ended_at", "expired": "ended_at", "cancelling": "cancel_initiated_at",
            "cancelled": "ended_at"},
)

DIALECT = Dialect(
    name="anthropic",
    batch_id=lambda h: "msgbatch_01" + rand.b62(h, 22),
    request_id=lambda h: {"request-id": "req_01" + rand.b62(h, 22)},
    error=_error,
    refusals=REFUSALS,
    lifecycle=LIFECYCLE,
    result_kinds=("results",),
    results=lambda batch, view, kind: results.anthropic_results(batch, view),
)
