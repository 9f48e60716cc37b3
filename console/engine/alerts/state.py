"""Once per condition: which conditions start, repeat or end, remembered in the store.

`transition` is the whole policy, pure: a condition fires when it starts; while it holds it is
said again every `repeat` seconds (0: never); once it stops holding it must stay clear for
`hold_down` seconds before "resolved" is sent, and if it comes back inside that time it is the
same alert still firing (a flapping batch does not page every minute).

`advance` applies it to every known and current condition in one write transaction, writing
each decision and its audit event before anything is sent: a restart, or a second process
evaluating at the same moment, finds the decision already made and never sends it again. The
price is that a crash between the commit and the send loses that one message (at most once).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from console.engine.alerts.advice import Advice
from console.engine.alerts.message import payload, resolved
from console.engine.alerts.rules import Condition
from store import alerts as alert_store
from store.alert_config import AlertRule, AlertsConfig
from store.alerts import AlertRow

if TYPE_CHECKING:
    from store.store import Store


def transition(row: AlertRow | None, cond: Condition | None, now: float, *, repeat: float,
               hold_down: float) -> tuple[AlertRow | None, str | None]:
    """(the row to keep, the event to send or None). Never mutates `row`."""
    if cond is not None:
        if row is None or not row.active:
            fresh = AlertRow(key=cond.key, rule=cond.rule, subject=cond.subject, title=cond.title,
                             started_at=now, last_seen_at=now,
                             batch_id=cond.batch.id if cond.batch is not None else None,
                             last_sent_at=now, last_event="firing", sends=(row.sends if row else 0) + 1)
            return fresh, "firing"
        kept = replace(row, last_seen_at=now, clear_since=None, title=cond.title)
        if repeat > 0 and row.last_sent_at is not None and now - row.last_sent_at >= repeat:
            return replace(kept, last_sent_at=now, last_event="repeat", sends=row.sends + 1), "repeat"
        return kept, None
    if row is None or not row.active:
        return row, None
    clear_since = row.clear_since if row.clear_since is not None else now
    if now - clear_since >= hold_down:
        return replace(row, active=False, clear_since=clear_since, resolved_at=now, last_sent_at=now,
                       last_event="resolved", sends=row.sends + 1), "resolved"
    return replace(row, clear_since=clear_since), None


@dataclass(frozen=True, slots=True)
class Notice:
    """One alert decided and recorded, to be delivered to `targets`."""

    key: str
    event: str
    alert: dict[str, Any]
    targets: tuple[str, ...]


def timing(rule: AlertRule | None, cfg: AlertsConfig) -> tuple[float, float]:
    """(repeat, hold_down) in seconds: the rule's own, else the [alerts] defaults."""
    repeat = rule.repeat_minutes if rule is not None and rule.repeat_minutes is not None else cfg.repeat_minutes
    hold = (rule.hold_down_minutes if rule is not None and rule.hold_down_minutes is not None
            else cfg.hold_down_minutes)
    return repeat * 60.0, hold * 60.0


def advance(store: Store, cfg: AlertsConfig, conditions: Sequence[Condition], now: float, *,
            advise: Callable[[Condition], Advice], audit: Callable[[str, str, dict[str, Any]], None],
            evaluated: Callable[[str], bool] | None = None) -> list[Notice]:
    """Decide and record every start, repeat and end; return what to send.

    `evaluated(rule_name)`: whether that rule was evaluated this time (a rule left out, e.g.
    heartbeat rules when only batches were looked at, keeps its alerts as they are).
    """
    rules = {r.name: r for r in cfg.rules}
    current = {c.key: c for c in conditions}
    notices: list[Notice] = []
    with store.transaction() as conn:
        rows = {r.key: r for r in alert_store.states(conn, active_only=True, limit=1_000_000)}
        for key in current.keys() - rows.keys():
            found = alert_store.state(conn, key)
            if found is not None:
                rows[key] = found
        for key in sorted(rows.keys() | current.keys()):
            cond, row = current.get(key), rows.get(key)
            name = cond.rule if cond is not None else row.rule if row is not None else ""
            if cond is None and evaluated is not None and not evaluated(name):
                continue
            rule = rules.get(name)
            repeat, hold = timing(rule, cfg)
            if rule is None or not rule.enabled:
                hold = 0.0  # a rule taken out of the config ends its alerts at once
            new, event = transition(row, cond, now, repeat=repeat, hold_down=hold)
            if new is None:
                continue
            if event is not None:
                if cond is not None:
                    alert = payload(event, cond, advise(cond), now=now, started_at=new.started_at)
                else:
                    clear_for = now - (new.clear_since if new.clear_since is not None else now)
                    alert = resolved(new.details, now=now, started_at=new.started_at, clear_for=clear_for)
                new = replace(new, details=alert, delivery=None)
                audit(f"alert.{event}", key, alert)
                targets = rule.targets if rule is not None and rule.targets is not None else cfg.targets
                notices.append(Notice(key, event, alert, tuple(targets)))
            if new != row:
                alert_store.save_state(conn, new)
    return notices
