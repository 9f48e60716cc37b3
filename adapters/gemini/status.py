"""Gemini's own tables: per-line gRPC codes (never HTTP statuses) and their classes.

A failed line of a Gemini batch carries a google.rpc.Status whose `code` is a gRPC canonical
code (3 = INVALID_ARGUMENT, 8 = RESOURCE_EXHAUSTED, 13 = INTERNAL, ...), reference §4.4. Read as
an HTTP status, 3 or 13 would be nonsense; this table is the only place they are read. Batch
states (BATCH_STATE_* and the SDK's JOB_STATE_*) map in `adapters.lifecycle`, whose unknown
values stay `unknown` and keep being polled.
"""

from __future__ import annotations

from store.model import ErrorClass

GRPC_NAMES: dict[int, str] = {
    0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND", 6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION", 10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED",
    13: "INTERNAL", 14: "UNAVAILABLE", 15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}

GRPC_PERMANENT = frozenset({3, 5, 6, 7, 9, 11, 12, 16})
"""Codes where sending the same request again cannot help (the reference's proposal: 3, 5, 7,
9, 11, 16; ALREADY_EXISTS and UNIMPLEMENTED added as equally request-bound)."""
GRPC_RETRYABLE = frozenset({1, 2, 4, 8, 10, 13, 14, 15})
"""Codes worth a resubmission as is (4, 8, 10, 13, 14 in the reference; CANCELLED, UNKNOWN and
DATA_LOSS also: an operator can always decline, a wrongly permanent item would be hidden)."""


def grpc_name(code: int | None, status: str | None = None) -> str:
    """The status name for a line's error: its own `status` string, else the code's name."""
    if status:
        return status
    if code is None:
        return "UNKNOWN"
    return GRPC_NAMES.get(code, f"grpc_{code}")


def grpc_class(code: int | None, status: str | None = None) -> ErrorClass:
    """Retryable or permanent, from the gRPC code (or its name when the code is absent)."""
    if code is None and status:
        code = next((c for c, n in GRPC_NAMES.items() if n == status), None)
    if code in GRPC_PERMANENT:
        return ErrorClass.PERMANENT
    return ErrorClass.RETRYABLE


TRUNCATING_FINISH = frozenset({"MAX_TOKENS", "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"})
"""Candidate finish reasons that mark a billed success cut short (reference §4.4)."""
