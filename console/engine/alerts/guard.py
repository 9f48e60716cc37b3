"""The deadline guard (off by default): promote a batch's pending items when it can no longer
meet its deadline, on the cheapest realtime tier that can, within a budget per batch and per day.

It acts only on `deadline_risk` conditions of batches that have a deadline, and never in
read-only mode. The caps are hard: the guard reserves each item's cost *ceiling* at the chosen
tier (engine.ceiling: the output limit and a byte bound on input, at the dearest input rate),
never an estimate, so what a promotion spends can never pass what was reserved. It picks the
tier (among those offered that can meet the deadline) that promotes the most pending items
within what is left of both caps, the cheaper on a tie; when not every item fits it promotes
the ones that do (cheapest ceilings first) and says how many were left and why. Items without
a ceiling (no output limit, media, provider-run tools, no stored request) or unpriced at a
tier are never promoted by the guard at that tier: unknown is not $0.

The reservation is claimed against both caps in one store transaction (two processes cannot
both spend the last dollar), then the chosen items, by id, go through the engine's one promote
path (claimed, kept and audited like an operator's). Whatever it does or declines to do is
returned as a Condition (declines) or an "action" alert (promotions), so people hear about it.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from console.engine.alerts.advice import deadline_tiers, usd
from console.engine.alerts.rules import Action, Condition, name_of
from console.engine.ceiling import Ceilings, batch_ceilings
from console.engine.types import EngineError
from console.format.wording import plural
from store import alerts as alert_store
from store.alert_config import DeadlineGuardConfig
from store.model import ItemStatus

if TYPE_CHECKING:
    from console.engine.service import Engine
    from store.store import Store

GUARD_RULE = "deadline_guard"


@dataclass(frozen=True, slots=True)
class GuardAct:
    """One promotion the guard made: what, at which tier, reserved and spent."""

    batch_id: int
    tier: str
    items: int
    """Items sent (the ones whose ceilings were reserved)."""
    claimed: float
    spent: float | None
    promoted: int
    summary: str
    pending: int = 0
    """Pending items of the batch when the guard looked."""
    left: dict[str, int] = field(default_factory=dict)
    """Pending items not sent, counted by why."""


@dataclass(frozen=True, slots=True)
class Pick:
    """The items to send at `tier` and the reservation (their ceilings, rounded up)."""

    tier: str
    item_ids: list[int]
    claim: float


def day_start(now: float) -> float:
    d = datetime.fromtimestamp(now, UTC)
    return datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()


def micro_up(amount: float) -> float:
    """Rounded up to the millionth: a claim rounded down to $0 would pass any cap."""
    return math.ceil(amount * 1e6) / 1e6


Estimator = Callable[[int], Ceilings]
"""batch id -> its pending items' cost ceilings per realtime tier."""
Promoter = Callable[[int, str, Sequence[int]], Awaitable[tuple[int, float | None, str]]]
"""(batch id, tier, item ids) -> (items promoted, cost or None if unpriced, summary)."""


