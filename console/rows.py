"""Pure rendering: store values in, Rich `Text` cells out (the k9s `render` layer).

Nothing here touches the app, the store or the clock: callers pass `now` and a `Palette`, so
every function is unit-tested directly. Information is never carried by colour alone: each
warning has a word or glyph ("at risk", "⚠", "✗"), and colour only repeats it.
Values from other tools may be missing or strange; every formatter answers `—` rather than
raising.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.text import Text

from console.fmt import (
    DASH, Palette, num, fmt_compact, fmt_duration, fmt_int, fmt_money, text_or_dash,
)
from store.model import TERMINAL_BATCH_STATUSES, Batch, BatchStatus, RequestCounts


EXPIRY_WARN_SECONDS = 2 * 3600
"""Under this much time left before a batch's provider expiry, the countdown turns to a warning."""


# ---- batch facts ------------------------------------------------------------------------
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


def expiry_text(batch: Batch, now: float, pal: Palette, warn: float = EXPIRY_WARN_SECONDS) -> Text:
    """`23h 12m`; `⚠ 1h 20m` under the threshold; `expired` after; `—` once finished."""
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
        return Text(f"⚠ {fmt_duration(left)}", style=pal.warning)
    return Text(fmt_duration(left))


def deadline_risk(batch: Batch, now: float) -> str | None:
    """`at risk`, `late`, `on track`, or None (finished, or nothing to judge by).

    The target is the operator's deadline, else the provider's expiry. The finish estimate
    extrapolates the rate so far; with no progress reported, half the time gone means at risk.
    """
    if is_terminal(batch):
        return None
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


def risk_text(batch: Batch, now: float, pal: Palette) -> Text:
    risk = deadline_risk(batch, now)
    if risk is None:
        return Text(DASH, style=pal.muted)
    if risk == "on track":
        return Text("on track", style=pal.muted)
    return Text(risk, style=pal.risk)


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
    if deadline_risk(batch, now) in ("at risk", "late"):
        reasons.append("at risk")
    return reasons


STATUS_GLYPH = {
    BatchStatus.COMPLETED: "✓", BatchStatus.FAILED: "✗", BatchStatus.EXPIRED: "⌛",
    BatchStatus.CANCELED: "⊘", BatchStatus.CANCELING: "⊘", BatchStatus.UNKNOWN: "?",
}


def status_text(status: object, pal: Palette) -> Text:
    """The normalized status word with a glyph, so it reads without colour."""
    try:
        st = BatchStatus(status)
    except ValueError:
        return Text(f"? {text_or_dash(status, 12)}", style=pal.warning)
    glyph = STATUS_GLYPH.get(st)
    style = {BatchStatus.COMPLETED: pal.ok, BatchStatus.FAILED: pal.failed,
             BatchStatus.EXPIRED: pal.expired, BatchStatus.UNKNOWN: pal.warning}.get(st, "")
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
    pct = 100 * (total - pending_of(counts)) // total
    text.append(f" {pct:>3d}%")
    return text


def counts_cell(counts: RequestCounts) -> str:
    """`4812/12/0/176`: succeeded / errored / expired / pending (the column header says so)."""
    vals = (counts.succeeded, counts.errored, counts.expired)
    return "/".join(fmt_int(v) if num(v) is not None else DASH for v in vals) + f"/{pending_of(counts):,}"


# ---- whole rows -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Column:
    """One table column: key, header, width, and its priority when the terminal is narrow."""

    key: str
    label: str
    width: int
    priority: int
    """Lower survives longer: at 80 columns only the most important fit."""


BATCH_COLUMNS: tuple[Column, ...] = (
    Column("sel", " ", 1, 0),
    Column("id", "#", 4, 0),
    Column("provider", "Provider", 9, 8),
    Column("label", "Label", 12, 1),
    Column("model", "Model", 18, 12),
    Column("status", "Status", 11, 2),
    Column("progress", "Progress", 10, 3),
    Column("counts", "ok/err/exp/pend", 15, 10),
    Column("expires", "Expires", 9, 4),
    Column("risk", "Deadline", 8, 6),
    Column("failed", "Failed", 6, 5),
    Column("saved", "Saved", 9, 9),
    Column("age", "Age", 7, 11),
)


