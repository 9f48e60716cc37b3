"""The block above the Batch detail items table: batch facts, the item status line, the filter box.

The screen reads the store and owns the filter; this widget only draws what it is given (the
text itself comes from detail_text.py), so every refresh is one `show` and a status line.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from console.tui.messages import BatchLoaded
from console.tui.screens.detail_text import failures_text, lineage_text, summary_text, timeline_text
from console.tui.widgets.field import Field


class DetailHeader(Vertical):
    """Summary, lineage, timeline and failures of one batch, then the items' status and filter."""

    def __init__(self, batch_id: int) -> None:
        super().__init__(id="top")
        self.batch_id = batch_id

    def compose(self) -> ComposeResult:
        yield Static(Text(f"batch #{self.batch_id} — loading…"), id="summary")
        yield Static("", id="lineage")
        yield Static("", id="timeline")
        yield Static("", id="failures")
        yield Static("", id="item-status", classes="status-line")
        yield Field(placeholder="status:errored type:rate_limit_error  (enter applies, esc clears)",
                    id="filter-input", classes="filter")

    def show(self, m: BatchLoaded) -> None:
        app = self.app
        if m.batch is None:
            self.query_one("#summary", Static).update(Text(f"Batch #{self.batch_id} is not in this store."))
            return
        saved = app.fleet.saved.get(self.batch_id) if app.fleet else None
        self.query_one("#summary", Static).update(
            summary_text(m.batch, m.now, app.palette, utc=app.utc, saved=saved, warn=app.expiry_warn))
        self.query_one("#lineage", Static).update(lineage_text(m.batch, m.parent, m.children))
        self.query_one("#timeline", Static).update(timeline_text(m.history, m.now, utc=app.utc))
        self.query_one("#failures", Static).update(failures_text(m.groups, app.palette))

    def show_status(self, total: int, status: str | None, error_type: str | None, *,
                    all_matching: bool, selected: int) -> None:
        """`items: 1,200 shown · status: all (f) · error: all (x)`, plus what is selected."""
        parts = [f"items: {total:,} shown",
                 f"status: {status or 'all'} (f)", f"error: {error_type or 'all'} (x)"]
        if all_matching:
            parts.append(f"all {total:,} matching selected")
        elif selected:
            parts.append(f"{selected:,} selected")
        self.query_one("#item-status", Static).update(Text(" · ".join(parts)))
