"""Alerts for whoever is on call: rules over the fleet, once per condition, to any destination.

    rules.py    pure: a snapshot (batches, sync health, now) -> the conditions that hold
    advice.py   the exact command for each condition and what it would cost
    state.py    once per condition (start, repeat, resolved, hold-down), kept in the store
    deliver.py  apprise URLs and exec: commands; targets are secrets, never shown
    guard.py    the deadline guard (off by default): promote within a budget
    health.py   the snapshot from the store; the sync heartbeat and provider reachability
    run.py      after each sync pass, `alerts check` and `alerts test`
"""

from __future__ import annotations

from console.engine.alerts.run import after_pass, check, send_test

__all__ = ["after_pass", "check", "send_test"]
