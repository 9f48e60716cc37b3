"""How fresh a store's data is, in words: the console header's heartbeat line.

Pure: given the sync lease, each account's health and `now`, say "synced 8 s ago" or why the
data cannot be trusted ("openai:prod unreachable for 3 min — retrying", "no sync for 6 min").
The console shows it on every screen tick; alerting reads the same verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from console.format.numbers import fmt_duration
from store.model import ProfileHealth, SyncLease

STALE_AFTER = 120.0
"""Seconds since the last finished pass after which the data reads as stale (a pass runs at
least every 30 s while batches are in flight, so this is four missed passes)."""


@dataclass(frozen=True, slots=True)
class Freshness:
    """The heartbeat line: `text` to show, and whether it is a warning (stale or failing)."""

    text: str
    warning: bool


def failing_accounts(health: Sequence[ProfileHealth]) -> list[ProfileHealth]:
    """Accounts whose calls have all failed since `failing_since`, longest failing first."""
    failing = [h for h in health if h.failing_since is not None]
    return sorted(failing, key=lambda h: (h.failing_since or 0.0, h.provider, h.profile))


def failure_word(error: str | None) -> str:
    """What kind of failure an account's last error is, in one word for the header."""
    text = (error or "").lower()
    if "429" in text or "rate limit" in text or "throttl" in text:
        return "throttled"
    if ("no " in text and "key" in text) or "not set" in text:
        return "has no key"
    if "401" in text or "403" in text or "api key" in text or "auth" in text or "permission" in text:
        return "refusing the key"
    return "unreachable"


def _ago(seconds: float) -> str:
    return "just now" if seconds < 1 else f"{fmt_duration(seconds)} ago"


def freshness(lease: SyncLease | None, health: Sequence[ProfileHealth], now: float) -> Freshness:
    """The heartbeat line for a store at `now`.

    Failing accounts come first (a warning as soon as an account's calls all failed in a pass);
    then a lapsed lease or a last pass older than STALE_AFTER (warning: nothing keeps the data
    current); else how long ago the last pass finished.
    """
    failing = failing_accounts(health)
    if failing:
        first = failing[0]
        since = max(0.0, now - (first.failing_since or now))
        more = f" (+{len(failing) - 1} more)" if len(failing) > 1 else ""
        return Freshness(f"{first.provider}:{first.profile} {failure_word(first.last_error)} for "
                         f"{fmt_duration(since)} — retrying{more}", True)
    if lease is None:
        # Not a warning: a console about to make its first pass, or a store only read (demo).
        return Freshness("not synced yet", False)
    last = lease.last_pass_at
    if lease.expires_at < now:
        when = f"last pass {_ago(now - last)}" if last is not None else "no pass finished"
        return Freshness(f"no sync running ({when}, by {lease.who})", True)
    if last is None:
        return Freshness(f"first sync running ({lease.who})", False)
    age = max(0.0, now - last)
    if age > STALE_AFTER:
        return Freshness(f"stale: last sync {_ago(age)} ({lease.who})", True)
    return Freshness(f"synced {_ago(age)}", False)
