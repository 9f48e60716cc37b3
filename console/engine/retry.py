"""Bounded retries with backoff that honour `retry-after`.

SDK clients run with `max_retries=0`; this is the only place provider calls are retried, so
the number of attempts and the total wait are bounded, counted and testable (tests inject a
`sleep` that records instead of waiting).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from adapters.errors import AdapterError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry a retryable provider failure.

    Attributes:
        attempts: total tries including the first.
        base: first backoff delay in seconds; doubles each retry (with jitter).
        cap: longest single wait; a `retry-after` above it gives up instead of waiting
            (the caller leaves the work for the next pass).
        jitter: fraction of random spread added to computed delays.
    """

    attempts: int = 5
    base: float = 0.25
    cap: float = 20.0
    jitter: float = 0.2

    def delay(self, attempt: int, error: AdapterError) -> float | None:
        """Seconds to wait before retry number `attempt` (1-based), or None to give up."""
        if attempt >= self.attempts or not error.retryable:
            return None
        backoff = min(self.cap, self.base * (2.0 ** (attempt - 1)))
        backoff *= 1 + self.jitter * random.random()
        if error.retry_after is not None:
            if error.retry_after > self.cap:
                return None
            return error.retry_after
        return min(backoff, self.cap)


@dataclass(slots=True)
class RetryStats:
    """Counts kept across calls (e.g. one promote run): retries made and seconds waited."""

    retries: int = 0
    waited: float = 0.0
    throttled: int = 0


async def call(
    fn: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[Any]],
    stats: RetryStats | None = None,
) -> T:
    """Await `fn()`; on a retryable AdapterError wait (retry-after or backoff) and try again.

    Raises the last AdapterError once the policy gives up; non-retryable errors at once.
    """
    attempt = 1
    while True:
        try:
            return await fn()
        except AdapterError as exc:
            if exc.status == 429 and stats is not None:
                stats.throttled += 1
            wait = policy.delay(attempt, exc)
            if wait is None:
                raise
            if stats is not None:
                stats.retries += 1
                stats.waited += wait
            await sleep(wait)
            attempt += 1
