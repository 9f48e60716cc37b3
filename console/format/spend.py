"""The two figures a spend shows before it asks (design card: "expected and ceiling, named"),
in the words both front ends use: the engine's preview summaries, the command line's cost
lines and the console's dialogs.

The ceiling is a bound or nothing. Requests without one are counted and named ("ceiling:
none for 120 of 1,000 requests (no max_tokens); $1.2000 for the other 880"), never given a
guessed figure; a model without a price reads "unpriced", never $0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from console.format.numbers import fmt_cost, fmt_int, fmt_money, num
from console.format.wording import plural

CEILING_BASIS = "the most it can bill: every output limit used in full, input at most a token per byte"
"""What a ceiling figure is (console.engine.ceiling), said once beside it."""


def money(value: float | None) -> str:
    """A cost to four decimals, or "unpriced" (never $0 for a cost nobody can compute)."""
    return fmt_cost(value, unknown="unpriced")


def bound_money(value: float | None) -> str:
    """A ceiling to the cent for screens, rounded up (a bound shown lower than it is would not
    be one): `$0.71` for 0.7012; "unpriced" when unknown."""
    v = num(value)
    return "unpriced" if v is None else fmt_money(math.ceil(round(v * 100, 6)) / 100)


def reasons_words(reasons: Mapping[str, int]) -> str:
    """`no max_tokens`, or `100 no max_tokens, 20 images/audio/files` (largest first)."""
    if len(reasons) == 1:
        return next(iter(reasons))
    ranked = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{fmt_int(n)} {why}" for why, n in ranked)


def ceiling_words(bounded_cost: float | None, unbounded: int, total: int, reasons: Mapping[str, int],
                  noun: str = "request", fmt: Callable[[float | None], str] = money) -> str:
    """The ceiling of `total` requests, `unbounded` of which have none: `ceiling $0.0420`,
    `ceiling unpriced`, `ceiling: none for 120 of 1,000 requests (no max_tokens); $0.0420 for
    the other 880`, or `ceiling: none for all 3 requests (no max_tokens)`."""
    if unbounded <= 0:
        return f"ceiling {fmt(bounded_cost)}"
    why = reasons_words(reasons) if reasons else "no bound"
    if unbounded >= total:
        every = f"the {noun}" if total == 1 else f"all {plural(total, noun)}"
        return f"ceiling: none for {every} ({why})"
    return (f"ceiling: none for {fmt_int(unbounded)} of {plural(total, noun)} ({why}); "
            f"{fmt(bounded_cost)} for the other {fmt_int(total - unbounded)}")


def add_reasons(into: dict[str, int], reasons: Mapping[str, int]) -> dict[str, int]:
    """`into` with `reasons` counted in (the console sums several batches' previews)."""
    for why, n in reasons.items():
        into[why] = into.get(why, 0) + n
    return into
