"""Alert rules as a pure function: a snapshot of the fleet in, the conditions that hold out.

No store, no clock, no provider: the caller passes the batches, the sync health and `now`, so
every rule is tested directly and the same snapshot always gives the same conditions. What to
*do* about a condition is named here as `Action`s; advice.py turns them into exact commands
with a cost, since that needs the engine's estimates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from console.engine.batch_facts import (
    counts_of,
    deadline_risk,
    expiry_left,
    inputs_left,
    is_terminal,
    pending_of,
    results_left,
)
from console.format.numbers import fmt_duration
from store.alert_config import AlertRule
from store.model import Batch, BatchStatus


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    """What the sync passes saw of one provider account."""

    provider: str
    profile: str
    failing_since: float | None
    """The first pass in the current run of passes that could not reach it; None: reachable."""
    last_ok_at: float | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class SyncHealth:
    """The syncing engine's heartbeat and each provider's reachability."""

    last_pass_at: float | None
    """When a sync pass last finished; None: never (no heartbeat to judge)."""
    providers: tuple[ProviderHealth, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchView:
    """A batch as the rules see it: the stored row plus what needs a count over its items."""

    batch: Batch
    retryable_failures: int = 0
    open_failures: int = 0
    """Failed items not yet replaced (resubmitted or promoted), any error class."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    now: float
    batches: tuple[BatchView, ...]
    health: SyncHealth


@dataclass(frozen=True, slots=True)
class Action:
    """Something the operator (or the deadline guard) can run: `batchdeck VERB [BATCH]`."""

    verb: str
    """resubmit, promote, show, sync, ls."""
    batch_id: int | None = None
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Condition:
    """One rule holding for one subject (a batch, a provider account, the sync engine)."""

    rule: str
    kind: str
    subject: str
    title: str
    why: str
    numbers: dict[str, float | int | str | None] = field(default_factory=dict)
    actions: tuple[Action, ...] = ()
    batch: Batch | None = None

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.subject}"


def evaluate(rules: Sequence[AlertRule], snap: Snapshot) -> list[Condition]:
    """Every condition that holds now, rule by rule, in a stable order."""
    out: list[Condition] = []
    for rule in rules:
        if not rule.enabled:
            continue
        if rule.kind == "provider_down":
            out.extend(_provider_down(rule, snap))
        elif rule.kind == "heartbeat_stale":
            out.extend(_heartbeat(rule, snap))
        else:
            for view in snap.batches:
                if watches(rule, view.batch):
                    cond = _BATCH_RULES[rule.kind](rule, view, snap.now)
                    if cond is not None:
                        out.append(cond)
    return out


def watches(rule: AlertRule, batch: Batch) -> bool:
    """Whether the rule's profile and label filters take this batch in."""
    if rule.profiles and batch.profile not in rule.profiles:
        return False
    label = batch.label or ""
    if rule.labels and not any(fnmatchcase(label, p) for p in rule.labels):
        return False
    return not any(fnmatchcase(label, p) for p in rule.exclude_labels)


def name_of(batch: Batch) -> str:
    label = f" {batch.label}" if batch.label else ""
    return f"batch {batch.id}{label} ({batch.provider})"


def _cond(rule: AlertRule, batch: Batch, title: str, why: str, numbers: dict[str, float | int | str | None],
          actions: tuple[Action, ...]) -> Condition:
    return Condition(rule=rule.name, kind=rule.kind, subject=f"batch:{batch.id}", title=title, why=why,
                     numbers=numbers, actions=actions, batch=batch)


FAILED_BATCH_WATCH_SECONDS = 7 * 24 * 3600.0
"""A failed or expired batch nobody acted on stops alerting a week after it ended."""


def _failed(rule: AlertRule, view: BatchView, now: float) -> Condition | None:
    b = view.batch
    if b.status not in (BatchStatus.FAILED, BatchStatus.EXPIRED):
        return None
    ended = b.ended_at or b.updated_at
    if ended is not None and now - ended > FAILED_BATCH_WATCH_SECONDS:
        return None
    counts = counts_of(b)
    pending = pending_of(counts)
    # Acting on it clears it: resubmitted or promoted items are no longer failed nor pending.
    if view.open_failures <= 0 and pending <= 0:
        return None
    numbers: dict[str, float | int | str | None] = {
        "items": counts.total, "succeeded": counts.succeeded, "failed": view.open_failures,
        "retryable_failures": view.retryable_failures, "pending": pending}
    if b.status == BatchStatus.EXPIRED:
        why = (f"the provider's 24 h window closed with {counts.total - counts.succeeded:,} of "
               f"{counts.total:,} items unfinished")
    else:
        why = f"the provider failed the batch: {b.errors or b.raw_status or 'no reason given'}"
    actions = (Action("resubmit", b.id),) if view.retryable_failures else (Action("show", b.id),)
    return _cond(rule, b, f"{name_of(b)} {b.status}", why, numbers, actions)


def _retryable(rule: AlertRule, view: BatchView, now: float) -> Condition | None:
    b, n = view.batch, view.retryable_failures
    total = counts_of(b).total
    if n <= 0:
        return None
    share = 100.0 * n / total if total else 0.0
    count_at, percent_at = rule.threshold("count"), rule.threshold("percent")
    if n < count_at and share < percent_at:
        return None
    why = (f"{n:,} of {total:,} items ({share:.1f}%) failed for reasons a retry can fix "
           f"(threshold {count_at:g} items or {percent_at:g}%)")
    return _cond(rule, b, f"{name_of(b)}: {n:,} retryable failures", why,
                 {"retryable_failures": n, "items": total, "percent": round(share, 1)}, (Action("resubmit", b.id),))


