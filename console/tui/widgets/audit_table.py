"""The audit log table: keyed by event id and updated in place, never cleared for new events.

Events are append-only and listed newest first, so a refresh usually adds rows on top (and,
past the screen's limit, drops the oldest at the bottom). Diffing instead of clearing keeps the
cursor on the event the operator is reading while new ones arrive, as the Batches table does.
"""

from __future__ import annotations

from rich.text import Text

from console.format.times import fmt_clock
from console.tui.audit_text import details_text
from console.tui.literal import literal
from console.tui.widgets.keyed_table import KeyedTable
from store.model import Event

COLUMNS = (("at", "When", 12), ("actor", "Actor", 18), ("action", "Action", 14),
           ("target", "Target", 10), ("details", "Details", 30))
"""Key, header and (minimum) width of each column, in display order; Details takes the rest."""

PADDING = 1
SCROLLBAR = 2


def details_width(table_width: int) -> int:
    """What is left for Details once the other columns and the cell padding are placed."""
    fixed = sum(width for key, _, width in COLUMNS if key != "details")
    return max(COLUMNS[-1][2], table_width - fixed - 2 * PADDING * len(COLUMNS) - SCROLLBAR)


def event_cells(event: Event, *, utc: bool, now: float) -> tuple[Text, ...]:
    """One row's cells, in `COLUMNS` order; actor, action and target are shown literally."""
    # Targets are mostly our batch ids: `#4`, as every other screen names a batch.
    target = f"#{event.target}" if str(event.target or "").isdigit() else event.target
    return (Text(fmt_clock(event.at, utc=utc, now=now)), literal(event.actor), literal(event.action),
            literal(target), Text(details_text(event.details, utc=utc, now=now),
                                        no_wrap=True, overflow="ellipsis"))


class AuditTable(KeyedTable):
    """DataTable of audit events with a keyed diff (`show`) that keeps the cursor's event."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", cell_padding=PADDING)
        self.cells: dict[int, tuple[Text, ...]] = {}
        """What each row shows now, by event id: the diff's left side."""
        self.order: list[int] = []
        """Event ids top to bottom."""
        self.details_width = 0
        """Cells given to Details now (the rest of the table's width)."""

    def on_mount(self) -> None:
        self._columns(details_width(self.size.width or 80))

    def _columns(self, details: int) -> None:
        self.details_width = details
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=details if key == "details" else width)

    def on_resize(self) -> None:
        # A wide terminal shows more of each event's details instead of a fixed 60 cells.
        wanted = details_width(self.size.width)
        if wanted == self.details_width:
            return
        current = self.current_id()
        self.clear(columns=True)
        self._columns(wanted)
        for event_id in self.order:
            self.add_row(*self.cells[event_id], key=str(event_id))
        self._restore(current)

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
