"""Batch detail: fields, lineage, timeline, failures by type, and the virtualized items table.

A thread worker reads the header facts and the matching count once a second (detail_reads.py)
for the header to draw (detail_header.py); the items table reads only its visible pages (see
widgets/item_table.py) and the same worker re-reads those pages so that only rows whose values
changed are repainted. This screen wires them together: filters, navigation, selection, actions.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import get_current_worker

from console.tui.messages import BatchLoaded, PagesLoaded
from console.tui.screens.detail_filter import UnknownStatus, next_error_type, next_status, parse_filter
from console.tui.screens.detail_header import DetailHeader
from console.tui.screens.detail_reads import ItemQuery, read_detail
from console.tui.screens.filter_box import filter_binding, open_filter_box
from console.tui.widgets.activity import ActivityBar
from console.tui.widgets.item_table import ItemTable
from console.tui.widgets.keys_footer import KeysFooter


class BatchDetailScreen(Screen):
    """One batch; `batch_id` is the local id."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        # Only while the batch's inputs are unknown (check_action), and then early in the
        # footer: the batch has no items for the item keys yet, and promote, resubmit and
        # export order need its requests.
        Binding("i", "attach_inputs", "Attach inputs", id="attach_inputs"),
        Binding("enter", "inspect", "Inspect item", id="inspect"),
        Binding("f", "status_filter", "Status filter", id="status_filter"),
        Binding("x", "error_filter", "Error filter", id="error_filter"),
        filter_binding(show=False),
        Binding("space", "select", "Select", id="select"),
        Binding("a", "select_all", "Select all matching", show=False, id="select_all"),
        Binding("r", "resubmit", "Resubmit", id="resubmit"),
        Binding("R", "resubmit_all", "Resubmit incl. permanent", show=False, id="resubmit_all"),
        Binding("p", "promote", "Promote", id="promote"),
        Binding("c", "cancel_batch", "Cancel batch", show=False, id="cancel"),
        Binding("e", "export", "Export", show=False, id="export"),
        Binding("u", "parent", "Parent batch", show=False, id="parent"),
        Binding("o", "child", "Child batch", show=False, id="child"),
    ]

    def __init__(self, batch_id: int) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.help_title = f"Batch #{batch_id}"
        self.status: str | None = None
        self.error_type: str | None = None
        self.loaded: BatchLoaded | None = None
        self.generation = 0
        """Bumped on every filter change so a late worker result for the old filter is dropped."""
        self._child_index = 0

    def compose(self) -> ComposeResult:
        yield DetailHeader(self.batch_id)
        yield ItemTable(self.app.palette, id="items")
        yield ActivityBar()
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#filter-input").display = False
        self.query_one(ItemTable).focus()
        self.load(first=True)
        if self.app.refresh_interval:
            self.set_interval(self.app.refresh_interval, self._tick)

    # ---- loading ------------------------------------------------------------------------
    def _query(self) -> ItemQuery:
        """The items the screen shows now; also the items table's page source."""
        return ItemQuery(self.app.store, self.batch_id, self.status, self.error_type)

    def _tick(self) -> None:
        if not any(w.group == "detail" and w.is_running for w in self.workers):
            self.load()

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False,
          description="read batch detail")
    def load(self, first: bool = False) -> None:
        now, generation = self.app.clock.now(), self.generation
        loaded, pages = read_detail(self._query(), now, first=first,
                                    pages_on_screen=self._visible_pages)
        if get_current_worker().is_cancelled:
            return
        self.post_message(loaded)
        if pages:
            self.post_message(PagesLoaded(pages, generation))

    @property
    def _visible_pages(self) -> list[int]:
        return list(getattr(self, "_pages_on_screen", []))

    @on(BatchLoaded)
    def _loaded(self, message: BatchLoaded) -> None:
        first = self.loaded is None
        was_unknown = self._inputs_unknown
        self.loaded = message
        if self._inputs_unknown != was_unknown:
            self.refresh_bindings()  # `i Attach inputs` comes and goes with the note
        table = self.query_one(ItemTable)
        if first:
            table.set_source(self._query(), total=message.matching, first_page=message.first_page)
        else:
            table.set_total(message.matching)
        self._pages_on_screen = table.visible_pages()
        self._render_header()

    @on(PagesLoaded)
    def _pages(self, message: PagesLoaded) -> None:
        if message.generation == self.generation:
            self.query_one(ItemTable).apply_pages(message.pages)

    @on(ItemTable.Highlighted)
    def _moved(self, _event: ItemTable.Highlighted) -> None:
        self._pages_on_screen = self.query_one(ItemTable).visible_pages()

    def _render_header(self) -> None:
        m = self.loaded
        if m is None:
            return
        self.query_one(DetailHeader).show(m)
        if m.batch is not None:
            self._render_status()

    def _render_status(self) -> None:
        table = self.query_one(ItemTable)
        self.query_one(DetailHeader).show_status(table.total, self.status, self.error_type,
                                                 all_matching=table.all_matching,
                                                 selected=len(table.selected))

    # ---- filters --------------------------------------------------------------------------
    def set_filter(self, status: str | None, error_type: str | None) -> None:
        self.status, self.error_type = status, error_type
        self.generation += 1
        table = self.query_one(ItemTable)
        table.selected.clear()
        table.set_source(self._query())
        self._pages_on_screen = table.visible_pages()
        self._render_status()

    def action_status_filter(self) -> None:
        self.set_filter(next_status(self.status), self.error_type)

    def action_error_filter(self) -> None:
        groups = self.loaded.groups if self.loaded else []
        self.set_filter(self.status, next_error_type(self.error_type, groups))

    def action_filter(self) -> None:
        open_filter_box(self)

    @on(Input.Submitted, "#filter-input")
    def _filter_done(self, event: Input.Submitted) -> None:
        try:
            status, etype = parse_filter(event.value)
        except UnknownStatus as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return  # the box stays open with what was typed, to be corrected
        event.input.display = False
        self.query_one(ItemTable).focus()
        self.set_filter(status, etype)

    # ---- navigation -------------------------------------------------------------------------
    def action_back(self) -> None:
        box = self.query_one("#filter-input", Input)
        table = self.query_one(ItemTable)
        if box.display:
            box.display = False
            table.focus()
        elif table.selected or table.all_matching:
            table.clear_selection()
            self._render_status()
        elif self.status or self.error_type:
            self.set_filter(None, None)
        else:
            self.app.pop_screen()

    def action_inspect(self) -> None:
        item = self.query_one(ItemTable).current()
        if item is not None:
            self.app.open_item(item.id)

    def action_parent(self) -> None:
        batch = self.loaded.batch if self.loaded else None
        if batch is not None and batch.parent_id is not None:
            self.app.open_batch(batch.parent_id)
        else:
            self.notify("This batch has no parent (it is not a resubmission).")

    def action_child(self) -> None:
        children = self.loaded.children if self.loaded else []
        if not children:
            self.notify("No resubmissions of this batch yet.")
            return
        child = children[self._child_index % len(children)]
        self._child_index += 1
        self.app.open_batch(child.id)

    # ---- selection and actions -----------------------------------------------------------------
    def action_select(self) -> None:
        table = self.query_one(ItemTable)
        table.toggle_current()
        table.action_cursor(1)
        self._render_status()

    def action_select_all(self) -> None:
        table = self.query_one(ItemTable)
        table.all_matching = not table.all_matching
        table.selected.clear()
        table.refresh()
        self._render_status()

    def chosen_items(self) -> Any:
        """Selected item ids, a thread-side collector for select-all, or None (engine default)."""
        table = self.query_one(ItemTable)
        if table.all_matching:
            return partial(self._query().all_ids, table.total)
        return sorted(table.selected) or None

    @property
    def _inputs_unknown(self) -> bool:
        batch = self.loaded.batch if self.loaded else None
        return batch is not None and getattr(batch, "inputs", None) == "unknown"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("resubmit", "resubmit_all", "promote", "cancel_batch") and self.app.read_only:
            return False
        if action == "attach_inputs":
            return self._inputs_unknown
        return True

    def action_resubmit(self) -> None:
        self.app.actions.resubmit([self.batch_id], self.chosen_items())

    def action_resubmit_all(self) -> None:
        self.app.actions.resubmit([self.batch_id], self.chosen_items(), include_permanent=True)

    def action_promote(self) -> None:
        self.app.actions.promote([self.batch_id], self.chosen_items())

    def action_cancel_batch(self) -> None:
        self.app.actions.cancel([self.batch_id])

    def action_export(self) -> None:
        self.app.actions.export(self.batch_id)

    def action_attach_inputs(self) -> None:
        self.app.actions.attach(self.batch_id)

    def after_action(self) -> None:
        """An action changed the store: clear the selection and re-read now."""
        table = self.query_one(ItemTable)
        table.clear_selection()
        table.pages.clear()  # statuses changed under us; keep the cursor where it is
        self.load()
