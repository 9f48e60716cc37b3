"""The Batches table: keyed by local batch id and updated in place, never cleared per tick.

Each refresh diffs the new cells against what is on screen and touches only cells that changed
(slow SSH links pay for every repainted cell), keeps the cursor on the same batch when rows move,
and drops the least important columns when the terminal is narrow (80 columns keeps label,
status, progress, expiry, failures and deadline risk).
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from console.tui.rows import BATCH_COLUMNS, Column, fit_cell
from console.tui.widgets.columns import fit_columns
from console.tui.widgets.keyed_table import KeyedTable

PADDING = 1


def columns_for(width: int) -> list[Column]:
    """The Batches columns that fit `width`."""
    return fit_columns(BATCH_COLUMNS, width, gap=2 * PADDING, grow={"label": 28, "model": 24})


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
        self.cells: dict[int, dict[str, Text]] = {}
        """What each row shows now, by batch id: the diff's left side."""
        self.order: list[int] = []
        self.sort_mark: tuple[str, str] = ("", "")
        self.updates = 0
        """Cells written since mount (tests check that an idle tick writes none)."""

    def on_resize(self) -> None:
        wanted = columns_for(self.size.width)
        if wanted != self.columns_shown:
            self._rebuild(wanted)

    def _label(self, column: Column) -> Text:
        key, mark = self.sort_mark
        return Text(f"{column.label}{mark}" if key == column.key else column.label)

    def _rebuild(self, columns: list[Column]) -> None:
        current = self.current_id()
        self.clear(columns=True)
        self.columns_shown = columns
        for column in columns:
            self.add_column(self._label(column), width=column.width, key=column.key)
        for batch_id in self.order:
            cells = self.cells[batch_id]
            self.add_row(*(fit_cell(c.key, cells[c.key], c.width) for c in columns), key=str(batch_id))
        self._restore(current)

    def set_sort_mark(self, column_key: str, mark: str) -> None:
        """Show the sort indicator (e.g. ` ▲`) on one column header."""
        if self.sort_mark != (column_key, mark):
            self.sort_mark = (column_key, mark)
            self._rebuild(self.columns_shown or columns_for(self.size.width or 80))

    def show(self, rows: list[tuple[int, dict[str, Text]]]) -> int:
        """Make the table show exactly `rows` (in order); return how many cells were written."""
        if not self.columns_shown:
            self.columns_shown = columns_for(self.size.width or 80)
            self._rebuild(self.columns_shown)
        current = self.current_id()
        new_ids = [batch_id for batch_id, _ in rows]
        written = 0
        for gone in set(self.cells) - set(new_ids):
            self.remove_row(str(gone))
            del self.cells[gone]
        for batch_id, cells in rows:
            old = self.cells.get(batch_id)
            if old is None:
                self.add_row(*(fit_cell(c.key, cells[c.key], c.width) for c in self.columns_shown),
                             key=str(batch_id))
                written += len(self.columns_shown)
            else:
                for column in self.columns_shown:
                    if old[column.key] != cells[column.key]:
                        self.update_cell(str(batch_id), column.key,
                                         fit_cell(column.key, cells[column.key], column.width))
                        written += 1
            self.cells[batch_id] = cells
        if new_ids != self.order:
            position = {batch_id: i for i, batch_id in enumerate(new_ids)}
            self.sort("id", key=lambda cell: position.get(int(cell.plain), 0))
        self.order = new_ids
        self._restore(current)
        self.updates += written
        return written
