"""Pure text for the Batch detail header: fields, lineage, timeline, failures by error type."""

from __future__ import annotations

from rich.text import Text

from console.engine.batch_facts import (
    INPUTS_WARN_SECONDS,
    counts_of,
    deadline_risk,
    inputs_left,
    is_terminal,
    pending_of,
)
from console.format.numbers import DASH, Palette, fmt_duration, fmt_int, fmt_money, num, text_or_dash
from console.format.times import fmt_clock
from console.tui.cells import expiry_text, status_text


def summary_text(batch, now: float, pal: Palette, *, utc: bool, saved: float | None,
                 warn: float) -> Text:
    """Four to six lines: identity, times, counts, lineage-free facts (lineage is separate)."""
    c = counts_of(batch)
    t = Text()
    t.append(f"#{batch.id} ", style="bold")
    t.append(f"{text_or_dash(batch.provider)} · {text_or_dash(batch.label)} · {text_or_dash(batch.model)} · ")
    t.append_text(status_text(batch.status, pal))
    if batch.raw_status and batch.raw_status != str(batch.status):
        t.append(f" (provider says {text_or_dash(batch.raw_status, 24)})")
    if getattr(batch, "tracked", False):
        t.append(" · tracked")
    t.append(f"\nprovider id {text_or_dash(batch.provider_batch_id, 40)}")
    t.append(f" · created {fmt_clock(batch.created_at, utc=utc, now=now)}")
    t.append(f" · ended {fmt_clock(batch.ended_at, utc=utc, now=now)}")
    if is_terminal(batch):  # the window no longer matters once the batch has ended
        if batch.deadline is not None:
            t.append(f"\ndeadline {fmt_clock(batch.deadline, utc=utc, now=now)}")
            if deadline_risk(batch, now) is None and batch.ended_at is not None:
                t.append(" (met)")
    else:
        t.append("\nexpires ")
        t.append_text(expiry_text(batch, now, pal, warn))
        t.append(f" ({fmt_clock(batch.expires_at, utc=utc, now=now)})")
        t.append(f" · deadline {fmt_clock(batch.deadline, utc=utc, now=now)}")
    risk = deadline_risk(batch, now)
    if risk:
        against = "" if batch.deadline else " of expiring before done"
        t.append(f" ({risk}{against if risk == 'at risk' else ''})",
                 style=pal.risk if risk != "on track" else "")
    t.append(f"\n{fmt_int(c.succeeded)} succeeded / {fmt_int(c.errored)} errored / "
             f"{fmt_int(c.expired)} expired / "
             + (f"{fmt_int(c.canceled)} canceled / " if num(c.canceled) else "")
             + f"{fmt_int(pending_of(c))} pending of {fmt_int(c.total)}")
    promoted = getattr(batch, "promoted", 0)
    if promoted:  # moves while a promote runs: each answer lands with its count
        t.append(f" · {fmt_int(promoted)} promoted")
    if getattr(batch, "truncated", 0):
        t.append(f" · {fmt_int(batch.truncated)} truncated")
    if getattr(batch, "reported_cost", None) is not None:
        t.append(f" · provider billed {fmt_money(batch.reported_cost)}"
                 + (f" (list {fmt_money(batch.reported_list_cost)})" if batch.reported_list_cost is not None else ""))
    t.append(f" · saved {fmt_money(saved)}")
    if batch.errors:
        t.append("\nprovider error: ", style=pal.failed)
        t.append(text_or_dash(batch.errors, 200))
    inputs = getattr(batch, "inputs", None)
    if inputs == "unknown":
        # The provider cannot give the requests back: promote and resubmit need the file.
        t.append("\ninputs unknown", style=pal.warning)
        # One line at 80 columns: the console's key first, the command line's way after.
        t.append(f": i attaches the original file (or `batchdeck attach {batch.id} FILE`)")
    elif inputs == "pending":
        t.append("\ninputs: not read yet (the next sync pass reads the provider's input file)", style=pal.muted)
        left = inputs_left(batch, now)
        if left is not None and left <= 0:
            t.append(" · no longer downloadable", style=pal.expired)
        elif left is not None:  # a countdown to the provider dropping them
            t.append(f" · ⇩ {fmt_duration(left)} left to read them",
                     style=pal.warning if left < INPUTS_WARN_SECONDS else pal.muted)
    return t


def lineage_text(batch, parent, children: list) -> Text:
    """`lineage: parent #9 (completed) · children #15 in_progress, #16 completed`."""
    t = Text("lineage: ")
    if batch.parent_id is None and not children:
        t.append("none (not a resubmission, never resubmitted)")
        return t
    if batch.parent_id is not None:
        state = f" ({parent.status})" if parent is not None else " (not in store)"
        t.append(f"parent #{batch.parent_id}{state} [u]")
    if children:
        if batch.parent_id is not None:
            t.append(" · ")
        kids = ", ".join(f"#{k.id} {k.status}" for k in children[:6])
        more = f" +{len(children) - 6}" if len(children) > 6 else ""
        t.append(f"children {kids}{more} [o]")
    return t


def timeline_text(history: list, now: float, *, utc: bool) -> Text:
    """`timeline: submitting 21:00 → in_progress 21:01 → completed 23:40`, newest kept if long."""
    t = Text("timeline: ")
    if not history:
        t.append(DASH)
        return t
    steps = [f"{text_or_dash(status)} {fmt_clock(at, utc=utc, now=now)}" for at, status, _raw in history]
    if len(steps) > 5:
        steps = [steps[0], "…"] + steps[-3:]
    t.append(" → ".join(steps))
    return t


def failures_text(groups: list, pal: Palette) -> Text:
    """`failures: rate_limit_error 312 (retryable) · invalid_request 4 (permanent)`."""
    t = Text("failures: ")
    if not groups:
        t.append("none")
        return t
    for i, g in enumerate(groups):
        if i:
            t.append(" · ")
        t.append(f"{text_or_dash(g.error_type, 40)} {fmt_int(g.count)}", style=pal.failed)
        if g.error_class:
            t.append(f" ({g.error_class})")
    return t
