"""The console's sense of time: injectable, so tests and screenshots can freeze it.

Every row renderer takes `now` as an argument; the app asks its `Clock` once per refresh and
passes the value down, so one frozen clock makes a whole screen deterministic.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

DEMO_NOW = 1749697200.0
"""2025-06-12 03:00:00 UTC: the frozen instant of the seeded demo store (3 a.m., on call)."""


class Clock:
    """Seconds since the epoch, either live or frozen at one instant.

    Args:
        frozen: a fixed epoch time; None follows the wall clock.
    """

    def __init__(self, frozen: float | None = None) -> None:
        self.frozen = frozen

    def now(self) -> float:
        return self.frozen if self.frozen is not None else time.time()

    __call__ = now


def to_datetime(ts: float, *, utc: bool) -> datetime:
    """An aware datetime in UTC or the local zone (what the operator asked to see)."""
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return moment if utc else moment.astimezone()


def fmt_clock(ts: float | None, *, utc: bool, now: float | None = None) -> str:
    """`03:12` today, `Jun 11 23:40` on another day, `—` when unknown.

    "Today" is judged in the zone shown, so the short form never hides a date change.
    """
    if not _is_time(ts):
        return "—"
    moment = to_datetime(ts, utc=utc)  # type: ignore[arg-type]
    if now is not None and _is_time(now) and to_datetime(now, utc=utc).date() == moment.date():
        return moment.strftime("%H:%M")
    return moment.strftime("%b %d %H:%M")


def _is_time(ts: object) -> bool:
    # Stores written by other tools may hold strings, NaN or absurd values: show "—".
    if not isinstance(ts, (int, float)) or isinstance(ts, bool):
        return False
    return ts == ts and 0 <= ts < 32503680000  # year 3000