def batch_cells(
    batch: Batch,
    now: float,
    pal: Palette,
    *,
    saved: float | None = None,
    selected: bool = False,
    warn: float = EXPIRY_WARN_SECONDS,
) -> dict[str, Text]:
    """Every cell of a Batches row, keyed by column (the table picks the columns that fit)."""
    counts = counts_of(batch)
    fails = failures_of(counts)
    created = num(batch.created_at)
    return {
        "sel": Text("●" if selected else " ", style=pal.accent),
        "id": Text(str(batch.id)),
        "provider": Text(text_or_dash(batch.provider, 9)),
        "label": Text(text_or_dash(batch.label, 30)),
        "model": Text(text_or_dash(batch.model, 30)),
        "status": status_text(batch.status, pal),
        "progress": progress_text(counts, pal, width=5),
        "counts": Text(counts_cell(counts)),
        "expires": expiry_text(batch, now, pal, warn),
        "risk": risk_text(batch, now, pal),
        "failed": Text(f"✗ {fails:,}" if fails else "0", style=pal.failed if fails else pal.muted),
        "saved": Text(fmt_money(saved)),
        "age": Text(fmt_duration(now - created) if created is not None else DASH),
    }


def batch_sort_key(batch: Batch, key: str, now: float) -> tuple:
    """Sort keys; every scheme breaks ties by newest id so the order is stable."""
    counts = counts_of(batch)
    if key == "expires":
        left = expiry_left(batch, now)
        open_ = not is_terminal(batch) and left is not None
        return (0 if open_ else 1, left if open_ else 0, -batch.id)
    if key == "failures":
        return (-failures_of(counts), -batch.id)
    if key == "attention":
        return (-len(attention_reasons(batch, now)), is_terminal(batch), -batch.id)
    if key == "provider":
        return (str(batch.provider), str(batch.label or ""), -batch.id)
    return (-batch.id,)  # "newest"


SORTS = ("attention", "expires", "failures", "newest", "provider")


ITEM_COLUMNS: tuple[Column, ...] = (
    Column("sel", " ", 1, 0),
    Column("seq", "#", 7, 0),
    Column("custom_id", "custom_id", 18, 1),
    Column("status", "Status", 11, 2),
    Column("error", "Error", 22, 3),
    Column("http", "HTTP", 4, 8),
    Column("in", "In tok", 6, 5),
    Column("out", "Out tok", 7, 6),
    Column("cost", "Cost", 8, 4),
    Column("saved", "Saved", 8, 7),
)


def item_cells(item: object, pal: Palette, *, selected: bool = False) -> dict[str, Text]:
    """Every cell of an item row; custom ids and error text are shown literally."""
    status = str(getattr(item, "status", "") or "")
    style = {"succeeded": pal.ok, "errored": pal.failed, "expired": pal.expired,
             "canceled": pal.expired, "pending": pal.muted}.get(status, pal.accent)
    usage = getattr(item, "usage", None)
    error = getattr(item, "error_type", None)
    eclass = getattr(item, "error_class", None)
    err = DASH if error is None else text_or_dash(error) + (" (perm)" if eclass == "permanent" else "")
    savings = None
    try:
        savings = item.savings  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        pass
    return {
        "sel": Text("●" if selected else " ", style=pal.accent),
        "seq": Text(fmt_int(getattr(item, "seq", None))),
        "custom_id": Text(text_or_dash(getattr(item, "custom_id", None))),
        "status": Text(status or DASH, style=style),
        "error": Text(err, style=pal.failed if error else pal.muted),
        "http": Text(fmt_int(getattr(item, "http_status", None))),
        "in": Text(fmt_compact(getattr(usage, "input_tokens", None))),
        "out": Text(fmt_compact(getattr(usage, "output_tokens", None))),
        "cost": Text(fmt_money(getattr(item, "batch_cost", None))),
        "saved": Text(fmt_money(savings)),
    }
