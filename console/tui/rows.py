"""Whole table rows (the k9s `render` layer): columns, every cell of a row, and row order.

Nothing here touches the app, the store or the clock: callers pass `now` and a `Palette`, so
every function is unit-tested directly. The cells of a batch row come from cells.py and the
facts they show from batch_facts.py; this module decides which cells make up a row of the
Batches and item tables, and how batches sort.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.text import Text

from console.engine.batch_facts import (
    EXPIRY_WARN_SECONDS,
    AttentionContext,
    attention,
    attention_reasons,
    counts_of,
    expiry_left,
    failures_of,
    is_terminal,
    waiting_failures,
)
from console.engine.names import display_name
from console.format.numbers import DASH, Palette, fmt_compact, fmt_duration, fmt_int, fmt_money, num, text_or_dash
from console.format.wording import cut_middle
from console.tui.cells import (
    NARROW_EXPIRY,
    counts_cell,
    expiry_text,
    percent_text,
    progress_text,
    risk_text,
    status_text,
)
from store.model import Batch


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: key, header, width, and its priority when the terminal is narrow."""

    key: str
    label: str
    width: int
    priority: int
    """Lower survives longer: at 80 columns only the most important fit."""
    narrow: int = 0
    """Width it shrinks to, instead of being dropped, when the terminal is narrow (0: none).
    A shrunk column shows its cells' narrow form where the row renderer gives one."""
    keep: bool = False
    """Never dropped while narrowing others (and shrinking this one) can make the row fit."""
    narrow_label: str = ""
    """Header once shrunk, when the full one would not fit (`Done` over a bare percentage)."""

    @property
    def shrunk(self) -> bool:
        return 0 < self.width <= self.narrow

    @property
    def header(self) -> str:
        return self.narrow_label if self.shrunk and self.narrow_label else self.label


BATCH_COLUMNS: tuple[Column, ...] = (
    # At 80 columns (and down to 60): status, progress, expiry, deadline, failed and the
    # provider stay, with the name cut in the middle; model, counts, savings and age go
    # first. Then the columns shrink, least important first: the provider to a short tag,
    # progress to its percentage, status to a short word, the name to its 8-cell minimum.
    Column("sel", " ", 1, 0, keep=True),
    Column("id", "#", 4, 0, keep=True),
    Column("provider", "Provider", 9, 8, narrow=3, keep=True),
    Column("label", "Name", 12, 1, narrow=8, keep=True),
    Column("model", "Model", 18, 12),
    Column("status", "Status", 11, 2, narrow=8, keep=True),
    Column("progress", "Progress", 10, 3, narrow=4, keep=True, narrow_label="Done"),
    Column("counts", "ok/err/exp/can/pend", 19, 10),
    Column("expires", "Expires", 9, 4, narrow=NARROW_EXPIRY, keep=True),
    Column("risk", "Deadline", 8, 6, keep=True),
    Column("failed", "Failed", 6, 5, keep=True),
    Column("why", "Needs attention because", 30, 7),
    Column("saved", "Saved", 9, 9),
    Column("age", "Age", 7, 11),
)

CUT_IN_THE_MIDDLE = frozenset({"label"})
"""Cells cut with a middle ellipsis to their column's width (names differ at both ends)."""


NARROW = ".narrow"
"""Suffix of a cell's narrow form in `batch_cells` (`status.narrow`: `running`)."""


def shown_cell(column: Column, cells: Mapping[str, Text]) -> Text:
    """What a row shows in `column`: the narrow form once the column is shrunk (so a whole
    column switches form together, never row by row), made to fit its width."""
    cell = cells[column.key]
    if column.shrunk:
        cell = cells.get(column.key + NARROW, cell)
    return fit_cell(column.key, cell, column.width)


def fit_cell(key: str, cell: Text, width: int) -> Text:
    """A cell made to fit its column: names cut in the middle, the provider to a short tag."""
    if len(cell.plain) <= width or width <= 0:
        return cell
    if key in CUT_IN_THE_MIDDLE:
        if cell.plain.startswith("…"):  # already a tail (a short provider id): keep the end
            return Text("…" + cell.plain[len(cell.plain) - width + 1:], style=cell.style)
        return Text(cut_middle(cell.plain, width), style=cell.style)
    if key == "provider":
        return Text(cell.plain[:width], style=cell.style)
    return cell


def batch_cells(
    batch: Batch,
    now: float,
    pal: Palette,
    *,
    saved: float | None = None,
    selected: bool = False,
    warn: float = EXPIRY_WARN_SECONDS,
    ctx: AttentionContext | None = None,
) -> dict[str, Text]:
    """Every cell of a Batches row, keyed by column (the table picks the columns that fit),
    plus the narrow forms of the columns that shrink (`shown_cell` picks one by width).

    With `ctx`, Failed counts the failures still waiting (resubmitted or promoted ones no
    longer count, as in the header) and `why` says what needs the operator."""
    counts = counts_of(batch)
    ctx = ctx or AttentionContext(warn=warn)
    fails = waiting_failures(batch, ctx)
    reasons = attention(batch, now, ctx)
    created = num(batch.created_at)
    return {
        "sel": Text("●" if selected else " ", style=pal.accent),
        "id": Text(str(batch.id)),
        "provider": Text(text_or_dash(batch.provider, 9)),
        "label": Text(text_or_dash(display_name(batch.label, batch.provider_batch_id), 60),
                      style="" if batch.label else pal.muted),
        "model": Text(text_or_dash(batch.model, 30)),
        "status": status_text(batch.status, pal),
        "status" + NARROW: status_text(batch.status, pal, short=True),
        "progress": progress_text(counts, pal, width=5),
        "progress" + NARROW: percent_text(counts, pal),
        "counts": Text(counts_cell(counts)),
        "expires": expiry_text(batch, now, pal, warn),
        "expires" + NARROW: expiry_text(batch, now, pal, warn, compact=True),
        "risk": risk_text(batch, now, pal),
        "failed": Text(f"✗ {fails:,}" if fails else "0", style=pal.failed if fails else pal.muted),
        "why": Text("; ".join(a.why for a in reasons), style=pal.warning) if reasons else Text(""),
        "saved": Text(fmt_money(saved)),
        "age": Text(fmt_duration(now - created) if created is not None else DASH),
    }


def batch_sort_key(batch: Batch, key: str, now: float, ctx: AttentionContext | None = None) -> tuple:
    """Sort keys; every scheme breaks ties by newest id so the order is stable."""
    counts = counts_of(batch)
    if key == "expires":
        left = expiry_left(batch, now)
        open_ = not is_terminal(batch) and left is not None
        return (0 if open_ else 1, left if open_ else 0, -batch.id)
    if key == "failures":
        return (-(waiting_failures(batch, ctx) if ctx else failures_of(counts)), -batch.id)
    if key == "attention":
        return (-len(attention_reasons(batch, now, ctx=ctx)), is_terminal(batch), -batch.id)
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


def paid_for(item: object) -> float | None:
    """What the item cost: its batch price plus any promotion to realtime (a promoted item's
    batch cost is 0; showing only that read `$0.00` next to a non-zero Saved)."""
    batch, promoted = num(getattr(item, "batch_cost", None)), num(getattr(item, "promoted_cost", None))
    if batch is None and promoted is None:
        return None
    return (batch or 0.0) + (promoted or 0.0)


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
        "cost": Text(fmt_money(paid_for(item))),
        "saved": Text(fmt_money(savings)),
    }
