"""What to do about a condition: the exact command, and what it would cost.

Rules name an `Action`; this turns it into the command an operator pastes
(`batchdeck promote 14 --tier flex`) with the engine's own estimate of its cost, so an alert
at 3 a.m. says what acting on it spends before anyone acts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from console.engine.alerts.rules import Action, Condition
from console.engine.types import EngineError, PromotionEstimate

if TYPE_CHECKING:
    from console.engine.service import Engine

FLEX_MIN_LEAD_SECONDS = 15 * 60.0
"""UNCONFIRMED: flex is best-effort and slower than standard (reference: provider-batch-apis.md);
with less than this left before the deadline it is not trusted to meet it, so standard is used."""

REALTIME_ORDER = ("flex", "standard", "priority")
"""Cheapest first when prices are unknown (flex ~ batch price, priority ~ 2x list)."""


def usd(value: float | None) -> str:
    """Dollars to the cent's hundredth (alert costs are often under a cent); never $0 for unknown."""
    return "unpriced" if value is None else f"${value:,.4f}"


@dataclass(frozen=True, slots=True)
class Advice:
    commands: tuple[str, ...]
    cost: float | None = None
    """USD the first command would spend (estimate); None: no money involved, or unpriced."""
    cost_note: str = ""
    """The cost in words, naming what it is ("estimated", "vs leaving it in the batch")."""
    tier: str | None = None


def command(action: Action, tier: str | None = None) -> str:
    words = ["batchdeck", action.verb]
    if action.batch_id is not None:
        words.append(str(action.batch_id))
    if action.verb == "promote" and tier:
        words += ["--tier", tier]
    if action.verb == "sync" and not action.args:
        return "batchdeck sync   (start the syncing engine again, or open the console)"
    return " ".join([*words, *action.args])


def tier_cost(est: PromotionEstimate, tier: str) -> float | None:
    """The estimate's expected cost through `tier` ("batch" or a realtime tier); None when unpriced."""
    return next((c.cost for c in est.costs if c.tier == tier), None)


def deadline_tiers(offered: Sequence[str], *, lead_seconds: float | None) -> list[str]:
    """The realtime tiers among `offered` trusted to meet a deadline `lead_seconds` away,
    cheapest first (flex is not trusted with less than FLEX_MIN_LEAD_SECONDS left)."""
    slow = lead_seconds is not None and lead_seconds < FLEX_MIN_LEAD_SECONDS
    return [t for t in REALTIME_ORDER if t in offered and not (slow and t == "flex")]


def cheapest_tier(est: PromotionEstimate, *, lead_seconds: float | None) -> str | None:
    """The cheapest realtime tier the provider offers that can meet a deadline `lead_seconds` away."""
    meets = deadline_tiers([c.tier for c in est.costs if c.available], lead_seconds=lead_seconds)
    offered = [c for c in est.costs if c.tier in meets and c.available]
    if not offered:
        return None
    priced = [c for c in offered if c.cost is not None]
    if priced:
        return min(priced, key=lambda c: (c.cost, REALTIME_ORDER.index(c.tier))).tier
    return min(offered, key=lambda c: REALTIME_ORDER.index(c.tier)).tier


def advise(engine: Engine, cond: Condition, now: float) -> Advice:
    """Commands for every action of the condition; the cost of the first one that spends."""
    if not cond.actions:
        return Advice(())
    first = cond.actions[0]
    rest = tuple(command(a) for a in cond.actions[1:])
    try:
        if first.verb == "promote" and first.batch_id is not None:
            return _promote(engine, cond, first, now, rest)
        if first.verb == "resubmit" and first.batch_id is not None:
            est = engine.estimate_resubmit(first.batch_id)
            note = (f"resubmitting {est.items:,} items costs about {usd(est.cost.cost)} at batch prices"
                    if est.cost.cost is not None else f"resubmitting {est.items:,} items: unpriced model")
            if est.needs_input:
                note += "; add --input FILE with the original requests"
            return Advice((command(first), *rest), est.cost.cost, note)
    except EngineError as exc:
        return Advice((command(first), *rest), None, f"no estimate: {exc.message}")
    return Advice((command(first), *rest))


def _promote(engine: Engine, cond: Condition, action: Action, now: float, rest: tuple[str, ...]) -> Advice:
    assert action.batch_id is not None
    est = engine.estimate_promotion(action.batch_id)
    deadline = cond.batch.deadline if cond.batch is not None else None
    lead = deadline - now if deadline is not None else None
    tier = cheapest_tier(est, lead_seconds=lead)
    if est.items == 0:
        return Advice((f"batchdeck show {action.batch_id}", *rest), None, "no pending items left to promote")
    if tier is None:
        return Advice((f"batchdeck show {action.batch_id}", *rest), None,
                      f"{est.provider} offers no realtime tier to promote to")
    cost = tier_cost(est, tier)
    left = tier_cost(est, "batch")
    note = (f"promoting {est.items:,} pending items at {tier} costs about {usd(cost)} "
            f"(vs {usd(left)} if left in the batch)" if cost is not None
            else f"promoting {est.items:,} pending items at {tier}: unpriced model, cost unknown")
    if est.needs_input:
        note += "; add --input FILE with the original requests"
    return Advice((command(action, tier), *rest), cost, note, tier)
