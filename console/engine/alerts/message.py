"""The alert itself: one JSON object (exec targets get it on stdin, the audit log keeps it)
and its title and body in words (what apprise sends).

Every alert names the batch (label, provider, our id and the provider's), says why, gives the
numbers, the exact command and, where acting spends money, the estimated cost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from console.engine.alerts.advice import Advice, usd
from console.engine.alerts.rules import Condition

EVENTS = ("firing", "repeat", "resolved", "action", "test")
"""firing: the condition started; repeat: it still holds; resolved: it ended; action: the
deadline guard did something; test: `batchdeck alerts test`."""


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def batch_part(cond: Condition) -> dict[str, Any] | None:
    b = cond.batch
    if b is None:
        return None
    return {"id": b.id, "label": b.label, "provider": b.provider, "profile": b.profile,
            "provider_batch_id": b.provider_batch_id, "status": str(b.status), "model": b.model}


def payload(event: str, cond: Condition, advice: Advice, *, now: float, started_at: float) -> dict[str, Any]:
    return {
        "event": event, "rule": cond.rule, "kind": cond.kind, "key": cond.key, "title": cond.title,
        "why": cond.why, "numbers": dict(cond.numbers), "batch": batch_part(cond),
        "commands": list(advice.commands),
        "cost": None if not advice.cost_note else {"usd": advice.cost, "what": advice.cost_note},
        "at": iso(now), "since": iso(started_at),
    }


def resolved(previous: dict[str, Any], *, now: float, started_at: float, clear_for: float) -> dict[str, Any]:
    """The "it ended" message: the firing alert's facts, without its commands."""
    out = dict(previous)
    out.update(event="resolved", at=iso(now), since=iso(started_at), commands=[], cost=None,
               why=f"resolved: the condition no longer holds (clear for {round(clear_for)} s)")
    return out


def title_of(p: dict[str, Any]) -> str:
    tag = {"firing": "ALERT", "repeat": "STILL", "resolved": "RESOLVED", "action": "ACTED", "test": "TEST"}
    return f"batchdeck {tag.get(p['event'], p['event'].upper())}: {p['title']}"


def body_of(p: dict[str, Any]) -> str:
    lines = [str(p["why"])]
    b = p.get("batch")
    if b:
        lines.append(f"batch {b['id']} label={b['label'] or '-'} provider={b['provider']} "
                     f"profile={b['profile']} provider_id={b['provider_batch_id'] or '-'}")
    if p.get("numbers"):
        lines.append(", ".join(f"{k}={v}" for k, v in p["numbers"].items()))
    cost = p.get("cost")
    if cost:
        lines.append(f"cost: {cost['what']}" + ("" if cost["usd"] is None or usd(cost["usd"]) in cost["what"]
                                                else f" ({usd(cost['usd'])})"))
    for c in p.get("commands") or ():
        lines.append(f"run: {c}")
    lines.append(f"since {p['since']}, at {p['at']}")
    return "\n".join(lines)