def choose(ceilings: Ceilings, tiers: Sequence[str], room: float) -> Pick | None:
    """The tier promoting the most items whose ceilings fit in `room` (then the cheaper, then
    the earlier in `tiers`), and those items; None when not one item fits anywhere."""
    best: tuple[int, float, int] | None = None
    pick: Pick | None = None
    for rank, tier in enumerate(tiers):
        total = 0.0
        chosen: list[int] = []
        for cost, item_id in sorted(ceilings.at(tier)):
            if micro_up(total + cost) > room:
                break
            total += cost
            chosen.append(item_id)
        if not chosen:
            continue
        key = (-len(chosen), total, rank)
        if best is None or key < best:
            best, pick = key, Pick(tier, chosen, micro_up(total))
    return pick


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
            ceilings = estimate(batch.id)
        except EngineError as exc:
            declined.append(_declined(cond, f"no estimate: {exc.message}", {}))
            continue
        pending = len(ceilings.items)
        if pending == 0:
            continue
        tiers = deadline_tiers(ceilings.offered, lead_seconds=batch.deadline - now)
        if not tiers:
            declined.append(_declined(cond, "no realtime tier that can meet the deadline is offered",
                                      {"items": pending}))
            continue
        with store.transaction() as conn:
            spent_batch = alert_store.guard_spent(conn, batch_id=batch.id)
            spent_day = alert_store.guard_spent(conn, since=day_start(now))
            room = min(cfg.max_per_batch - spent_batch, cfg.max_per_day - spent_day)
            pick = choose(ceilings, tiers, room)
            claim_id = None if pick is None else alert_store.claim_guard_spend(
                conn, batch_id=batch.id, tier=pick.tier, amount=pick.claim, now=now, day_start=day_start(now),
                max_per_batch=cfg.max_per_batch, max_per_day=cfg.max_per_day)
        if pick is None or claim_id is None:
            declined.append(_held_back(cond, ceilings, tiers, cfg, spent_batch, spent_day))
            continue
        try:
            promoted, spent, summary = await promote(batch.id, pick.tier, pick.item_ids)
        except EngineError as exc:
            # Refused (read-only, nothing pending, promote already running): nothing was bought,
            # unless an item of ours was promoted after all, and then the reservation stands.
            if not _any_promoted(store, pick.item_ids):
                with store.transaction() as conn:
                    alert_store.release_guard_spend(conn, claim_id)
            declined.append(_declined(cond, f"promote refused: {exc.message}", {"items": len(pick.item_ids)},
                                      pick.tier))
            continue
        with store.transaction() as conn:
            alert_store.settle_guard_spend(conn, claim_id, spent)
        left = ceilings.left_out(pick.tier, set(pick.item_ids))
        if left:
            summary += (f"; the deadline guard sent {len(pick.item_ids):,} of {plural(pending, 'pending item')} "
                        f"and left {_reasons(left)}")
        acts.append(GuardAct(batch.id, pick.tier, len(pick.item_ids), pick.claim, spent, promoted, summary,
                             pending, left))
        audit("deadline_guard.promoted", str(batch.id), {
            "tier": pick.tier, "items": len(pick.item_ids), "pending": pending, "left": left,
            "promoted": promoted, "claimed": pick.claim, "spent": spent,
            "over_ceiling": spent is not None and spent > pick.claim,
            "max_per_batch": cfg.max_per_batch, "max_per_day": cfg.max_per_day, "why": cond.why})
    return acts, declined


def _reasons(left: dict[str, int]) -> str:
    return ", ".join(f"{n:,} ({why})" for why, n in sorted(left.items(), key=lambda kv: -kv[1]))


def _any_promoted(store: Store, item_ids: Sequence[int]) -> bool:
    for item_id in item_ids:
        item = store.get_item(item_id)
        if item is not None and item.status == ItemStatus.PROMOTED.value:
            return True
    return False


def _held_back(cond: Condition, ceilings: Ceilings, tiers: Sequence[str], cfg: DeadlineGuardConfig,
               spent_batch: float, spent_day: float) -> Condition:
    """Why not even one item could be sent: no item has a known ceiling, or the budget is spent."""
    priced = {t: ceilings.at(t) for t in tiers}
    numbers: dict[str, float | int | str | None] = {
        "items": len(ceilings.items), "spent_on_batch_usd": round(spent_batch, 6),
        "spent_today_usd": round(spent_day, 6), "max_per_batch_usd": cfg.max_per_batch,
        "max_per_day_usd": cfg.max_per_day}
    if not any(priced.values()):
        left = ceilings.left_out(tiers[0], set())
        return _declined(cond, f"no pending item has a known cost ceiling ({_reasons(left)}), so no cap "
                         "can be kept", numbers)
    tier = min((t for t in tiers if priced[t]), key=lambda t: sum(c for c, _ in priced[t]))
    full = sum(c for c, _ in priced[tier])
    cheapest = min(c for c, _ in priced[tier])
    numbers |= {"ceiling_usd": round(full, 6), "cheapest_item_ceiling_usd": round(cheapest, 6)}
    return _declined(cond, f"promoting at {tier} (ceiling {usd(full)} for {plural(len(priced[tier]), 'item')}, "
                     f"{usd(cheapest)} for the cheapest one) would pass its budget", numbers, tier)


def _declined(cond: Condition, why: str, numbers: dict[str, float | int | str | None],
              tier: str | None = None) -> Condition:
    assert cond.batch is not None
    return Condition(rule=GUARD_RULE, kind=GUARD_RULE, subject=cond.subject,
                     title=f"deadline guard held back on {name_of(cond.batch)}",
                     why=f"{why}; {cond.why}", numbers=numbers,
                     actions=(Action("promote", cond.batch.id),), batch=cond.batch)


def engine_estimator(engine: Engine) -> Estimator:
    def estimate(batch_id: int) -> Ceilings:
        batch = engine.store.get_batch(batch_id)
        if batch is None:
            raise EngineError(f"batch #{batch_id} is not in the store")
        return batch_ceilings(engine, batch)

    return estimate


def engine_promoter(engine: Engine) -> Promoter:
    async def promote(batch_id: int, tier: str, item_ids: Sequence[int]) -> tuple[int, float | None, str]:
        result = await engine.promote(batch_id, list(item_ids), tier=tier)
        return result.promoted, result.cost, result.summary

    return promote
