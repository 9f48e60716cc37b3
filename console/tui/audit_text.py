"""Audit details in words: money as dollars, moments as clock times, counts with separators.

The store keeps each event's details as the engine wrote them (floats such as
`0.8962180000000044`, epoch seconds, nested lists); the log shows them the way the rest of the
console does. Pure functions, given the zone and `now`, so they are unit-tested directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from console.format.numbers import fmt_int, fmt_money, num
from console.format.textclean import clean
from console.format.times import fmt_clock

ROUTINE_ACTIONS = ("sync", "ingest", "reconcile.error", "submit.reconciled", "promote.recovered")
"""What the engine does by itself on every pass; everything else was an operator's action."""

MONEY_WORDS = ("cost", "price", "saved", "savings", "spent", "expected", "ceiling", "usd")
TIME_WORDS = ("at", "deadline", "expires", "until", "since", "when")
SECONDS_SUFFIXES = ("_s", "seconds")
LIST_SHOWN = 5


def is_operator_action(action: str) -> bool:
    return action not in ROUTINE_ACTIONS


def _is_money(key: str) -> bool:
    return any(word in key.lower().split("_") or key.lower().endswith(word) for word in MONEY_WORDS)


def _is_time(key: str) -> bool:
    parts = key.lower().split("_")
    return parts[-1] in TIME_WORDS or key.lower() in TIME_WORDS


def value_text(key: str, value: Any, *, utc: bool, now: float) -> str:
    """One detail value in words; the key decides how a number reads."""
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "—"}[value]
    if isinstance(value, (int, float)):
        if key.endswith(("batch_id", "batch_ids")) and not key.startswith("provider") and isinstance(value, int):
            return f"#{value}"  # our batch ids read as everywhere else in the console
        if _is_money(key):
            return fmt_money(value)
        if _is_time(key) and num(value) is not None and value > 1e9:
            return fmt_clock(value, utc=utc, now=now)
        if key.lower().endswith(SECONDS_SUFFIXES):
            return f"{value:.1f}s" if value < 60 else f"{value / 60:.1f}m"
        if isinstance(value, float) and not value.is_integer():
            return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
        return fmt_int(value)
    if isinstance(value, Mapping):
        inner = [f"{clean(k)} {value_text(str(k), v, utc=utc, now=now)}" for k, v in value.items()]
        return "{" + ", ".join(inner) + "}"
    if isinstance(value, (list, tuple)):
        shown = [value_text(key, v, utc=utc, now=now) for v in value[:LIST_SHOWN]]
        more = f" (+{fmt_int(len(value) - LIST_SHOWN)} more)" if len(value) > LIST_SHOWN else ""
        return ", ".join(shown) + more if shown else "none"
    return clean(value)


def details_text(details: Any, *, utc: bool, now: float) -> str:
    """`items 38 · new_batch_ids 2` on one line (the cell cuts it at the column's width)."""
    if not isinstance(details, Mapping):
        return clean(details) if details not in (None, "") else "—"
    if not details:
        return "—"
    return " · ".join(f"{clean(k)} {value_text(str(k), v, utc=utc, now=now)}" for k, v in details.items())


def details_lines(details: Any, *, utc: bool, now: float) -> list[tuple[str, str]]:
    """(key, value in words) per detail, for the event's own view."""
    if not isinstance(details, Mapping):
        return [("details", clean(details))]
    return [(clean(k), value_text(str(k), v, utc=utc, now=now)) for k, v in details.items()]
