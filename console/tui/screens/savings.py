"""Savings: realized savings by provider, model, day or batch, as a table and a bar chart.

Unpriced items are counted in their own column and left out of every dollar figure (never
counted as $0); promotions show their extra cost, which can make savings negative.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from console.format.numbers import fmt_int, fmt_money, text_or_dash
from console.tui.messages import SavingsLoaded
from console.tui.widgets.activity import ActivityBar
from console.tui.widgets.bar_chart import BarChart
from console.tui.widgets.keys_footer import KeysFooter
from store.model import SavingsRow

GROUPS = ("provider", "model", "day", "batch")
# Saved comes right after the group: it is what this screen is for, so it must survive 80 and
# 60 columns, where the table is cut on the right.
COLUMNS = (("key", "Group", 24), ("saved", "Saved", 11), ("items", "Items", 9),
           ("unpriced", "Unpriced", 8), ("batch", "Batch cost", 11),
           ("realtime", "Realtime equiv.", 15), ("promoted", "Promoted extra", 14))
CHART_ROWS = 8
CHART_LOSSES = 3
"""Rows that lost money always get up to this many of the chart's lines (never cut off)."""


def group_label(row: SavingsRow, by: str, labels: Mapping[int, str | None]) -> str:
    """`#4 embeddings-backfill` when grouped by batch (a bare id says nothing); else the key."""
    key = str(row.key)
    if by != "batch":
        return key
    number = key.lstrip("#")
    label = labels.get(int(number)) if number.isdigit() else None
    return f"#{number} {text_or_dash(label)}" if number.isdigit() else key


def savings_cells(row: SavingsRow, label: str | None = None) -> list[Text]:
    def money(value: float) -> str:
        # A group with no priced item has no dollar figure at all (as `batchdeck savings`).
        return fmt_money(value) if row.priced_items else "unpriced"

    return [Text(text_or_dash(label if label is not None else row.key)),
            Text(money(row.savings), style="bold"), Text(fmt_int(row.items)),
            Text(fmt_int(row.unpriced_items)), Text(money(row.batch_cost)),
            Text(money(row.realtime_cost)), Text(money(row.promoted_cost))]


def chart_rows(rows: list[SavingsRow]) -> list[SavingsRow]:
    """The rows the chart draws: the biggest savings, plus every loss (up to CHART_LOSSES),
    which sorting by savings would otherwise push off the bottom; groups with no priced item
    are left to the table, which says "unpriced"."""
    priced = [r for r in rows if r.priced_items]  # an unpriced group has no bar, not a $0 one
    losses = sorted((r for r in priced if r.savings < 0), key=lambda r: r.savings)[:CHART_LOSSES]
    gains = [r for r in sorted(priced, key=lambda r: -r.savings) if r.savings >= 0]
    return gains[:CHART_ROWS - len(losses)] + sorted(losses, key=lambda r: -r.savings)


def totals_text(rows: list, totals, by: str) -> Text:
    """`Saved $310.22 on 52,000 priced items · 120 unpriced (not counted) · promoted extra $1.20`."""
    saved = sum(r.savings for r in rows)
    priced = sum(r.priced_items for r in rows)
    t = Text(f"Saved {fmt_money(saved)} on {fmt_int(priced)} priced items", style="bold")
    unpriced = sum(r.unpriced_items for r in rows)
    t.append(f" · {fmt_int(unpriced)} unpriced (no price: not counted)")
    t.append(f" · promoted extra {fmt_money(sum(r.promoted_cost for r in rows))}")
    if totals is not None:
        t.append(f"\nToday {fmt_money(totals.savings_today)} · this month {fmt_money(totals.savings_month)}")
    t.append(f" · grouped by {by} (g changes)")
    return t


class SavingsTable(DataTable):
    """The savings table with the list grammar's moves; `g` stays "group by" on this screen
    (its one action), so top and bottom are home/end and G."""

    BINDINGS = [
        Binding("k", "cursor_up", "Up", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("home", "scroll_top", "Top", show=False),
        Binding("end,G", "scroll_bottom", "Bottom", show=False),
    ]


class SavingsScreen(Screen):
    """Realized savings; `g` cycles the grouping."""

    help_title = "Savings"

    BINDINGS = [
        Binding("g", "group", "Group by", id="group"),
        Binding("escape", "app.switch_mode('batches')", "Batches", id="back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.by = "provider"

    def compose(self) -> ComposeResult:
        yield Static("", id="savings-totals", classes="fleet")
        yield BarChart(id="chart")
        yield SavingsTable(id="savings", cursor_type="row")
        yield ActivityBar()
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        table.focus()
        self.load()
        if self.app.refresh_interval:
            self.set_interval(self.app.refresh_interval * 5, self._tick)

    def on_screen_resume(self) -> None:
        self.load()

    def _tick(self) -> None:
        if not any(w.is_running for w in self.workers):
            self.load()

    @work(thread=True, exclusive=True, group="savings", exit_on_error=False,
          description="read savings")
    def load(self) -> None:
        store, now = self.app.store, self.app.clock.now()
        rows = store.savings(by=self.by)
        self.post_message(SavingsLoaded(self.by, rows, store.fleet_totals(now=now), now))

    @on(SavingsLoaded)
    def _loaded(self, message: SavingsLoaded) -> None:
        if message.by != self.by:
            return
        rows = sorted(message.rows, key=lambda r: (str(r.key) if self.by == "day" else -r.savings),
                      reverse=self.by == "day")
        self.query_one("#savings-totals", Static).update(totals_text(rows, message.totals, self.by))
        labels = {b.id: b.label for b in self.app.fleet.batches} if self.app.fleet else {}
        names = {str(r.key): group_label(r, self.by, labels) for r in rows}
        self.query_one(BarChart).show([(names[str(r.key)], r.savings) for r in chart_rows(rows)])
        table = self.query_one(DataTable)
        keys = [str(r.key) for r in rows]
        existing = {k.value for k in table.rows}
        if existing != set(keys) or [k.value for k in table.rows] != keys:
            table.clear()
            for row in rows:
                table.add_row(*savings_cells(row, names[str(row.key)]), key=str(row.key))
            return
        for row in rows:  # same groups: update only the cells that changed
            for (col, _, _), cell in zip(COLUMNS, savings_cells(row, names[str(row.key)]), strict=False):
                if table.get_cell(str(row.key), col) != cell:
                    table.update_cell(str(row.key), col, cell)

    def action_group(self) -> None:
        self.by = GROUPS[(GROUPS.index(self.by) + 1) % len(GROUPS)]
        self.load()
