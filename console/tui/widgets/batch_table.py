"""The Batches table: keyed by local batch id and updated in place, never cleared per tick.

Each refresh diffs the new cells against what is on screen and touches only cells that changed
(slow SSH links pay for every repainted cell), keeps the cursor on the same batch when rows move,
and drops the least important columns when the terminal is narrow (80 columns keeps label,
status, progress, expiry, failures and deadline risk).

Below about 70 columns even the shrunk essentials do not fit with two spaces between columns,
so the table goes tight, like the items table: one space between columns and a one-cell
scrollbar, which keeps all of them (deadline included) down to 60 columns.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from console.tui.rows import BATCH_COLUMNS, NARROW, Column, shown_cell
from console.tui.widgets.columns import fit_columns
from console.tui.widgets.keyed_table import KeyedTable

PADDING = 1
GROW = {"label": 28, "model": 24}
KEPT = frozenset(c.key for c in BATCH_COLUMNS if c.keep)
NAME_WIDTH = next(c.width for c in BATCH_COLUMNS if c.key == "label")


def table_layout(width: int) -> tuple[list[Column], bool]:
    """The Batches columns that fit `width`, and whether the table goes tight for them (one
    space between columns, a one-cell scrollbar): when two spaces would cost a column marked
    `keep`, or squeeze the name below its usual width (names are how batches are told apart)."""
    roomy = fit_columns(BATCH_COLUMNS, width, gap=2 * PADDING, grow=GROW)
    shown = {c.key: c.width for c in roomy}
    if KEPT <= shown.keys() and shown["label"] >= NAME_WIDTH:
        return roomy, False
    return fit_columns(BATCH_COLUMNS, width, gap=1, edge=1, grow=GROW), True


def columns_for(width: int) -> list[Column]:
    """The Batches columns that fit `width`."""
    return table_layout(width)[0]


def header_text(column: Column, mark: str) -> str:
    """A column's header with the sort mark (`Status ▲`), within the column's width: the mark
    squeezed in (`Expires▲`) rather than cut off, a long header cut (`Pro` over a tag)."""
    text = f"{column.header}{mark}"
    if len(text) <= column.width:
        return text
    glyph = mark.strip()
    return column.header[: max(0, column.width - len(glyph))] + glyph


class BatchTable(KeyedTable):
    """DataTable of batches with a keyed diff (`show`) and width-dependent columns."""

    DEFAULT_CSS = """
    BatchTable { height: 1fr; }
    """
    # DataTable binds space to "select the row" (which would open the batch); here space
    # marks a batch for a multi-batch action, as everywhere else in batchdeck.
    BINDINGS = [
        Binding("enter", "select_cursor", "Open", show=False),
        Binding("space", "screen.select", "Select", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, cell_padding=PADDING)
        self.columns_shown: list[Column] = []
        self.tight = False
        """One space between columns instead of two (see the module docstring)."""
        self.cells: dict[int, dict[str, Text]] = {}
        """What each row shows now, by batch id: the diff's left side."""
        self.order: list[int] = []
        self.sort_mark: tuple[str, str] = ("", "")
        self.updates = 0
        """Cells written since mount (tests check that an idle tick writes none)."""

    def on_resize(self) -> None:
        wanted, tight = table_layout(self.size.width)
        if wanted != self.columns_shown or tight != self.tight:
            self._rebuild(wanted, tight)

    def _label(self, column: Column) -> Text:
        key, mark = self.sort_mark
        return Text(header_text(column, mark if key == column.key else ""))

    def _rebuild(self, columns: list[Column], tight: bool | None = None) -> None:
        current = self.current_id()
        self.clear(columns=True)
        self.columns_shown = columns
        if tight is not None and tight != self.tight:
            self.tight = tight
            self.set_class(tight, "tight")  # app.tcss: the one-cell scrollbar
            self.cell_padding = 0 if tight else PADDING
        space = 1 if self.tight else 0  # tight: each column carries its one trailing space
        for column in columns:
            self.add_column(self._label(column), width=column.width + space, key=column.key)
        for batch_id in self.order:
            cells = self.cells[batch_id]
            self.add_row(*(shown_cell(c, cells) for c in columns), key=str(batch_id))
        self._restore(current)

    def set_sort_mark(self, column_key: str, mark: str) -> None:
        """Show the sort indicator (e.g. ` ▲`) on one column header."""
        if self.sort_mark != (column_key, mark):
            self.sort_mark = (column_key, mark)
            if self.columns_shown:
                self._rebuild(self.columns_shown)
            else:
                self._rebuild(*table_layout(self.size.width or 80))

    def show(self, rows: list[tuple[int, dict[str, Text]]]) -> int:
        """Make the table show exactly `rows` (in order); return how many cells were written."""
        if not self.columns_shown:
            self._rebuild(*table_layout(self.size.width or 80))
        current = self.current_id()
        new_ids = [batch_id for batch_id, _ in rows]
        written = 0
        for gone in set(self.cells) - set(new_ids):
            self.remove_row(str(gone))
            del self.cells[gone]
        for batch_id, cells in rows:
            old = self.cells.get(batch_id)
            if old is None:
                self.add_row(*(shown_cell(c, cells) for c in self.columns_shown), key=str(batch_id))
                written += len(self.columns_shown)
            else:
                for column in self.columns_shown:
                    # What a column shows depends on its cell and the cell's narrow form only:
                    # compare those (cheap) before fitting anything.
                    key, narrow = column.key, column.key + NARROW
                    if old[key] == cells[key] and old.get(narrow) == cells.get(narrow):
                        continue
                    now_shown = shown_cell(column, cells)
                    if shown_cell(column, old) != now_shown:
                        self.update_cell(str(batch_id), key, now_shown)
                        written += 1
            self.cells[batch_id] = cells
        if new_ids != self.order:
            position = {batch_id: i for i, batch_id in enumerate(new_ids)}
            self.sort("id", key=lambda cell: position.get(int(cell.plain), 0))
        self.order = new_ids
        self._restore(current)
        self.updates += written
        return written
