"""Every provider's raw batch status and error type, mapped to batchdeck's one lifecycle.

This is the single place to fix when a provider renames a status or our reading of the
reference (shared/reference/provider-batch-apis.md §1.1, §2–§8) turns out wrong. Unknown raw
values never raise: they map to `BatchStatus.UNKNOWN` (kept polling) and to a retryable
error class only when the HTTP status says so.
"""

from __future__ import annotations

from store.model import BatchStatus, ErrorClass, RequestCounts

_S = BatchStatus

# OpenAI and the services that copy its Batch object (Groq, Doubleword, Cerebras,
# Perplexity, OpenRouter). Note the double L in "cancelling"/"cancelled".
_OPENAI_STYLE = {
    "validating": _S.VALIDATING,
    "in_progress": _S.IN_PROGRESS,
    "finalizing": _S.FINALIZING,
    "completed": _S.COMPLETED,
    "failed": _S.FAILED,
    "expired": _S.EXPIRED,
    "cancelling": _S.CANCELING,
    "cancelled": _S.CANCELED,
}

_GEMINI = {
    # Gemini Developer API raw states and the JOB_STATE_* names the SDK maps them to;
    # Vertex batch prediction jobs use the JOB_STATE_* family directly.
    "BATCH_STATE_PENDING": _S.VALIDATING,
    "BATCH_STATE_RUNNING": _S.IN_PROGRESS,
    "BATCH_STATE_SUCCEEDED": _S.COMPLETED,
    "BATCH_STATE_FAILED": _S.FAILED,
    "BATCH_STATE_CANCELLED": _S.CANCELED,
    "BATCH_STATE_EXPIRED": _S.EXPIRED,
    "JOB_STATE_QUEUED": _S.VALIDATING,
    "JOB_STATE_PENDING": _S.VALIDATING,
    "JOB_STATE_RUNNING": _S.IN_PROGRESS,
    "JOB_STATE_UPDATING": _S.IN_PROGRESS,
    "JOB_STATE_PAUSED": _S.IN_PROGRESS,
    "JOB_STATE_SUCCEEDED": _S.COMPLETED,
    "JOB_STATE_PARTIALLY_SUCCEEDED": _S.COMPLETED,
    "JOB_STATE_FAILED": _S.FAILED,
    "JOB_STATE_CANCELLING": _S.CANCELING,
    "JOB_STATE_CANCELLED": _S.CANCELED,
    "JOB_STATE_EXPIRED": _S.EXPIRED,
}

_MISTRAL = {
    "QUEUED": _S.VALIDATING,
    "RUNNING": _S.IN_PROGRESS,
    "SUCCESS": _S.COMPLETED,
    "FAILED": _S.FAILED,
    "TIMEOUT_EXCEEDED": _S.EXPIRED,
    "CANCELLATION_REQUESTED": _S.CANCELING,
    "CANCELLED": _S.CANCELED,
}

_TOGETHER = {
    "VALIDATING": _S.VALIDATING,
    "IN_PROGRESS": _S.IN_PROGRESS,
    "COMPLETED": _S.COMPLETED,
    "FAILED": _S.FAILED,
    "EXPIRED": _S.EXPIRED,
    "CANCELLED": _S.CANCELED,
}

# Fireworks: the whole column is UNCONFIRMED in the reference (docs only show the prefix).
_FIREWORKS = {
    "JOB_STATE_CREATING": _S.VALIDATING,
    "JOB_STATE_VALIDATING": _S.VALIDATING,
    "JOB_STATE_RUNNING": _S.IN_PROGRESS,
    "JOB_STATE_COMPLETED": _S.COMPLETED,
    "JOB_STATE_FAILED": _S.FAILED,
    "JOB_STATE_EXPIRED": _S.EXPIRED,
    "JOB_STATE_CANCELLED": _S.CANCELED,
}

_TABLES: dict[str, dict[str, BatchStatus]] = {
    "openai": _OPENAI_STYLE,
    "groq": _OPENAI_STYLE,
    "doubleword": _OPENAI_STYLE,
    "openai_compat": _OPENAI_STYLE,
    "gemini": _GEMINI,
    "vertex": _GEMINI,
    "mistral": _MISTRAL,
    "together": _TOGETHER,
    "fireworks": _FIREWORKS,
}

