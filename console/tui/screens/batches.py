"""Batches (home): one row per batch, fleet totals on top, filter, sort, needs-attention.

The app's fleet watcher reads the store once a second in a thread and hands each snapshot to
`show_fleet`; this screen only filters, sorts and diffs it into the table, so a tick that
changes nothing writes nothing to the terminal.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from console.engine.batch_facts import attention, attention_reasons
from console.engine.freshness import freshness
from console.format.numbers import fmt_int, fmt_money
from console.tui.fleet import attention_context
from console.tui.messages import FleetLoaded
from console.tui.rows import SORTS, batch_cells, batch_sort_key
from console.tui.screens.filter_box import filter_binding, open_filter_box
from console.tui.widgets.activity import ActivityBar
from console.tui.widgets.alerts_line import AlertsLine
from console.tui.widgets.batch_table import BatchTable
from console.tui.widgets.field import Field
from console.tui.widgets.keys_footer import KeysFooter

SORT_WORDS = {"attention": "needs attention first", "expires": "expires soonest first",
              "failures": "most failures first", "newest": "newest first", "provider": "by provider"}
SORT_COLUMN = {"expires": "expires", "failures": "failed", "newest": "id",
               "provider": "provider", "attention": "status"}
FIELDS = ("provider", "status", "label", "model", "provider_batch_id")


def _values(batch: object) -> list[str]:
    """Everything `/` searches: our id, the named fields and every metadata value."""
    metadata = getattr(batch, "metadata", None) or {}
    values = [str(getattr(batch, f, "") or "") for f in FIELDS]
    if isinstance(metadata, dict):
        values.extend(str(v) for v in metadata.values())
    return [v.lower() for v in values]


def matches(batch: object, query: str) -> bool:
    """Every word must match: `openai`, `status:failed`, `label:night`, a provider batch id
    (or part of it), our id, a model or any metadata value (case-insensitive)."""
    values = None
    for word in query.lower().split():
        field, _, value = word.partition(":")
        if value and field in FIELDS:
            if value not in str(getattr(batch, field, "") or "").lower():
                return False
            continue
        if word.lstrip("#") == str(getattr(batch, "id", "")):
            continue
        values = values if values is not None else _values(batch)
        if not any(word in v for v in values):
            return False
    return True


def fleet_line(totals: Any, width: int, failed_style: str) -> Text:
    """The fleet totals on one line of `width` cells: full words when they fit, then short
    ones, then the least urgent facts dropped (month, unpriced), never a second line."""
    failing = failed_style if totals.failures_waiting else ""
    long = [(f"In flight {fmt_int(totals.in_flight)}", "bold"),
            (f"Pending {fmt_int(totals.items_pending)}", ""),
            (f"Failures waiting {fmt_int(totals.failures_waiting)}", failing),
            (f"Saved today {fmt_money(totals.savings_today)}", ""),
            (f"month {fmt_money(totals.savings_month)}", "")]
    short = [(f"{fmt_int(totals.in_flight)} in flight", "bold"),
             (f"{fmt_int(totals.items_pending)} pending", ""),
             (f"{fmt_int(totals.failures_waiting)} failed", failing),
             (f"saved {fmt_money(totals.savings_today)} today", ""),
             (f"{fmt_money(totals.savings_month)} month", "")]
    if totals.unpriced_items:
        long.append((f"unpriced {fmt_int(totals.unpriced_items)}", ""))
        short.append((f"{fmt_int(totals.unpriced_items)} unpriced", ""))

    def length(parts: list[tuple[str, str]]) -> int:
        return sum(len(words) for words, _ in parts) + 3 * (len(parts) - 1)

    parts = long if length(long) <= width else short
    while len(parts) > 3 and length(parts) > width:
        parts = parts[:-1]
    line = Text(no_wrap=True, overflow="ellipsis")
    for i, (words, style) in enumerate(parts):
        line.append(" · " if i else "")
        line.append(words, style=style)
    return line


class BatchesScreen(Screen):
    """Home: every batch, newest snapshot from the fleet watcher."""

    help_title = "Batches"

    BINDINGS = [
        Binding("enter", "open", "Open", id="open"),
        filter_binding(),
        Binding("s", "sort", "Sort", id="sort"),
        Binding("S", "reverse", "Reverse sort", show=False, id="reverse"),
        Binding("n", "attention", "Needs attention", id="attention"),
        Binding("space", "select", "Select", id="select"),
        Binding("a", "select_all", "Select all matching", show=False, id="select_all"),
        Binding("r", "resubmit", "Resubmit failures", id="resubmit"),
        Binding("R", "resubmit_all", "Resubmit incl. permanent", show=False, id="resubmit_all"),
        Binding("p", "promote", "Promote", id="promote"),
        Binding("c", "cancel_batch", "Cancel batch", show=False, id="cancel"),
        Binding("e", "export", "Export", show=False, id="export"),
        Binding("escape", "clear", "Clear filter/selection", show=False, id="clear"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.snapshot: FleetLoaded | None = None
        self.query_text = ""
        self.attention_only = False
        self.alerted: frozenset[int] = frozenset()
        """Batches an active alert names (AlertsLine): they need attention too."""
        self.sort_key = "attention"
        self.reverse = False
        self.selected: set[int] = set()
        self.shown: list = []

    def compose(self) -> ComposeResult:
        with Vertical(id="top"):
            yield Static("", id="fleet", classes="fleet")
            yield Static("", id="status-line", classes="status-line")
            yield Static("", id="freshness", classes="freshness")
            yield AlertsLine(id="alerts-line")
            yield Static("", id="why-line", classes="why-line")
            yield Field(placeholder="filter: provider status:failed label:nightly  (enter applies, esc clears)",
                        id="filter-input", classes="filter")
        yield BatchTable(id="batches")
        yield Static("", id="empty", classes="empty")
        yield ActivityBar()
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#filter-input").display = False
        self.query_one(BatchTable).focus()
        self.app.fleet_signal.subscribe(self, self.show_fleet)
        if self.app.fleet is not None:
            self.show_fleet(self.app.fleet)

    # ---- data -------------------------------------------------------------------------
    def show_fleet(self, snapshot: FleetLoaded) -> None:
        """Filter, sort and diff the newest snapshot into the table."""
        self.snapshot = snapshot
        self._render_fleet_line()
        self._render_rows()

    def _render_fleet_line(self) -> None:
        totals = self.snapshot.totals if self.snapshot else None
        box = self.query_one("#fleet", Static)
        if totals is None:
            box.update(Text("fleet totals —"))
            return
        width = (box.content_size.width or self.app.size.width - 4)
        box.update(fleet_line(totals, width, self.app.palette.failed))

    def on_resize(self) -> None:
        self._render_fleet_line()

    def _render_rows(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        pal, now, warn = self.app.palette, snap.now, self.app.expiry_warn
        ctx = attention_context(snap, warn)
        self.ctx = ctx
        shown = [b for b in snap.batches if matches(b, self.query_text)]
        if self.attention_only:
            shown = [b for b in shown if attention_reasons(b, now, ctx=ctx) or b.id in self.alerted]
        shown.sort(key=lambda b: batch_sort_key(b, self.sort_key, now, ctx), reverse=self.reverse)
        self.shown = shown
        self.selected &= {b.id for b in snap.batches}
        table = self.query_one(BatchTable)
        table.set_sort_mark(SORT_COLUMN[self.sort_key], " ▼" if self.reverse else " ▲")
        table.show([(b.id, batch_cells(b, now, pal, saved=snap.saved.get(b.id),
                                       selected=b.id in self.selected, warn=warn, ctx=ctx)) for b in shown])
        empty = self.query_one("#empty", Static)
        empty.display = not shown
        if not snap.batches:
            empty.update("No batches in this store yet.\nSubmit one with `batchdeck submit FILE`, "
                         "track one with t, or try `batchdeck demo`.")
        elif not shown:
            empty.update("No batch matches the filter. Press esc to clear it.")
        self._render_status_line(len(shown), len(snap.batches))

    def _render_status_line(self, shown: int, total: int) -> None:
        mark = "▼ reversed" if self.reverse else "▲"
        # Most important first: a narrow terminal cuts the line from the right, so the sort
        # (always on the column header too) goes last and the freshness stays in view.
        parts = [f"{shown} of {total} batches"]
        if self.app.read_only:
            parts.append("READ-ONLY")
        fresh = (freshness(self.snapshot.lease, self.snapshot.health, self.snapshot.heartbeat_now)
                 if self.snapshot is not None else None)
        if fresh is not None and not fresh.warning:
            parts.append(fresh.text)
        if self.query_text:
            parts.append(f"filter: {self.query_text}")
        if self.attention_only:
            parts.append("needs attention only")
        # In needs-attention mode the cursor row's reasons get a line of their own (at 80
        # columns the reasons column does not fit).
        why_line = self.query_one("#why-line", Static)
        why = self._why_current() if self.attention_only else ""
        why_line.display = bool(why)
        why_line.update(Text(why, style=self.app.palette.warning))
        if self.selected:
            parts.append(f"{len(self.selected)} selected")
        parts.append(f"sort: {SORT_WORDS[self.sort_key]} {mark} (s)")
        self.query_one("#status-line", Static).update(Text(" · ".join(parts)))
        # Stale or failing data is never a quiet suffix: it gets its own line, in warning style.
        banner = self.query_one("#freshness", Static)
        banner.display = fresh is not None and fresh.warning
        if fresh is not None and fresh.warning:
            banner.update(Text("⚠ " + fresh.text, style=self.app.palette.warning))

    def _why_current(self) -> str:
        current = self.current_id()
        batch = next((b for b in self.shown if b.id == current), None)
        if batch is None or self.snapshot is None:
            return ""
        reasons = attention(batch, self.snapshot.now, getattr(self, "ctx", None))
        return f"#{batch.id}: " + "; ".join(a.why for a in reasons) if reasons else ""

    @on(DataTable.RowHighlighted)
    def _cursor_moved(self, event: DataTable.RowHighlighted) -> None:
        if self.attention_only and self.snapshot is not None:
            self._render_status_line(len(self.shown), len(self.snapshot.batches))

    # ---- navigation and view ---------------------------------------------------------------
    def current_id(self) -> int | None:
        return self.query_one(BatchTable).current_id()

    def targets(self) -> list[int]:
        """The selection if any, else the batch under the cursor."""
        if self.selected:
            return [b.id for b in self.shown if b.id in self.selected] or sorted(self.selected)
        current = self.current_id()
        return [current] if current is not None else []

    @on(DataTable.RowSelected)
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        batch_id = self.current_id()
        if batch_id is not None:
            self.app.open_batch(batch_id)

    def action_filter(self) -> None:
        open_filter_box(self, self.query_text)

    @on(Input.Submitted, "#filter-input")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.query_text = event.value.strip()
        event.input.display = bool(self.query_text)
        self.query_one(BatchTable).focus()
        self._render_rows()

    @on(Input.Changed, "#filter-input")
    def _filter_live(self, event: Input.Changed) -> None:
        self.query_text = event.value.strip()
        self._render_rows()

    def action_clear(self) -> None:
        box = self.query_one("#filter-input", Input)
        self.query_text, box.value, box.display = "", "", False
        self.attention_only = False
        self.selected.clear()
        self.query_one(BatchTable).focus()
        self._render_rows()

    def action_sort(self) -> None:
        self.sort_key = SORTS[(SORTS.index(self.sort_key) + 1) % len(SORTS)]
        self._render_rows()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self._render_rows()

    def on_alerts_line_read(self, message: AlertsLine.Read) -> None:
        if message.batch_ids != self.alerted:
            self.alerted = message.batch_ids
            if self.attention_only and self.snapshot is not None:
                self._render_rows()

    def action_attention(self) -> None:
        self.attention_only = not self.attention_only
        self._render_rows()

    def action_select(self) -> None:
        batch_id = self.current_id()
        if batch_id is not None:
            self.selected.symmetric_difference_update({batch_id})
            self._render_rows()
            self.query_one(BatchTable).action_cursor_down()

    def action_select_all(self) -> None:
        ids = {b.id for b in self.shown}
        self.selected = set() if ids and ids <= self.selected else ids
        self._render_rows()

    # ---- actions (the app's ActionRunner does the engine work) -------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("resubmit", "resubmit_all", "promote", "cancel_batch") and self.app.read_only:
            return False  # hidden from the footer; the app's fallback binding says why
        return True

    def action_resubmit(self) -> None:
        self.app.actions.resubmit(self.targets())

    def action_resubmit_all(self) -> None:
        self.app.actions.resubmit(self.targets(), include_permanent=True)

    def action_promote(self) -> None:
        self.app.actions.promote(self.targets())

    def action_cancel_batch(self) -> None:
        self.app.actions.cancel(self.targets())

    def action_export(self) -> None:
        batch_id = self.current_id()
        if batch_id is not None:
            self.app.actions.export(batch_id)
