"""The deadline guard (off by default): promote a batch's pending items when it can no longer
meet its deadline, on the cheapest realtime tier that can, within a budget per batch and per day.

It acts only on `deadline_risk` conditions of batches that have a deadline, and never in
read-only mode. Each promotion goes through the engine's one promote path (so it is claimed,
kept and audited like an operator's), after its estimated cost, times GUARD_MARGIN, has been
claimed against both caps in one store transaction: two processes cannot both spend the last
dollar. Whatever it does or declines to do is returned as a Condition (declines) or an
"action" alert (promotions), so people hear about it.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from console.engine.alerts.advice import cheapest_tier, tier_cost, usd
from console.engine.alerts.rules import Action, Condition, name_of
from console.engine.types import EngineError, PromotionEstimate
from store import alerts as alert_store
from store.alert_config import DeadlineGuardConfig

if TYPE_CHECKING:
    from console.engine.service import Engine
    from store.store import Store

GUARD_MARGIN = 1.5
"""The claim is the estimate times this: estimates guess output length and count input from
characters, so the guard reserves more than it expects to spend."""

GUARD_RULE = "deadline_guard"


@dataclass(frozen=True, slots=True)
class GuardAct:
    """One promotion the guard made (or tried): what, at which tier, claimed and spent."""

    batch_id: int
    tier: str
    items: int
    claimed: float
    spent: float | None
    promoted: int
    summary: str


def day_start(now: float) -> float:
    d = datetime.fromtimestamp(now, UTC)
    return datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()


Estimator = Callable[[int], PromotionEstimate]
Promoter = Callable[[int, str], Awaitable[tuple[int, float | None, str]]]
"""(batch id, tier) -> (items promoted, cost or None if unpriced, summary)."""


async def guard(store: Store, cfg: DeadlineGuardConfig, conditions: Sequence[Condition], now: float, *,
                estimate: Estimator, promote: Promoter, audit: Callable[[str, str, dict[str, object]], None],
                ) -> tuple[list[GuardAct], list[Condition]]:
    """Act on every deadline condition it may; (promotions made, conditions for what it declined)."""
    acts: list[GuardAct] = []
    declined: list[Condition] = []
    for cond in conditions:
        batch = cond.batch
        if cond.kind != "deadline_risk" or batch is None or batch.deadline is None:
            continue
        try:
            est = estimate(batch.id)
        except EngineError as exc:
            declined.append(_declined(cond, f"no estimate: {exc.message}", {}))
            continue
        if est.items == 0:
            continue
        if est.needs_input:
            declined.append(_declined(cond, "the requests are not in the store; promote by hand with --input FILE", {}))
            continue
        tier = cheapest_tier(est, lead_seconds=batch.deadline - now)
        cost = tier_cost(est, tier) if tier is not None else None
        if tier is None or cost is None:
            why = "no realtime tier is offered" if tier is None else "the model is unpriced, so no cap can be kept"
            declined.append(_declined(cond, why, {"items": est.items}))
            continue
        # Rounded up to the millionth: a claim rounded down to $0 would pass any cap.
        claim = math.ceil(cost * GUARD_MARGIN * 1e6) / 1e6
        with store.transaction() as conn:
            claim_id = alert_store.claim_guard_spend(
                conn, batch_id=batch.id, tier=tier, amount=claim, now=now, day_start=day_start(now),
                max_per_batch=cfg.max_per_batch, max_per_day=cfg.max_per_day)
            spent_batch = alert_store.guard_spent(conn, batch_id=batch.id)
            spent_day = alert_store.guard_spent(conn, since=day_start(now))
        if claim_id is None:
            numbers: dict[str, float | int | str | None] = {
                "items": est.items, "estimate_usd": round(cost, 6), "claim_usd": claim,
                "spent_on_batch_usd": round(spent_batch, 6), "spent_today_usd": round(spent_day, 6),
                "max_per_batch_usd": cfg.max_per_batch, "max_per_day_usd": cfg.max_per_day}
            declined.append(_declined(cond, f"promoting at {tier} (about {usd(cost)}, {usd(claim)} "
                                      f"reserved) would pass its budget", numbers, tier))
            continue
        try:
            promoted, spent, summary = await promote(batch.id, tier)
        except EngineError as exc:
            # Refused before any call (read-only, nothing pending, promote already running).
            with store.transaction() as conn:
                alert_store.release_guard_spend(conn, claim_id)
            declined.append(_declined(cond, f"promote refused: {exc.message}", {"items": est.items}, tier))
            continue
        with store.transaction() as conn:
            alert_store.settle_guard_spend(conn, claim_id, spent)
        act = GuardAct(batch.id, tier, est.items, claim, spent, promoted, summary)
        audit("deadline_guard.promoted", str(batch.id), {
            "tier": tier, "items": est.items, "promoted": promoted, "estimate": cost, "claimed": claim,
            "spent": spent, "max_per_batch": cfg.max_per_batch, "max_per_day": cfg.max_per_day,
            "why": cond.why})
        acts.append(act)
    return acts, declined


def _declined(cond: Condition, why: str, numbers: dict[str, float | int | str | None],
              tier: str | None = None) -> Condition:
    assert cond.batch is not None
    return Condition(rule=GUARD_RULE, kind=GUARD_RULE, subject=cond.subject,
                     title=f"deadline guard held back on {name_of(cond.batch)}",
                     why=f"{why}; {cond.why}", numbers=numbers,
                     actions=(Action("promote", cond.batch.id),), batch=cond.batch)


def engine_estimator(engine: Engine) -> Estimator:
    return lambda batch_id: engine.estimate_promotion(batch_id)


def engine_promoter(engine: Engine) -> Promoter:
    async def promote(batch_id: int, tier: str) -> tuple[int, float | None, str]:
        result = await engine.promote(batch_id, tier=tier)
        return result.promoted, result.cost, result.summary

    return promote
