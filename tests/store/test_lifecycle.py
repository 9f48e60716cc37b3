"""adapters.lifecycle: every provider's raw batch status and error type, value by value.

The expected values are written out here from shared/reference/provider-batch-apis.md §1.1
(and §2.4, §3.4, §4.4 for error types), not derived from the module's own tables, so a wrong
entry in the module shows up as a failing line.
"""

from __future__ import annotations

import pytest

from adapters.lifecycle import PROVIDERS_WITH_MAPPING, batch_status, classify_error
from store.model import BatchStatus as S
from store.model import ErrorClass, RequestCounts

OPENAI_STYLE = [
    ("validating", S.VALIDATING),
    ("in_progress", S.IN_PROGRESS),
    ("finalizing", S.FINALIZING),
    ("completed", S.COMPLETED),  # even when every item failed
    ("failed", S.FAILED),
    ("expired", S.EXPIRED),
    ("cancelling", S.CANCELING),  # double L on the wire
    ("cancelled", S.CANCELED),
]

CASES = (
    [(p, raw, want) for p in ("openai", "groq", "doubleword", "openai_compat") for raw, want in OPENAI_STYLE]
    + [
        ("gemini", "BATCH_STATE_PENDING", S.VALIDATING),
        ("gemini", "BATCH_STATE_RUNNING", S.IN_PROGRESS),
        ("gemini", "BATCH_STATE_SUCCEEDED", S.COMPLETED),
        ("gemini", "BATCH_STATE_FAILED", S.FAILED),
        ("gemini", "BATCH_STATE_EXPIRED", S.EXPIRED),
        ("gemini", "BATCH_STATE_CANCELLED", S.CANCELED),
        # the google-genai SDK's names for the same states
        ("gemini", "JOB_STATE_PENDING", S.VALIDATING),
        ("gemini", "JOB_STATE_RUNNING", S.IN_PROGRESS),
        ("gemini", "JOB_STATE_SUCCEEDED", S.COMPLETED),
        ("gemini", "JOB_STATE_FAILED", S.FAILED),
        ("gemini", "JOB_STATE_EXPIRED", S.EXPIRED),
        ("gemini", "JOB_STATE_CANCELLED", S.CANCELED),
        ("vertex", "JOB_STATE_QUEUED", S.VALIDATING),
        ("vertex", "JOB_STATE_PENDING", S.VALIDATING),
        ("vertex", "JOB_STATE_RUNNING", S.IN_PROGRESS),
        ("vertex", "JOB_STATE_UPDATING", S.IN_PROGRESS),
        ("vertex", "JOB_STATE_PAUSED", S.IN_PROGRESS),
        ("vertex", "JOB_STATE_SUCCEEDED", S.COMPLETED),
        ("vertex", "JOB_STATE_PARTIALLY_SUCCEEDED", S.COMPLETED),
        ("vertex", "JOB_STATE_FAILED", S.FAILED),
        ("vertex", "JOB_STATE_EXPIRED", S.EXPIRED),
        ("vertex", "JOB_STATE_CANCELLING", S.CANCELING),
        ("vertex", "JOB_STATE_CANCELLED", S.CANCELED),
        ("mistral", "QUEUED", S.VALIDATING),
        ("mistral", "RUNNING", S.IN_PROGRESS),
        ("mistral", "SUCCESS", S.COMPLETED),
        ("mistral", "FAILED", S.FAILED),
        ("mistral", "TIMEOUT_EXCEEDED", S.EXPIRED),
        ("mistral", "CANCELLATION_REQUESTED", S.CANCELING),
        ("mistral", "CANCELLED", S.CANCELED),
        ("together", "VALIDATING", S.VALIDATING),
        ("together", "IN_PROGRESS", S.IN_PROGRESS),
        ("together", "COMPLETED", S.COMPLETED),
        ("together", "FAILED", S.FAILED),
        ("together", "EXPIRED", S.EXPIRED),
        ("together", "CANCELLED", S.CANCELED),
        ("fireworks", "JOB_STATE_CREATING", S.VALIDATING),
        ("fireworks", "JOB_STATE_VALIDATING", S.VALIDATING),
        ("fireworks", "JOB_STATE_RUNNING", S.IN_PROGRESS),
        ("fireworks", "JOB_STATE_COMPLETED", S.COMPLETED),
        ("fireworks", "JOB_STATE_FAILED", S.FAILED),
        ("fireworks", "JOB_STATE_EXPIRED", S.EXPIRED),
        ("fireworks", "JOB_STATE_CANCELLED", S.CANCELED),
        ("anthropic", "in_progress", S.IN_PROGRESS),
        ("anthropic", "canceling", S.CANCELING),  # single L
        ("anthropic", "ended", S.COMPLETED),  # no cancel, nothing expired
    ]
)


