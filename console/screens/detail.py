"""Batch detail: fields, lineage, timeline, failures by type, and the virtualized items table.

A thread worker reads the header facts and the matching count once a second; the items table
reads only its visible pages (see widgets/item_table.py) and the same worker re-reads those
pages so that only rows whose values changed are repainted.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from console.messages import BatchLoaded, PagesLoaded
from console.screens.detail_text import failures_text, lineage_text, summary_text, timeline_text
from console.widgets.activity import ActivityBar
from console.widgets.item_table import PAGE, ItemTable, source_from
from console.screens.filter_box import filter_binding, open_filter_box
from store.model import ItemStatus

STATUS_CYCLE = (None, *(s.value for s in ItemStatus))


class BatchDetailScreen(Screen):
    """One batch; `batch_id` is the local id."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
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
        self.status: str | None = None
        self.error_type: str | None = None
        self.loaded: BatchLoaded | None = None
        self.generation = 0
        """Bumped on every filter change so a late worker result for the old filter is dropped."""
        self._child_index = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="top"):
            yield Static(Text(f"batch #{self.batch_id} — loading…"), id="summary")
            yield Static("", id="lineage")
            yield Static("", id="timeline")
            yield Static("", id="failures")
            yield Static("", id="item-status", classes="status-line")
            yield Input(placeholder="status:errored type:rate_limit_error  (enter applies, esc clears)",
                        id="filter-input", classes="filter")
        yield ItemTable(self.app.palette, id="items")
        yield ActivityBar()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter-input").display = False
        self.query_one(ItemTable).focus()
        self.load(first=True)
        if self.app.refresh_interval:
            self.set_interval(self.app.refresh_interval, self._tick)

    # ---- loading ------------------------------------------------------------------------
    def _page_source(self) -> Any:
        store, batch_id, status, etype = self.app.store, self.batch_id, self.status, self.error_type
        return source_from(
            lambda: store.count_items(batch_id, status=status, error_type=etype),
            lambda offset, limit: store.page_items(batch_id, offset=offset, limit=limit,
                                                   status=status, error_type=etype))

    def _tick(self) -> None:
        if not any(w.group == "detail" and w.is_running for w in self.workers):
            self.load()

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False,
          description="read batch detail")
    def load(self, first: bool = False) -> None:
        store, now, generation = self.app.store, self.app.clock.now(), self.generation
        batch = store.get_batch(self.batch_id)
        parent = store.get_batch(batch.parent_id) if batch and batch.parent_id else None
        children = store.children(self.batch_id) if batch else []
        history = store.status_history(self.batch_id) if batch else []
        groups = store.error_groups(self.batch_id) if batch else []
        matching = store.count_items(self.batch_id, status=self.status, error_type=self.error_type)
        pages: dict[int, list[Any]] = {}
        first_page = (store.page_items(self.batch_id, offset=0, limit=PAGE, status=self.status,
                                       error_type=self.error_type) if first and matching else None)
        if not first:
            for number in self._visible_pages:
                pages[number] = store.page_items(self.batch_id, offset=number * PAGE, limit=PAGE,
                                                 status=self.status, error_type=self.error_type)
        if get_current_worker().is_cancelled:
            return
        self.post_message(BatchLoaded(batch, parent, children, history, groups, matching, now,
                                      first_page))
        if pages:
            self.post_message(PagesLoaded(pages, generation))

    @property
    def _visible_pages(self) -> list[int]:
        return list(getattr(self, "_pages_on_screen", []))

    @on(BatchLoaded)
    def _loaded(self, message: BatchLoaded) -> None:
        first = self.loaded is None
        self.loaded = message
        table = self.query_one(ItemTable)
        if first:
            table.set_source(self._page_source(), total=message.matching, first_page=message.first_page)
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
        self._render_status()

    def _render_status(self) -> None:
        table = self.query_one(ItemTable)
        parts = [f"items: {table.total:,} shown",
                 f"status: {self.status or 'all'} (f)", f"error: {self.error_type or 'all'} (x)"]
        if table.all_matching:
            parts.append(f"all {table.total:,} matching selected")
        elif table.selected:
            parts.append(f"{len(table.selected):,} selected")
        self.query_one("#item-status", Static).update(Text(" · ".join(parts)))

    # ---- filters --------------------------------------------------------------------------
    def set_filter(self, status: str | None, error_type: str | None) -> None:
        self.status, self.error_type = status, error_type
        self.generation += 1
        table = self.query_one(ItemTable)
        table.selected.clear()
        table.set_source(self._page_source())
        self._pages_on_screen = table.visible_pages()
        self._render_status()

    def action_status_filter(self) -> None:
        nxt = STATUS_CYCLE[(STATUS_CYCLE.index(self.status) + 1) % len(STATUS_CYCLE)]
        self.set_filter(nxt, self.error_type)

    def action_error_filter(self) -> None:
        types = [None] + [g.error_type for g in (self.loaded.groups if self.loaded else [])]
        current = types.index(self.error_type) if self.error_type in types else 0
        self.set_filter(self.status, types[(current + 1) % len(types)])

    def action_filter(self) -> None:
        open_filter_box(self)

    @on(Input.Submitted, "#filter-input")
    def _filter_done(self, event: Input.Submitted) -> None:
        status = etype = None
        for word in event.value.split():
            key, _, value = word.partition(":")
            if key == "status" and value:
                status = value
            elif key in ("type", "error") and value:
                etype = value
            elif value == "" and key in STATUS_CYCLE:
                status = key
            else:
                etype = word
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
            store, batch_id, status, etype, total = (self.app.store, self.batch_id, self.status,
                                                     self.error_type, table.total)

            def collect() -> list[int]:
                ids: list[int] = []
                for offset in range(0, total, 1000):
                    ids += [i.id for i in store.page_items(batch_id, offset=offset, limit=1000,
                                                           status=status, error_type=etype)]
                return ids

            return collect
        return sorted(table.selected) or None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("resubmit", "resubmit_all", "promote", "cancel_batch") and self.app.read_only:
            return False
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

    def after_action(self) -> None:
        """An action changed the store: clear the selection and re-read now."""
        table = self.query_one(ItemTable)
        table.clear_selection()
        table.pages.clear()  # statuses changed under us; keep the cursor where it is
        self.load()
