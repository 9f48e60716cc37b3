"""What a batch's numbers mean: pending, failures, time to expiry, deadline risk, attention.

Screens, the fleet watcher's notices and the sort orders all judge a batch by these facts, so
they live apart from any rendering. Pure: callers pass `now`, so each is unit-tested directly.
Values from other tools may be missing or strange (a string count, a NaN expiry); every
function treats them as unknown rather than raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from console.format.numbers import fmt_duration, num
from store.model import TERMINAL_BATCH_STATUSES, Batch, BatchStatus, RequestCounts

EXPIRY_WARN_SECONDS = 2 * 3600
"""Under this much time left before a batch's provider expiry, the countdown turns to a warning."""

RESULTS_WARN_SECONDS = 2 * 86_400
"""Under this much time left before a batch's results stop being downloadable (and they are not
ingested yet), the batch needs attention."""


INPUTS_WARN_SECONDS = 2 * 86_400
"""Under this much time left before the provider drops a batch's requests (and they are not
read into the store yet), the batch needs attention."""

INPUTS_NOT_READ = "pending"
"""`Batch.inputs` of a batch whose requests the provider keeps and we have not read yet."""


def results_left(batch: Batch, now: float) -> float | None:
    """Seconds until an ended batch's results can no longer be downloaded, while they are
    neither ingested nor exported; None when safe, still running, or the provider's rule is
    not known."""
    until = num(batch.results_until)
    if until is None or batch.ingested_at is not None or not is_terminal(batch):
        return None
    if num(getattr(batch, "exported_at", None)) is not None:
        return None  # an export carried the results: they are in the operator's file
    return until - now


def inputs_left(batch: Batch, now: float) -> float | None:
    """Seconds until the provider stops serving a batch's requests, while they are not read
    into the store yet (a tracked batch whose input the provider keeps); None when read (or
    ours: stored at submit), or the date is not known."""
    until = num(getattr(batch, "inputs_until", None))
    if until is None or getattr(batch, "inputs", None) != INPUTS_NOT_READ:
        return None
    return until - now


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


@dataclass(frozen=True, slots=True)
class AttentionContext:
    """What the store knows beyond the batch row, for judging whether it needs the operator.

    Attributes:
        warn: seconds before expiry (provider's, or results') that count as "soon".
        waiting: batch id -> failed items not yet resubmitted or promoted (the same number the
            header's "failures waiting" sums). A batch missing here that was ingested has none;
            one not yet ingested is judged by the provider's failure counts.
        failing: (provider, profile) accounts whose calls all failed in the last sync passes.
    """

    warn: float = EXPIRY_WARN_SECONDS
    waiting: Mapping[int, int] | None = None
    failing: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True, slots=True)
class Attention:
    """One reason a batch needs the operator now: a short `tag` (filters, sorting, alerts)
    and `why` in words for the row ("12 failures waiting", the header's word for them)."""

    tag: str
    why: str


def waiting_failures(batch: Batch, ctx: AttentionContext) -> int:
    """Failures of this batch nobody has resubmitted or promoted yet."""
    if ctx.waiting is not None and batch.ingested_at is not None:
        return int(ctx.waiting.get(batch.id, 0))
    if ctx.waiting is not None and ctx.waiting.get(batch.id):
        return int(ctx.waiting[batch.id])
    return failures_of(counts_of(batch))


def attention(batch: Batch, now: float, ctx: AttentionContext | None = None) -> list[Attention]:
    """Why a batch needs action now, each reason in words; empty when it does not.

    Failed batch; failures still waiting (handled ones no longer count); pending items near the
    provider's expiry; the deadline at risk or missed; results about to stop being downloadable
    before they were ingested or exported; requests about to stop being downloadable before
    they were read; the batch's account failing. Pure: `now` and `ctx` are given.
    """
    ctx = ctx or AttentionContext()
    out: list[Attention] = []
    if batch.status == BatchStatus.FAILED:
        out.append(Attention("failed", "batch failed"))
    waiting = waiting_failures(batch, ctx)
    if waiting:
        # "waiting" as in the header's "Failures waiting": not resubmitted or promoted yet.
        out.append(Attention("failures", f"{waiting:,} failure{'' if waiting == 1 else 's'} waiting"))
    left = expiry_left(batch, now)
    if not is_terminal(batch) and left is not None and left < ctx.warn:
        pending = pending_of(counts_of(batch))
        what = f"{pending:,} pending, " if pending else ""
        out.append(Attention("near expiry", f"{what}{fmt_duration(max(0.0, left))} to expiry"))
    risk = None if is_terminal(batch) else deadline_risk(batch, now)  # a late finish needs nothing now
    if risk in ("at risk", "late"):
        out.append(Attention("at risk", "deadline missed" if risk == "late" else "deadline at risk"))
    kept = results_left(batch, now)
    if kept is not None and kept < RESULTS_WARN_SECONDS:
        out.append(Attention("results expiring", "results no longer downloadable" if kept <= 0
                             else f"results downloadable {fmt_duration(kept)} more, not ingested"))
    unread = inputs_left(batch, now)
    if unread is not None and unread < INPUTS_WARN_SECONDS:
        out.append(Attention("inputs expiring", "inputs no longer downloadable" if unread <= 0
                             else f"inputs downloadable {fmt_duration(unread)} more, not read"))
    if (batch.provider, batch.profile or "default") in ctx.failing:
        out.append(Attention("provider failing", f"{batch.provider}:{batch.profile or 'default'} failing"))
    return out


def attention_reasons(batch: Batch, now: float, warn: float = EXPIRY_WARN_SECONDS,
                      ctx: AttentionContext | None = None) -> list[str]:
    """The tags of `attention` (failures, near expiry, at risk, failed, ...)."""
    return [a.tag for a in attention(batch, now, ctx or AttentionContext(warn=warn))]
