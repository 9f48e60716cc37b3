"""`batchdeck alerts`: the rules in force, each condition's state and the last sent;
`alerts test` sends a test alert to every target (exit 1 if any failed); `alerts check`
evaluates the rules now without syncing (run it from cron to hear about a stopped sync)."""

from __future__ import annotations

from typing import Any

from console.cli.io import EXIT_FAIL, EXIT_OK, emit_json, make_engine, open_store, out, run, table
from console.format.times import fmt_utc_minute as iso


def cmd_alerts(args: Any) -> int:
    from console.engine.alerts import run as alerts

    store = open_store(args)
    engine = make_engine(args, store)
    if args.action == "test":
        outcomes = run(engine, alerts.send_test(engine))
        if args.format == "json":
            emit_json([{"target": o.label, "ok": o.ok, "error": o.error} for o in outcomes])
        elif not outcomes:
            out("no alert targets configured: add targets = [...] under [alerts] in the config file")
        for o in outcomes if args.format != "json" else ():
            out(str(o))
        return EXIT_FAIL if not outcomes or any(not o.ok for o in outcomes) else EXIT_OK
    if args.action == "check":
        result = run(engine, alerts.check(engine))
        if args.format == "json":
            emit_json({"conditions": [{"key": c.key, "title": c.title, "why": c.why} for c in result.conditions],
                       "sent": [{"key": n.key, "event": n.event} for n in result.notices]})
        else:
            out(f"{len(result.conditions)} condition(s) hold; {len(result.notices)} alert(s) sent")
            for n in result.notices:
                out(f"  {n.event:<8} {n.alert['title']}")
        return EXIT_OK
    view = alerts.overview(engine)
    if args.format == "json":
        emit_json({
            "configured": view.configured, "targets": view.targets,
            "rules": [_rule_json(r) for r in view.cfg.rules],
            "deadline_guard": {"enabled": view.cfg.guard.enabled, "max_per_batch": view.cfg.guard.max_per_batch,
                               "max_per_day": view.cfg.guard.max_per_day},
            "states": [_state_json(s) for s in view.states],
            "last_sync_pass": iso(view.health.last_pass_at) if view.health.last_pass_at else None,
        })
        return EXIT_OK
    if not view.configured:
        out("alerts are off: add an [alerts] table to the config file (README \"Alerts\"); defaults shown")
    out(f"targets: {', '.join(view.targets) or 'none'}")
    guard = view.cfg.guard
    out(f"deadline guard: {'on' if guard.enabled else 'off'} (max ${guard.max_per_batch:g} per batch, "
        f"${guard.max_per_day:g} per day)")
    table(["RULE", "KIND", "THRESHOLD", "FILTER", "ON"],
          [[r.name, r.kind, _thresholds(r), _filters(r), "yes" if r.enabled else "no"] for r in view.cfg.rules])
    out()
    if not view.states:
        out("no alerts yet")
        return EXIT_OK
    table(["STATE", "ALERT", "SINCE", "LAST SENT", "DELIVERY"],
          [["firing" if s.active else "resolved", s.title, iso(s.started_at),
            f"{s.last_event or '-'} {iso(s.last_sent_at) if s.last_sent_at else ''}".strip(), s.delivery or "-"]
           for s in view.states])
    return EXIT_OK


def _thresholds(rule: Any) -> str:
    from store.alert_config import RULE_KINDS

    return ", ".join(f"{k}={rule.threshold(k):g}" for k in RULE_KINDS[rule.kind]) or "-"


def _filters(rule: Any) -> str:
    parts = [f"profiles={','.join(rule.profiles)}"] if rule.profiles else []
    parts += [f"labels={','.join(rule.labels)}"] if rule.labels else []
    parts += [f"not={','.join(rule.exclude_labels)}"] if rule.exclude_labels else []
    return " ".join(parts) or "all"


def _rule_json(rule: Any) -> dict[str, Any]:
    from store.alert_config import RULE_KINDS

    return {"name": rule.name, "kind": rule.kind, "enabled": rule.enabled,
            "thresholds": {k: rule.threshold(k) for k in RULE_KINDS[rule.kind]},
            "profiles": list(rule.profiles), "labels": list(rule.labels),
            "exclude_labels": list(rule.exclude_labels), "own_targets": rule.targets is not None}


def _state_json(s: Any) -> dict[str, Any]:
    return {"key": s.key, "rule": s.rule, "active": s.active, "title": s.title, "batch_id": s.batch_id,
            "started_at": iso(s.started_at), "resolved_at": iso(s.resolved_at) if s.resolved_at else None,
            "last_event": s.last_event, "last_sent_at": iso(s.last_sent_at) if s.last_sent_at else None,
            "sends": s.sends, "delivery": s.delivery}
