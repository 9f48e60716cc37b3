"""The audit log table: keyed by event id and updated in place, never cleared for new events.

Events are append-only and listed newest first, so a refresh usually adds rows on top (and,
past the screen's limit, drops the oldest at the bottom). Diffing instead of clearing keeps the
cursor on the event the operator is reading while new ones arrive, as the Batches table does.
"""

from __future__ import annotations

from rich.text import Text

from console.format.times import fmt_clock
from console.tui.literal import compact_json, literal
from console.tui.widgets.keyed_table import KeyedTable
from store.model import Event

COLUMNS = (("at", "When", 12), ("actor", "Actor", 18), ("action", "Action", 14),
           ("target", "Target", 10), ("details", "Details", 60))
"""Key, header and width of each column, in display order."""


def event_cells(event: Event, *, utc: bool, now: float) -> tuple[Text, ...]:
    """One row's cells, in `COLUMNS` order; actor, action and target are shown literally."""
    return (Text(fmt_clock(event.at, utc=utc, now=now)), literal(event.actor), literal(event.action),
            literal(event.target), Text(compact_json(event.details)))


class AuditTable(KeyedTable):
    """DataTable of audit events with a keyed diff (`show`) that keeps the cursor's event."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row")
        self.cells: dict[int, tuple[Text, ...]] = {}
        """What each row shows now, by event id: the diff's left side."""
        self.order: list[int] = []
        """Event ids top to bottom."""

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def show(self, rows: list[tuple[int, tuple[Text, ...]]]) -> int:
        """Make the table show exactly `rows` (in order); return how many cells were written."""
        current = self.current_id()
        new_ids = [event_id for event_id, _ in rows]
        for gone in set(self.cells) - set(new_ids):
            self.remove_row(str(gone))
            del self.cells[gone]
        kept = [event_id for event_id in self.order if event_id in self.cells]
        written = 0
        for event_id, cells in rows:
            old = self.cells.get(event_id)
            if old is None:
                self.add_row(*cells, key=str(event_id))
                kept.append(event_id)
                written += len(cells)
            else:
                # Events never change, but "When" gains a date once its day is over.
                for (column, _, _), was, cell in zip(COLUMNS, old, cells, strict=False):
                    if was != cell:
                        self.update_cell(str(event_id), column, cell)
                        written += 1
            self.cells[event_id] = cells
        if kept != new_ids:
            # New rows were appended at the bottom. DataTable's sort key sees cell values, never
            # row keys, and no column shows the event id: rank each row by the identity of the
            # "When" cell the table holds for it.
            rank = {id(self.get_cell(str(event_id), "at")): i for i, event_id in enumerate(new_ids)}
            self.sort("at", key=lambda at: rank[id(at)])
        self.order = new_ids
        self._restore(current)
        return written
