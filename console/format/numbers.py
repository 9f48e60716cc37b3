"""Scalar formatters shared by both front ends: money, token counts, durations, palettes.
(Times are in times.py.)

Money has two precisions, one function each: `fmt_money` rounds to the cent for screens and
totals (`$1,234.56`, `<$0.01`), `fmt_cost` keeps four decimals for the estimates and results an
operator acts on (`$0.0038`). Neither ever writes $0 for a cost that is not known: each says so
in words (which words is the caller's, e.g. "unpriced").

Pure and total: any value (None, NaN, a string where a number belongs) formats to something,
usually `—`, so a store written by another tool can never crash a screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from console.format.textclean import clean

DASH = "—"


@dataclass(frozen=True, slots=True)
class Palette:
    """Rich styles for each severity, resolved from the theme's variables by the app."""

    ok: str = "green"
    failed: str = "bold red"
    warning: str = "bold yellow"
    expired: str = "magenta"
    risk: str = "bold yellow"
    muted: str = "dim"
    accent: str = "bold"


PLAIN = Palette("", "bold", "bold", "", "bold", "", "bold")
"""Monochrome: emphasis by weight only, used where colour is unavailable or unwanted."""


# ---- scalars ----------------------------------------------------------------------------
def num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return None if math.isnan(value) or math.isinf(value) else float(value)


def fmt_duration(seconds: float | None) -> str:
    """`2d 4h`, `23h 12m`, `12m`, `45s`; `—` when unknown or negative."""
    s = num(seconds)
    if s is None or s < 0:
        return DASH
    s = int(s)
    days, rem = divmod(s, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def fmt_money(value: float | None, *, signed: bool = False) -> str:
    """`$1,234.56`, `$0.42`, `<$0.01`, `-$0.004`; `—` when unknown (never `$0` for unknown).

    A loss under a cent shows its size (`-$0.004`): `-<$0.01` read as a typo."""
    v = num(value)
    if v is None:
        return DASH
    sign = "-" if v < 0 else ("+" if signed and v > 0 else "")
    v = abs(v)
    if 0 < v < 0.01:
        return f"-${max(v, 0.001):.3f}" if sign == "-" else f"{sign}<$0.01"
    return f"{sign}${v:,.2f}"


UNPRICED = "unpriced"
"""The word for money nobody can compute (the model has no price): never `$0`."""


def fmt_cost(value: float | None, *, unknown: str = UNPRICED) -> str:
    """`$0.0038`, `$1,234.5678`: a cost to four decimals (estimates, promotions); `unknown`
    when there is no price."""
    v = num(value)
    return unknown if v is None else f"${v:,.4f}"


def fmt_about(value: float | None, *, unknown: str = "unknown") -> str:
    """An estimated cost in words: `about $0.0038`, or `unknown` (never $0 for unpriced)."""
    v = num(value)
    return unknown if v is None else f"about {fmt_cost(v)}"


def fmt_amount(value: float | None, *, places: int = 4, unknown: str = "") -> str:
    """A dollar figure without the sign, for table columns whose header says `$`."""
    v = num(value)
    return unknown if v is None else f"{v:.{places}f}"


def fmt_int(value: object) -> str:
    v = num(value)
    return DASH if v is None else f"{int(v):,}"


def fmt_compact(value: object) -> str:
    """`950`, `12.3k`, `1.2M`: token counts in narrow columns."""
    v = num(value)
    if v is None:
        return DASH
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= limit:
            return f"{v / limit:.1f}{suffix}"
    return f"{int(v)}"


def text_or_dash(value: object, limit: int | None = None) -> str:
    """A provider or model string made printable, or `—`."""
    if value is None or value == "":
        return DASH
    out = clean(value)
    if limit and len(out) > limit:
        out = out[: limit - 1] + "…"
    return out