@pytest.mark.parametrize(("provider", "raw", "expected"), CASES)
def test_raw_status_maps_to_the_common_lifecycle(provider, raw, expected):
    assert batch_status(provider, raw) is expected


def test_every_provider_in_the_reference_has_a_mapping():
    assert {"openai", "anthropic", "gemini", "vertex", "mistral", "together", "groq",
            "doubleword", "openai_compat", "fireworks"} <= PROVIDERS_WITH_MAPPING


@pytest.mark.parametrize(
    ("counts", "cancel_initiated", "expected"),
    [
        (RequestCounts(total=10, succeeded=10), False, S.COMPLETED),
        (RequestCounts(total=10, succeeded=7, errored=3), False, S.COMPLETED),
        (RequestCounts(total=10, succeeded=6, expired=4), False, S.EXPIRED),
        (RequestCounts(total=10, succeeded=6, canceled=4), True, S.CANCELED),
        (RequestCounts(total=10, succeeded=10), True, S.CANCELED),  # cancel raced completion
        (RequestCounts(total=10, succeeded=5, expired=2, canceled=3), True, S.CANCELED),
        (None, False, S.COMPLETED),
    ],
)
def test_anthropic_ended_is_derived_from_counts_and_cancel(counts, cancel_initiated, expected):
    assert batch_status("anthropic", "ended", counts=counts, cancel_initiated=cancel_initiated) is expected


@pytest.mark.parametrize(
    ("provider", "raw"),
    [("openai", "paused_for_maintenance"), ("anthropic", "archived"), ("gemini", "BATCH_STATE_UNSPECIFIED"),
     ("mistral", "SOMETHING_NEW"), ("openai", None)],
)
def test_unknown_raw_values_are_unknown_never_an_exception(provider, raw):
    assert batch_status(provider, raw) is S.UNKNOWN


def test_case_and_provider_spelling_do_not_matter():
    assert batch_status("together", "completed") is S.COMPLETED
    assert batch_status("gemini", "batch_state_running") is S.IN_PROGRESS
    assert batch_status("OpenAI", "Completed") is S.COMPLETED
    assert batch_status("Anthropic", "ENDED") is S.COMPLETED


def test_an_unlisted_openai_compatible_service_uses_the_openai_statuses():
    assert batch_status("cerebras", "cancelling") is S.CANCELING


R, P = ErrorClass.RETRYABLE, ErrorClass.PERMANENT


@pytest.mark.parametrize(
    ("error_type", "expected"),
    [
        # Anthropic result error kinds (§3.4)
        ("invalid_request_error", P), ("authentication_error", P), ("billing_error", P),
        ("permission_error", P), ("not_found_error", P), ("request_too_large", P),
        ("rate_limit_error", R), ("timeout_error", R), ("api_error", R), ("overloaded_error", R),
        # OpenAI error-file codes and body error types (§2.4)
        ("batch_expired", R), ("batch_cancelled", R), ("request_timeout", R), ("server_error", R),
        ("rate_limit_exceeded", R), ("content_policy_violation", P), ("context_length_exceeded", P),
        ("invalid_api_key", P), ("model_not_found", P), ("duplicate_custom_id", P),
        # Item outcomes without an error object
        ("expired", R), ("canceled", R),
        # google.rpc.Status (§4.4)
        ("INVALID_ARGUMENT", P), ("PERMISSION_DENIED", P), ("UNAUTHENTICATED", P), ("NOT_FOUND", P),
        ("RESOURCE_EXHAUSTED", R), ("UNAVAILABLE", R), ("DEADLINE_EXCEEDED", R), ("INTERNAL", R),
    ],
)
def test_error_type_decides_the_class(error_type, expected):
    assert classify_error(error_type) is expected


@pytest.mark.parametrize(
    ("http_status", "expected"),
    [(429, R), (408, R), (409, R), (500, R), (502, R), (503, R), (529, R),
     (400, P), (401, P), (403, P), (404, P), (413, P), (422, P)],
)
def test_without_a_known_type_the_http_status_decides(http_status, expected):
    assert classify_error("some_new_error", http_status) is expected
    assert classify_error(None, http_status) is expected


def test_a_known_type_wins_over_the_http_status():
    assert classify_error("rate_limit_error", 400) is R
    assert classify_error("invalid_request_error", 500) is P


def test_with_nothing_to_go_on_the_words_decide_and_default_is_retryable():
    assert classify_error("invalid_image") is P
    assert classify_error("auth_expired") is P
    assert classify_error("mystery") is R
    assert classify_error(None) is R
