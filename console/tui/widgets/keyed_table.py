"""A DataTable whose rows are keyed by an integer id, and whose cursor follows that id.

The batch and audit tables both update in place (rows added, removed or changed by id)
instead of being cleared; this is the part they share: which id the cursor is on, and
putting the cursor back on it after the rows moved.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist


class KeyedTable(DataTable):
    """Rows keyed by `str(id)`; `order` lists the ids top to bottom."""

    # One navigation grammar with the items table (k9s, lazygit): j/k, g/G and home/end move
    # the row cursor (DataTable alone gives home/end to horizontal scrolling).
    BINDINGS = [
        Binding("k", "cursor_up", "Up", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("home,g", "scroll_top", "Top", show=False),
        Binding("end,G", "scroll_bottom", "Bottom", show=False),
    ]

    order: list[int]

    def current_id(self) -> int | None:
        if not self.order or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - empty or rebuilding table
            return None
        return int(key.value) if key.value is not None else None

    def _restore(self, row_id: int | None) -> None:
        if row_id is None or not self.row_count:
            return
        try:
            self.move_cursor(row=self.get_row_index(str(row_id)), animate=False)
        except RowDoesNotExist:
            pass