def _expiry(rule: AlertRule, view: BatchView, now: float) -> Condition | None:
    b = view.batch
    left = expiry_left(b, now)
    pending = pending_of(counts_of(b))
    hours = rule.threshold("hours")
    if is_terminal(b) or left is None or pending <= 0 or left >= hours * 3600:
        return None
    why = (f"{pending:,} items are still pending and the provider expires the batch in "
           f"{fmt_duration(max(0.0, left))} (threshold {hours:g} h); expired items must be sent again")
    return _cond(rule, b, f"{name_of(b)} expires in {fmt_duration(max(0.0, left))}", why,
                 {"pending": pending, "seconds_left": round(left)}, (Action("promote", b.id),))


def _deadline(rule: AlertRule, view: BatchView, now: float) -> Condition | None:
    b = view.batch
    if b.deadline is None:
        return None
    risk = deadline_risk(b, now)
    if risk not in ("at risk", "late"):
        return None
    pending = pending_of(counts_of(b))
    if pending <= 0:
        return None
    left = b.deadline - now
    when = f"{fmt_duration(left)} left" if left > 0 else f"passed {fmt_duration(-left)} ago"
    why = f"at the rate so far the batch will not finish by its deadline ({when}); {pending:,} items pending"
    return _cond(rule, b, f"{name_of(b)} deadline {risk}", why,
                 {"pending": pending, "seconds_to_deadline": round(left), "risk": risk}, (Action("promote", b.id),))


def _results_archiving(rule: AlertRule, view: BatchView, now: float) -> Condition | None:
    """An ended batch whose results the provider stops serving within H hours, not ingested yet.

    Once the date has passed the rule lets go (resolved) rather than claiming the results are
    lost: the date is the provider's word or the adapter's rule of thumb, and the next sync pass
    still tries to ingest; the batch's row says `archived` from then on.
    """
    b = view.batch
    left = results_left(b, now)  # None: ingested, still running, or no retention date known
    hours = rule.threshold("hours")
    if left is None or left <= 0 or left >= hours * 3600:
        return None
    total = counts_of(b).total
    why = (f"the provider stops serving this batch's results in {fmt_duration(left)} (threshold {hours:g} h) "
           f"and they are not ingested yet; a sync pass downloads them into the store")
    return _cond(rule, b, f"{name_of(b)} results downloadable {fmt_duration(left)} more, not ingested", why,
                 {"items": total, "seconds_left": round(left), "results_until": round(left + now)},
                 (Action("sync", None, ("--once",)), Action("show", b.id)))


def _inputs_expiring(rule: AlertRule, view: BatchView, now: float) -> Condition | None:
    """A tracked batch whose requests the provider stops serving within H hours, not read yet.

    Sync passes read them on their own; this holds only while reads keep failing. Like
    `results_archiving`, it lets go once the date has passed (a read that then finds the file
    gone marks the inputs unknown, and the batch's row offers to attach the original file).
    """
    b = view.batch
    left = inputs_left(b, now)  # None: read (or ours), or no date known
    hours = rule.threshold("hours")
    if left is None or left <= 0 or left >= hours * 3600:
        return None
    total = counts_of(b).total
    why = (f"the provider stops serving this batch's requests in {fmt_duration(left)} (threshold {hours:g} h) "
           "and they are not read into the store yet; without them its items cannot be promoted or "
           "resubmitted. A sync pass reads them")
    return _cond(rule, b, f"{name_of(b)} inputs downloadable {fmt_duration(left)} more, not read", why,
                 {"items": total, "seconds_left": round(left), "inputs_until": round(left + now)},
                 (Action("sync", None, ("--once",)), Action("show", b.id)))


_BATCH_RULES = {
    "batch_failed": _failed,
    "retryable_failures": _retryable,
    "expiry_soon": _expiry,
    "deadline_risk": _deadline,
    "results_archiving": _results_archiving,
    "inputs_expiring": _inputs_expiring,
}


def _provider_down(rule: AlertRule, snap: Snapshot) -> list[Condition]:
    out = []
    minutes = rule.threshold("minutes")
    for p in snap.health.providers:
        if p.failing_since is None or (rule.profiles and p.profile not in rule.profiles):
            continue
        down = snap.now - p.failing_since
        if down < minutes * 60:
            continue
        why = (f"every sync pass for {fmt_duration(down)} failed to reach {p.provider} (profile {p.profile})"
               f"{': ' + p.last_error if p.last_error else ''}; its batches are not being watched")
        out.append(Condition(rule=rule.name, kind=rule.kind, subject=f"provider:{p.provider}/{p.profile}",
                             title=f"{p.provider} ({p.profile}) unreachable for {fmt_duration(down)}", why=why,
                             numbers={"seconds_down": round(down), "threshold_minutes": minutes},
                             actions=(Action("ls", None, ("--provider", p.provider)),)))
    return out


def _heartbeat(rule: AlertRule, snap: Snapshot) -> list[Condition]:
    last = snap.health.last_pass_at
    minutes = rule.threshold("minutes")
    if last is None or snap.now - last < minutes * 60:
        return []
    quiet = snap.now - last
    why = (f"no sync pass has finished for {fmt_duration(quiet)} (threshold {minutes:g} min): batches are "
           "not being polled nor their results ingested")
    return [Condition(rule=rule.name, kind=rule.kind, subject="sync", title=f"sync stopped {fmt_duration(quiet)} ago",
                      why=why, numbers={"seconds_since_pass": round(quiet)}, actions=(Action("sync"),))]
