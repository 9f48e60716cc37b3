"""Mistral's wire personality: its error body, uppercase statuses, output and error files."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from .. import rand
from ..core import jresp
from ..dialect import Dialect, Lifecycle, Refusal
from . import results


def mistral_error(status: int, message: str, etype: str = "invalid_request_error", code: str | None = None,
                  headers: Mapping[str, str] | None = None) -> Response:
    body = {"object": "error", "message": message, "type": etype, "param": None, "code": code}
    return jresp(body, status, headers)


def _error(status: int, kind: str, message: str, code: str | None, headers: Mapping[str, str]) -> Response:
    return mistral_error(status, message, kind, code, headers)


REFUSALS = {
    "auth": Refusal(401, "authentication_error", "Unauthorized"),
    "rate_limit": Refusal(429, "rate_limited", "Requests rate limit exceeded"),
    "server": Refusal(500, "api_error", "Internal server error"),
    "overloaded": Refusal(503, "service_unavailable", "Service unavailable: the model is overloaded."),
}


def _uuid(h: int) -> str:
    x = rand.hex_id(h, 32)
    return f"{x[:8]}-{x[8:12]}-4{x[13:16]}-a{x[17:20]}-{x[20:32]}"


LIFECYCLE = Lifecycle(
    validates=True,  # QUEUED before RUNNING; a token-limit refusal ends FAILED with `errors`
    finalizes=False,
    names={"validating": "QUEUED", "in_progress": "RUNNING", "finalizing": "RUNNING", "completed": "SUCCESS",
           "failed": "FAILED", "expired": "TIMEOUT_EXCEEDED", "cancelling": "CANCELLATION_REQUESTED",
           "cancelled": "CANCELLED"},
    stamps={"validating": None, "in_progress": "started_at", "finalizing": None, "completed": "completed_at",
            "failed": "completed_at", "expired": "completed_at", "cancelling": None, "cancelled": "completed_at"},
)

DIALECT = Dialect(
    name="mistral",
    batch_id=_uuid,
    request_id=lambda h: {"x-request-id": rand.hex_id(h, 32)},
    error=_error,
    refusals=REFUSALS,
    lifecycle=LIFECYCLE,
    result_kinds=("output", "error"),
    results=lambda batch, view, kind: (results.output_file if kind == "output" else results.error_file)(batch, view),
)
