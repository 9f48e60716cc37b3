"""Times for people, shared by both front ends: the console's short clock (`03:12`, `Jun 11
23:40`, in the zone the operator chose) and the command line's UTC minute (`2026-11-24 09:00`).

Pure and total, like numbers.py: a value that is not a sane epoch time (None, NaN, a string,
the year 3000) formats to the front end's "unknown" mark instead of raising.
"""

from __future__ import annotations

from datetime import UTC, datetime

from console.format.numbers import DASH


def is_time(ts: object) -> bool:
    """An epoch time worth showing (stores written by other tools may hold strings, NaN or
    absurd values)."""
    if not isinstance(ts, (int, float)) or isinstance(ts, bool):
        return False
    return ts == ts and 0 <= ts < 32503680000  # year 3000


def to_datetime(ts: float, *, utc: bool) -> datetime:
    """An aware datetime in UTC or the local zone (what the operator asked to see)."""
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return moment if utc else moment.astimezone()


def fmt_clock(ts: float | None, *, utc: bool, now: float | None = None) -> str:
    """`03:12` today, `Jun 11 23:40` on another day, `—` when unknown.

    "Today" is judged in the zone shown, so the short form never hides a date change.
    """
    if ts is None or not is_time(ts):
        return DASH
    moment = to_datetime(ts, utc=utc)
    if now is not None and is_time(now) and to_datetime(now, utc=utc).date() == moment.date():
        return moment.strftime("%H:%M")
    return moment.strftime("%b %d %H:%M")


def fmt_utc_minute(ts: float | None) -> str:
    """`2026-11-24 09:00` (UTC, to the minute) for the command line's tables; `-` when unknown."""
    if ts is None or not is_time(ts):
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def fmt_stamp(ts: float | None, *, utc: bool) -> str:
    """A full timestamp with its zone name, `2025-06-12 03:12:05 UTC`, for a detail view."""
    if ts is None or not is_time(ts):
        return DASH
    moment = to_datetime(ts, utc=utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S ") + (moment.tzname() or "")