PROVIDERS_WITH_MAPPING = frozenset(_TABLES) | {"anthropic"}


def batch_status(
    provider: str,
    raw: str | None,
    *,
    counts: RequestCounts | None = None,
    cancel_initiated: bool = False,
) -> BatchStatus:
    """Map a provider's raw batch status to the common lifecycle.

    Anthropic reports only `in_progress`, `canceling` and `ended`; an ended batch is
    canceled when a cancel was initiated, expired when any request expired, and completed
    otherwise. (Both cancel and expiry at once: canceled, because the operator's action is
    what they will look for.)
    """
    if raw is None:
        return BatchStatus.UNKNOWN
    provider = provider.lower()
    raw = raw.strip()
    if provider == "anthropic":
        return _anthropic_status(raw, counts, cancel_initiated)
    table = _TABLES.get(provider, _OPENAI_STYLE)
    status = table.get(raw)
    if status is None:
        # Providers are not consistent about case (Together's docs show both).
        status = table.get(raw.upper()) or table.get(raw.lower())
    return status or BatchStatus.UNKNOWN


def _anthropic_status(raw: str, counts: RequestCounts | None, cancel_initiated: bool) -> BatchStatus:
    raw = raw.lower()
    if raw == "in_progress":
        return BatchStatus.IN_PROGRESS
    if raw == "canceling":
        return BatchStatus.CANCELING
    if raw != "ended":
        return BatchStatus.UNKNOWN
    if cancel_initiated:
        return BatchStatus.CANCELED
    if counts is not None and counts.expired > 0:
        return BatchStatus.EXPIRED
    return BatchStatus.COMPLETED


_PERMANENT_TYPES = frozenset(
    {
        # Anthropic error kinds
        "invalid_request_error",
        "authentication_error",
        "billing_error",
        "permission_error",
        "not_found_error",
        "request_too_large",
        # OpenAI error types / codes seen in batch error files
        "invalid_request",
        "invalid_api_key",
        "insufficient_quota",
        "content_policy_violation",
        "content_filter",
        "model_not_found",
        "context_length_exceeded",
        "invalid_json_line",
        "duplicate_custom_id",
        "url_mismatch",
        "model_mismatch",
        # Gemini google.rpc.Status
        "INVALID_ARGUMENT",
        "PERMISSION_DENIED",
        "NOT_FOUND",
        "FAILED_PRECONDITION",
        "UNAUTHENTICATED",
    }
)

_RETRYABLE_TYPES = frozenset(
    {
        "rate_limit_error",
        "rate_limit_exceeded",
        "overloaded_error",
        "api_error",
        "timeout_error",
        "server_error",
        "request_timeout",
        "batch_expired",
        "batch_cancelled",
        "expired",
        "canceled",
        "token_limit_exceeded",
        "RESOURCE_EXHAUSTED",
        "UNAVAILABLE",
        "DEADLINE_EXCEEDED",
        "INTERNAL",
    }
)


def classify_error(error_type: str | None, http_status: int | None = None) -> ErrorClass:
    """Classify a per-item error as retryable (send again as is) or permanent (fix first).

    The type decides when we know it; otherwise the HTTP status does (429, 408 and 5xx are
    retryable, other 4xx permanent). With neither, retryable: an operator can always choose
    not to resubmit, but a wrongly "permanent" item would be hidden from the default retry.
    """
    if error_type:
        if error_type in _PERMANENT_TYPES:
            return ErrorClass.PERMANENT
        if error_type in _RETRYABLE_TYPES:
            return ErrorClass.RETRYABLE
    if http_status is not None:
        if http_status in (408, 409, 429) or http_status >= 500:
            return ErrorClass.RETRYABLE
        if 400 <= http_status < 500:
            return ErrorClass.PERMANENT
    if error_type and any(word in error_type.lower() for word in ("invalid", "auth", "policy", "permission")):
        return ErrorClass.PERMANENT
    return ErrorClass.RETRYABLE
