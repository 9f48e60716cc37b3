"""The header's heartbeat line, as a pure function of the lease, account health and now."""

from __future__ import annotations

from console.engine.freshness import STALE_AFTER, freshness
from store.model import ProfileHealth, SyncLease

NOW = 1_000_000.0


def lease(last_pass: float | None, expires: float = NOW + 60) -> SyncLease:
    return SyncLease("tok", "ops@box", "box", 12, NOW - 600, NOW - 5, expires, last_pass)


def test_a_recent_pass_reads_synced_seconds_ago():
    assert freshness(lease(NOW - 8), [], NOW).text == "synced 8s ago"
    assert not freshness(lease(NOW - 8), [], NOW).warning


def test_stale_and_lapsed_are_warnings_and_a_store_never_synced_says_so():
    assert freshness(lease(NOW - STALE_AFTER - 60), [], NOW).warning
    lapsed = freshness(lease(NOW - 400, expires=NOW - 10), [], NOW)
    assert lapsed.warning and "no sync running" in lapsed.text and "6m ago" in lapsed.text
    assert freshness(None, [], NOW).text == "not synced yet"


def test_a_failing_account_is_named_with_how_long_it_has_failed():
    health = [ProfileHealth("openai", "prod", last_error="Connection error.", failing_since=NOW - 180),
              ProfileHealth("anthropic", "default", last_success_at=NOW - 5)]
    fresh = freshness(lease(NOW - 8), health, NOW)
    assert fresh.warning and fresh.text == "openai:prod unreachable for 3m — retrying"


def test_the_kind_of_failure_is_named():
    from console.engine.freshness import failure_word

    assert failure_word("no OpenAI API key: set OPENAI_API_KEY or name a profile with --profile") == "has no key"
    assert failure_word("OpenAI answered HTTP 401: invalid api key") == "refusing the key"
    assert failure_word("OpenAI answered HTTP 429: Rate limit reached") == "throttled"
    assert failure_word("Connection error.") == "unreachable"
