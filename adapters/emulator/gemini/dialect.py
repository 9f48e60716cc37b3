"""Gemini's wire personality: Google error bodies, BATCH_STATE_* names, the 48 h window."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from .. import rand
from ..core import jresp
from ..dialect import Dialect, Lifecycle, Refusal
from . import results

GRPC_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
               409: "ALREADY_EXISTS", 413: "INVALID_ARGUMENT", 416: "OUT_OF_RANGE", 429: "RESOURCE_EXHAUSTED",
               500: "INTERNAL", 503: "UNAVAILABLE"}


def google_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """Google's error body: `{"error": {"code": <HTTP status>, "message", "status": <gRPC name>}}`."""
    return jresp({"error": {"code": status, "message": message, "status": GRPC_STATUS.get(status, "UNKNOWN")}},
                 status, headers)


def _error(status: int, kind: str, message: str, code: str | None, headers: Mapping[str, str]) -> Response:
    return google_error(status, message, headers)


REFUSALS = {
    "auth": Refusal(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established "
                    "identity). Please use API Key or other form of API consumer identity to call this API."),
    "rate_limit": Refusal(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    "server": Refusal(500, "INTERNAL", "An internal error has occurred. Please retry or report in "
                      "https://developers.generativeai.google/guide/troubleshooting"),
    "overloaded": Refusal(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
}

_RUNNING = "BATCH_STATE_RUNNING"

LIFECYCLE = Lifecycle(
    # BATCH_STATE_PENDING before running; how long is not documented, so OpenAI's validating
    # curve is borrowed. There is no cancelling state: the batch runs until it is CANCELLED.
    validates=True,
    finalizes=False,
    names={"validating": "BATCH_STATE_PENDING", "in_progress": _RUNNING, "finalizing": _RUNNING,
           "completed": "BATCH_STATE_SUCCEEDED", "failed": "BATCH_STATE_FAILED", "expired": "BATCH_STATE_EXPIRED",
           "cancelling": _RUNNING, "cancelled": "BATCH_STATE_CANCELLED"},
    stamps={"validating": None, "in_progress": None, "finalizing": None, "completed": "endTime",
            "failed": "endTime", "expired": "endTime", "cancelling": None, "cancelled": "endTime"},
    cached_tokens=False,
)

DIALECT = Dialect(
    name="gemini",
    batch_id=lambda h: rand.hex_id(h, 24),  # the bare id; the resource name is batches/<id>
    request_id=lambda h: {"x-request-id": rand.hex_id(h, 24)},
    error=_error,
    refusals=REFUSALS,
    lifecycle=LIFECYCLE,
    result_kinds=("responses",),
    results=lambda batch, view, kind: results.responses_file(batch, view),
)
