"""What a batch's numbers mean: pending, failures, time to expiry, deadline risk, attention.

Screens, the fleet watcher's notices and the sort orders all judge a batch by these facts, so
they live apart from any rendering. Pure: callers pass `now`, so each is unit-tested directly.
Values from other tools may be missing or strange (a string count, a NaN expiry); every
function treats them as unknown rather than raising.
"""

from __future__ import annotations

from console.format.numbers import num
from store.model import TERMINAL_BATCH_STATUSES, Batch, BatchStatus, RequestCounts

EXPIRY_WARN_SECONDS = 2 * 3600
"""Under this much time left before a batch's provider expiry, the countdown turns to a warning."""


def counts_of(batch: Batch) -> RequestCounts:
    counts = batch.counts
    return counts if isinstance(counts, RequestCounts) else RequestCounts()


def pending_of(counts: RequestCounts) -> int:
    total = num(counts.total) or 0
    try:
        done = counts.done
    except TypeError:
        done = 0
    return max(0, int(total) - int(done))


def failures_of(counts: RequestCounts) -> int:
    return sum(int(num(v) or 0) for v in (counts.errored, counts.expired, counts.canceled))


def is_terminal(batch: Batch) -> bool:
    return batch.status in TERMINAL_BATCH_STATUSES


def expiry_left(batch: Batch, now: float) -> float | None:
    expires = num(batch.expires_at)
    return None if expires is None else expires - now


def deadline_risk(batch: Batch, now: float) -> str | None:
    """`at risk`, `late`, `on track`, or None (finished, or nothing to judge by).

    The target is the operator's deadline, else the provider's expiry. The finish estimate
    extrapolates the rate so far; with no progress reported, half the time gone means at risk.
    """
    if is_terminal(batch):
        # Finished after the operator's deadline: that stays worth saying ("late"), not "—".
        deadline, ended = num(batch.deadline), num(batch.ended_at)
        return "late" if deadline is not None and ended is not None and ended > deadline else None
    target = num(batch.deadline) or num(batch.expires_at)
    if target is None:
        return None
    if now >= target:
        return "late"
    counts = counts_of(batch)
    total = int(num(counts.total) or 0)
    done = total - pending_of(counts)
    if total <= 0:
        return None
    start = num(batch.started_at) or num(batch.created_at)
    if start is None or now <= start:
        return None
    elapsed = now - start
    if done <= 0:
        # Nothing reported yet (Anthropic reports only "processing" until the end): at risk
        # once half the time to the target has gone by with no result.
        return "at risk" if elapsed > (target - start) / 2 else "on track"
    eta = now + (total - done) * elapsed / done
    return "at risk" if eta > target else "on track"


def attention_reasons(batch: Batch, now: float, warn: float = EXPIRY_WARN_SECONDS) -> list[str]:
    """Why a batch needs the operator: failures, near expiry, at risk, failed."""
    reasons = []
    if batch.status == BatchStatus.FAILED:
        reasons.append("failed")
    if failures_of(counts_of(batch)):
        reasons.append("failures")
    left = expiry_left(batch, now)
    if not is_terminal(batch) and left is not None and left < warn:
        reasons.append("near expiry")
    if not is_terminal(batch) and deadline_risk(batch, now) in ("at risk", "late"):
        reasons.append("at risk")
    return reasons
