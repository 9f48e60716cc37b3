"""Putting it together: after each sync pass (or on `batchdeck alerts check`), evaluate the rules,
let the deadline guard act, record what to say, and say it.

Nothing here may stop the sync loop: an alerting failure becomes an audit event
(`alert.error`) and the pass goes on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from console.engine.alerts import advice, deliver, guard, health, rules, state
from console.engine.alerts.message import iso, payload
from console.engine.types import SyncReport
from store import alerts as alert_store
from store.alert_config import AlertsConfig

if TYPE_CHECKING:
    from console.engine.service import Engine
    from store.store import Store


def config_of(engine: Engine) -> AlertsConfig | None:
    """The [alerts] table of the engine's config; None: alerts are off."""
    cfg = getattr(engine.config, "alerts", None)
    return cfg if isinstance(cfg, AlertsConfig) else None


@dataclass(slots=True)
class Evaluation:
    conditions: list[rules.Condition] = field(default_factory=list)
    notices: list[state.Notice] = field(default_factory=list)
    acts: list[guard.GuardAct] = field(default_factory=list)
    outcomes: dict[str, list[deliver.Outcome]] = field(default_factory=dict)
    """Notice key -> how each target took it."""


async def after_pass(engine: Engine, report: SyncReport) -> None:
    """The sync engine's hook: the heartbeat always, the rules when [alerts] is configured.

    `report` is this pass's SyncReport; the rules read the store it was written to (provider
    health from the live fleet's per-account table), so it is not read here yet.
    """
    try:
        now = engine.clock()
        health.record_pass(engine.store, now=now)
        cfg = config_of(engine)
        if cfg is not None:
            await evaluate(engine, cfg, now, act=True)
    except Exception as exc:  # noqa: BLE001 - alerting must never stop the sync loop
        engine.audit("alert.error", None, {"error": f"{type(exc).__name__}: {exc}"[:300]})


async def evaluate(engine: Engine, cfg: AlertsConfig, now: float, *, act: bool) -> Evaluation:
    """Evaluate, let the guard act (`act` and not read-only), record, deliver."""
    snap = health.snapshot(engine.store, now)
    result = Evaluation(conditions=rules.evaluate(cfg.rules, snap))
    guard_runs = act and cfg.guard.enabled and not engine.read_only
    declined: list[rules.Condition] = []
    if guard_runs:
        result.acts, declined = await guard.guard(
            engine.store, cfg.guard, result.conditions, now, estimate=guard.engine_estimator(engine),
            promote=guard.engine_promoter(engine), audit=engine.audit)
    result.notices = state.advance(
        engine.store, cfg, [*result.conditions, *declined], now,
        advise=lambda c: advice.advise(engine, c, now), audit=engine.audit,
        evaluated=lambda name: name != guard.GUARD_RULE or guard_runs)
    by_batch = {c.batch.id: c for c in result.conditions if c.batch is not None and c.kind == "deadline_risk"}
    for act_done in result.acts:
        cond = by_batch[act_done.batch_id]
        result.notices.append(state.Notice(f"{guard.GUARD_RULE}:batch:{act_done.batch_id}", "action",
                                           _acted(cond, act_done, now), _targets_for(cfg, cond.rule)))
    result.outcomes = await asyncio.to_thread(_send, result.notices, cfg.exec_timeout)
    _record(engine, result)
    return result


def _targets_for(cfg: AlertsConfig, rule_name: str) -> tuple[str, ...]:
    rule = next((r for r in cfg.rules if r.name == rule_name), None)
    return rule.targets if rule is not None and rule.targets is not None else cfg.targets


def _acted(cond: rules.Condition, act: guard.GuardAct, now: float) -> dict[str, Any]:
    plan = advice.Advice((f"batchdeck show {act.batch_id}",), act.spent,
                         f"the deadline guard reserved ${act.claimed:.4f} and spent "
                         + (f"${act.spent:.4f}" if act.spent is not None else "an unpriced amount"), act.tier)
    acted = rules.Condition(rule=guard.GUARD_RULE, kind=guard.GUARD_RULE, subject=cond.subject,
                            title=f"deadline guard promoted {act.promoted:,} items of {rules.name_of(cond.batch)}"
                            if cond.batch is not None else "deadline guard promoted items",
                            why=f"{act.summary}; because {cond.why}",
                            numbers={"items": act.items, "promoted": act.promoted, "tier": act.tier,
                                     "claimed_usd": act.claimed, "spent_usd": act.spent},
                            batch=cond.batch)
    return payload("action", acted, plan, now=now, started_at=now)


def _send(notices: list[state.Notice], timeout: float) -> dict[str, list[deliver.Outcome]]:
    return {f"{n.key}#{i}": deliver.deliver(deliver.targets_of(n.targets), n.alert, timeout=timeout)
            for i, n in enumerate(notices)}


def _record(engine: Engine, result: Evaluation) -> None:
    for i, notice in enumerate(result.notices):
        outcomes = result.outcomes.get(f"{notice.key}#{i}", [])
        text = deliver.summary(outcomes)
        if notice.event != "action":
            with engine.store.transaction() as conn:
                alert_store.set_delivery(conn, notice.key, text)
        if any(not o.ok for o in outcomes):
            engine.audit("alert.undelivered", notice.key, {"event": notice.event, "delivery": text})


async def check(engine: Engine) -> Evaluation:
    """Evaluate without syncing (cron: notices a stopped sync engine); the guard does not act."""
    cfg = config_of(engine) or AlertsConfig()
    return await evaluate(engine, cfg, engine.clock(), act=False)


def all_targets(cfg: AlertsConfig) -> list[str]:
    """Every distinct target: [alerts] first, then those only rules name."""
    seen: list[str] = []
    for spec in [*cfg.targets, *(t for r in cfg.rules for t in (r.targets or ()))]:
        if spec not in seen:
            seen.append(spec)
    return seen


async def send_test(engine: Engine) -> list[deliver.Outcome]:
    """One test alert to every target; how each took it."""
    cfg = config_of(engine) or AlertsConfig()
    now = engine.clock()
    alert: dict[str, Any] = {"event": "test", "rule": "test", "kind": "test", "key": "test", "title": "test alert",
             "why": "sent by `batchdeck alerts test`: this target works", "numbers": {}, "batch": None,
             "commands": [], "cost": None, "at": iso(now), "since": iso(now)}
    targets = deliver.targets_of(all_targets(cfg))
    outcomes = await asyncio.to_thread(deliver.deliver, targets, alert, timeout=cfg.exec_timeout)
    engine.audit("alert.test", None, {"delivery": deliver.summary(outcomes)})
    return outcomes


@dataclass(frozen=True, slots=True)
class Overview:
    """What `batchdeck alerts` shows: the rules in force, every condition's state, sync health."""

    configured: bool
    cfg: AlertsConfig
    states: list[alert_store.AlertRow]
    health: rules.SyncHealth
    targets: list[str]
    """Target labels ("target 1 (json)"), never the targets themselves."""


def overview(engine: Engine, *, limit: int = 50) -> Overview:
    cfg = config_of(engine)
    effective = cfg or AlertsConfig()
    return Overview(configured=cfg is not None, cfg=effective,
                    states=alert_store.states(engine.store.conn, limit=limit),
                    health=health.sync_health(engine.store),
                    targets=[t.label for t in deliver.targets_of(all_targets(effective))])


def active_alerts(store: Store) -> list[alert_store.AlertRow]:
    """Conditions firing now (the console's header reads this; it never evaluates)."""
    return alert_store.states(store.conn, active_only=True, limit=100)
