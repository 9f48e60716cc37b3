"""Scalar formatters shared by every screen: money, durations, counts, palettes.

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
