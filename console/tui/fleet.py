"""Reading the fleet snapshot (thread side) and deciding what deserves a notification.

Both are plain functions: `read_fleet` runs in the fleet watcher's thread; `notices` compares
two snapshots and returns (severity, message) for batches that completed, failed, expired or
crossed the expiry-warning threshold since the previous tick; `one_toast` folds one tick's
notices into a single toast.
"""

from __future__ import annotations

from typing import Any

from console.engine.batch_facts import AttentionContext, expiry_left, failures_of, is_terminal
from console.format.numbers import fmt_duration
from console.tui.messages import FleetLoaded
from store.model import BatchStatus


def savings_by_batch(rows: list[Any]) -> dict[int, float]:
    """Savings rows grouped by batch, keyed by local id (keys like `14` or `#14`)."""
    out: dict[int, float] = {}
    for row in rows:
        key = str(row.key).lstrip("#").split()[0] if str(row.key).strip() else ""
        if key.isdigit():
            out[int(key)] = row.savings
    return out


def read_fleet(store: Any, now: float, wall: float | None = None) -> FleetLoaded:
    """Every batch, the header totals and per-batch savings, read in one go. `wall`: real time
    for the heartbeat when `now` is emulated (Clock.wall)."""
    batches = store.list_batches()
    totals = store.fleet_totals(now=now)
    saved = savings_by_batch(store.savings(by="batch"))
    return FleetLoaded(batches, totals, saved, now, store.read_lease(), store.profile_health(),
                       store.failures_waiting_by_batch(), wall)


def attention_context(snapshot: FleetLoaded, warn: float) -> AttentionContext:
    """What the snapshot knows beyond each batch row: failures waiting, failing accounts."""
    failing = frozenset((h.provider, h.profile) for h in snapshot.health if h.failing_since is not None)
    return AttentionContext(warn=warn, waiting=snapshot.waiting, failing=failing)


def _name(batch: Any) -> str:
    """`#13 tickets-fr`: short, so a notice fits one line of a toast at 80 columns."""
    return f"#{batch.id} {batch.label or batch.provider_batch_id or ''}".strip()


def notices(before: FleetLoaded, after: FleetLoaded, warn: float) -> list[tuple[str, str]]:
    """What changed that an operator must hear about, in words."""
    old = {b.id: b for b in before.batches}
    out: list[tuple[str, str]] = []
    for batch in after.batches:
        prev = old.get(batch.id)
        if prev is None:
            continue
        if prev.status != batch.status and is_terminal(batch):
            fails = failures_of(batch.counts)
            if batch.status == BatchStatus.COMPLETED:
                tail = f", {fails:,} failed" if fails else ""
                out.append(("warning" if fails else "information", f"{_name(batch)} completed{tail}."))
            elif batch.status == BatchStatus.FAILED:
                out.append(("error", f"{_name(batch)} failed."))
            elif batch.status == BatchStatus.EXPIRED:
                out.append(("error", f"{_name(batch)} expired with items unfinished."))
            else:
                out.append(("warning", f"{_name(batch)} is {batch.status}."))
            continue
        left_before = expiry_left(prev, before.now)
        left_now = expiry_left(batch, after.now)
        if (not is_terminal(batch) and left_now is not None and 0 < left_now < warn
                and (left_before is None or left_before >= warn)):
            out.append(("warning", f"{_name(batch)} expires in {fmt_duration(left_now)}."))
    return out


SEVERITY_ORDER = ("information", "warning", "error")
TOAST_LINES = 4
"""Notices listed in one toast: at 80x24 a stack of toasts (a whole wave of batches ending in
one pass) would cover the batch list it is reporting on."""


def one_toast(said: list[tuple[str, str]]) -> tuple[str, str, str] | None:
    """One tick's notices as one toast: (severity, title, message). The worst severity wins and
    the worst notices come first; past TOAST_LINES the rest are counted, and the batch list
    (n: needs attention) has them."""
    if not said:
        return None
    if len(said) == 1:
        severity, message = said[0]
        return severity, "", message
    worst_first = sorted(said, key=lambda n: -SEVERITY_ORDER.index(n[0]))  # stable: tick order otherwise
    severity = worst_first[0][0]
    lines = [m for _, m in worst_first[:TOAST_LINES]]
    if len(said) > TOAST_LINES:
        lines.append(f"… and {len(said) - TOAST_LINES} more (n lists what needs attention)")
    return severity, f"{len(said)} batch changes", "\n".join(lines)
