"""One Rich `Text` cell per batch fact: status, progress bar, counts, expiry countdown, risk.

Rows (rows.py) and the detail header (screens/detail_text.py) both draw these, so a status or
a countdown reads the same everywhere. Information is never carried by colour alone: each
warning has a word or glyph ("at risk", "⚠", "✗"), and colour only repeats it. Unknown values
draw as `—` rather than raising.
"""

from __future__ import annotations

import math

from rich.text import Text

from console.engine.batch_facts import (
    EXPIRY_WARN_SECONDS,
    RESULTS_WARN_SECONDS,
    deadline_risk,
    expiry_left,
    failures_of,
    is_terminal,
    pending_of,
    results_left,
)
from console.format.numbers import DASH, Palette, fmt_duration, fmt_int, num, text_or_dash
from store.model import Batch, BatchStatus, RequestCounts

NARROW_EXPIRY = 8
"""Cells of the Expires column's narrow form (`⚠ 1h 20m`, `archived`)."""


def compact_duration(seconds: float | None) -> str:
    """`23h12m`, `3d4h`: a duration without its inner space, for an 8-cell column."""
    return fmt_duration(seconds).replace(" ", "")


def expiry_text(batch: Batch, now: float, pal: Palette, warn: float = EXPIRY_WARN_SECONDS,
                *, compact: bool = False) -> Text:
    """`23h 12m`; `⚠ 1h 20m` under the threshold; `expired` after; `—` once finished;
    `⇩ 3d 4h` while an ended batch's results await ingest before the provider drops them.
    `compact` drops the space inside a duration that would not fit 8 cells (`⚠ 23h12m`)."""
    def duration(seconds: float, glyph: str = "") -> str:
        text = f"{glyph}{fmt_duration(seconds)}"
        return f"{glyph}{compact_duration(seconds)}" if compact and len(text) > NARROW_EXPIRY else text

    kept = results_left(batch, now)
    if kept is not None:  # ended, results not ingested yet: count down to their archiving
        if kept <= 0:
            return Text("archived", style=pal.expired)
        return Text(duration(kept, "⇩ "), style=pal.warning if kept < RESULTS_WARN_SECONDS else "")
    if batch.status == BatchStatus.EXPIRED:
        return Text("expired", style=pal.expired)
    if is_terminal(batch):
        return Text(DASH, style=pal.muted)
    left = expiry_left(batch, now)
    if left is None:
        return Text(DASH, style=pal.muted)
    if left <= 0:
        return Text("expired", style=pal.expired)
    if left < warn:
        return Text(duration(left, "⚠ "), style=pal.warning)
    return Text(duration(left))


def risk_text(batch: Batch, now: float, pal: Palette) -> Text:
    risk = deadline_risk(batch, now)
    if risk is None:
        return Text(DASH, style=pal.muted)
    if risk == "on track":
        return Text("on track", style=pal.muted)
    return Text(risk, style=pal.risk)


STATUS_GLYPH = {
    BatchStatus.COMPLETED: "✓", BatchStatus.FAILED: "✗", BatchStatus.EXPIRED: "⌛",
    BatchStatus.CANCELED: "⊘", BatchStatus.CANCELING: "⊘", BatchStatus.UNKNOWN: "?",
}


STATUS_SHORT = {
    BatchStatus.SUBMITTING: "sending", BatchStatus.VALIDATING: "checking",
    BatchStatus.IN_PROGRESS: "running", BatchStatus.FINALIZING: "closing",
    BatchStatus.COMPLETED: "done", BatchStatus.FAILED: "failed", BatchStatus.EXPIRED: "expired",
    BatchStatus.CANCELING: "stopping", BatchStatus.CANCELED: "canceled", BatchStatus.UNKNOWN: "unknown",
}
"""A narrow Status column's words: plain English of at most 8 letters, no glyphs (one word
already reads without colour, and a glyph would not leave room for it); the detail header
keeps the provider-neutral status name."""


def status_text(status: object, pal: Palette, *, short: bool = False) -> Text:
    """The normalized status word with a glyph, so it reads without colour; `short`: the
    narrow column's plain word (`running` for in_progress, `done` for completed)."""
    try:
        st = BatchStatus(str(status))  # anything else is not a status either: ValueError
    except ValueError:
        return Text(f"? {text_or_dash(status, 6 if short else 12)}", style=pal.warning)
    glyph = STATUS_GLYPH.get(st)
    style = {BatchStatus.COMPLETED: pal.ok, BatchStatus.FAILED: pal.failed,
             BatchStatus.EXPIRED: pal.expired, BatchStatus.UNKNOWN: pal.warning}.get(st, "")
    if short:
        return Text(STATUS_SHORT[st], style=style)
    # Active states read plainly as words; terminal ones get a glyph as well.
    return Text(f"{glyph} {st.value}" if glyph else st.value, style=style)


def progress_text(counts: RequestCounts, pal: Palette, width: int = 10) -> Text:
    """`███▒░░ 62%`: done ok `█`, failed `▒`, pending `░` (shapes differ, not only colour)."""
    total = int(num(counts.total) or 0)
    if total <= 0:
        return Text(f"{'·' * width}    —", style=pal.muted)
    ok = int(num(counts.succeeded) or 0)
    bad = failures_of(counts)
    ok_cells = min(width, round(width * ok / total))
    bad_cells = min(width - ok_cells, math.ceil(width * bad / total) if bad else 0)
    text = Text()
    text.append("█" * ok_cells, style=pal.ok)
    text.append("▒" * bad_cells, style=pal.failed)
    text.append("░" * (width - ok_cells - bad_cells), style=pal.muted)
    text.append(f" {done_percent(counts, total):>3d}%")
    return text


def done_percent(counts: RequestCounts, total: int) -> int:
    """Share of the requests that have finished, whatever their outcome (rounded down)."""
    return 100 * (total - pending_of(counts)) // total


def percent_text(counts: RequestCounts, pal: Palette) -> Text:
    """A narrow Progress column: ` 62%` (4 cells), no bar; `   —` when the size is unknown."""
    total = int(num(counts.total) or 0)
    if total <= 0:
        return Text(f"{DASH:>4}", style=pal.muted)
    return Text(f"{done_percent(counts, total):>3d}%", style=pal.failed if failures_of(counts) else "")


def counts_cell(counts: RequestCounts) -> str:
    """`4812/12/0/3/176`: succeeded / errored / expired / canceled / pending (the column header
    says so); the five always add up to the total, a canceled batch's items included."""
    vals = (counts.succeeded, counts.errored, counts.expired, counts.canceled)
    return "/".join(fmt_int(v) if num(v) is not None else DASH for v in vals) + f"/{pending_of(counts):,}"
