"""Adapter pieces that need no server: result-line shapes, usage, credentials, retries."""

from __future__ import annotations

import pytest

from adapters.anthropic import results as anthropic_results
from adapters.errors import RateLimited, from_http, redact
from adapters.openai import results as openai_results
from adapters.profiles import ProfileError, resolve
from console.engine.retry import RetryPolicy, RetryStats, call
from store.model import ErrorClass, ItemStatus, Usage


def test_openai_usage_excludes_cached_and_written_tokens_from_input():
    usage = {"prompt_tokens": 1000, "completion_tokens": 50,
             "prompt_tokens_details": {"cached_tokens": 600, "cache_write_tokens": 100}}
    assert openai_results.normalize_usage(usage) == Usage(300, 50, 600, 100)
    responses = {"input_tokens": 80, "output_tokens": 9, "input_tokens_details": {"cached_tokens": 30}}
    assert openai_results.normalize_usage(responses) == Usage(50, 9, 30, 0)


def test_anthropic_usage_is_already_exclusive():
    usage = {"input_tokens": 12, "output_tokens": 7, "cache_read_input_tokens": 400,
             "cache_creation_input_tokens": 100}
    assert anthropic_results.normalize_usage(usage) == Usage(12, 7, 400, 100)


def test_openai_error_lines_in_both_shapes():
    http = openai_results.parse_line({"custom_id": "a", "error": None, "response": {
        "status_code": 400, "body": {"error": {"type": "invalid_request_error", "message": "bad"}}}})
    assert (http.status, http.error_type, http.http_status, http.error_class) == (
        ItemStatus.ERRORED, "invalid_request_error", 400, ErrorClass.PERMANENT)
    limited = openai_results.parse_line({"custom_id": "b", "error": None, "response": {
        "status_code": 429, "body": {"error": {"type": "requests", "code": "rate_limit_exceeded"}}}})
    assert (limited.error_type, limited.error_class) == ("rate_limit_exceeded", ErrorClass.RETRYABLE)
    expired = openai_results.parse_line({"custom_id": "c", "response": None,
                                       "error": {"code": "batch_expired", "message": "too late"}})
    assert (expired.status, expired.error_class) == (ItemStatus.EXPIRED, ErrorClass.RETRYABLE)


def test_anthropic_result_kinds():
    parse = anthropic_results.parse_line
    assert parse({"custom_id": "a", "result": {"type": "canceled"}}).status == ItemStatus.CANCELED
    err = parse({"custom_id": "b", "result": {"type": "errored", "error": {
        "type": "error", "error": {"type": "overloaded_error", "message": "busy"}}}})
    assert (err.error_type, err.error_message, err.error_class) == ("overloaded_error", "busy", ErrorClass.RETRYABLE)


def test_credentials_come_from_a_profile_or_the_environment():
    profiles = {"prod": {"provider": "openai", "base_url": "https://gw/v1", "api_key_env": "PROD_KEY"}}
    creds = resolve("openai", "prod", profiles, env={"PROD_KEY": "sk-prod-123"})
    assert (creds.base_url, creds.api_key, creds.profile) == ("https://gw/v1", "sk-prod-123", "prod")
    assert "sk-prod-123" not in repr(creds)
    env = resolve("anthropic", None, profiles, env={"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": "http://x"})
    assert (env.api_key, env.base_url) == ("k", "http://x")
    with pytest.raises(ProfileError, match="is for openai, not anthropic"):
        resolve("anthropic", "prod", profiles, env={})
    with pytest.raises(ProfileError, match=r"\$PROD_KEY, which is not set"):
        resolve("openai", "prod", profiles, env={})


def test_keys_never_survive_into_error_messages():
    assert "sk-live-abcdef123" not in redact("Incorrect API key provided: sk-live-abcdef123")
    err = from_http(401, "bad key my-secret-key", secrets=("my-secret-key",))
    assert "my-secret-key" not in str(err) and not err.retryable


async def test_retries_are_bounded_and_honour_retry_after():
    waits: list[float] = []

    async def sleep(s: float) -> None:
        waits.append(s)

    calls = 0

    async def always_429():
        nonlocal calls
        calls += 1
        raise RateLimited("slow down", retryable=True, status=429, retry_after=1.5)

    stats = RetryStats()
    with pytest.raises(RateLimited):
        await call(always_429, policy=RetryPolicy(attempts=4), sleep=sleep, stats=stats)
    assert calls == 4 and waits == [1.5, 1.5, 1.5] and stats.throttled == 4
    # A retry-after beyond the cap gives up at once instead of stalling the caller.
    waits.clear()

    async def long_wait():
        raise RateLimited("later", retryable=True, status=429, retry_after=600)

    with pytest.raises(RateLimited):
        await call(long_wait, policy=RetryPolicy(cap=20), sleep=sleep)
    assert waits == []
