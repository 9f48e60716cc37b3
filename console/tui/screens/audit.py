"""Audit log: every operator action, newest first, filterable by free text and action."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static

from console.tui.messages import EventsLoaded
from console.tui.screens.filter_box import filter_binding, open_filter_box
from console.tui.widgets.activity import ActivityBar
from console.tui.widgets.audit_table import AuditTable, event_cells
from console.tui.widgets.field import Field
from console.tui.widgets.keys_footer import KeysFooter

LIMIT = 500


class AuditScreen(Screen):
    """The store's append-only event log."""

    help_title = "Audit log"

    BINDINGS = [
        filter_binding(),
        Binding("escape", "back", "Back / clear", id="back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.text = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="audit-status", classes="status-line")
        yield Field(placeholder="filter: any text in action, actor, target or details (enter applies)",
                    id="filter-input", classes="filter")
        yield AuditTable(id="audit")
        yield ActivityBar()
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#filter-input").display = False
        self.query_one(AuditTable).focus()
        self.load()
        if self.app.refresh_interval:
            self.set_interval(self.app.refresh_interval * 2, self._tick)

    def on_screen_resume(self) -> None:
        self.load()

    def _tick(self) -> None:
        if not any(w.is_running for w in self.workers):
            self.load()

    @work(thread=True, exclusive=True, group="audit", exit_on_error=False, description="read audit log")
    def load(self) -> None:
        self.post_message(EventsLoaded(self.app.store.events(limit=LIMIT, text=self.text or None)))

    @on(EventsLoaded)
    def _loaded(self, message: EventsLoaded) -> None:
        table = self.query_one(AuditTable)
        ids = [e.id for e in message.events]
        app = self.app
        if ids != table.order:  # events are append-only: an unchanged list is an unchanged table
            now = app.clock.now()
            table.show([(e.id, event_cells(e, utc=app.utc, now=now)) for e in message.events])
        parts = [f"{len(ids)} events, newest first" + (" (most recent 500)" if len(ids) >= LIMIT else "")]
        if self.text:
            parts.append(f"filter: {self.text}")
        self.query_one("#audit-status", Static).update(Text(" · ".join(parts)))

    def action_filter(self) -> None:
        open_filter_box(self, self.text)

    @on(Input.Submitted, "#filter-input")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.text = event.value.strip()
        event.input.display = bool(self.text)
        self.query_one(AuditTable).focus()
        self.load()

    def action_back(self) -> None:
        if self.text:
            self.text = ""
            box = self.query_one("#filter-input", Input)
            box.value, box.display = "", False
            self.query_one(AuditTable).focus()
            self.load()
        else:
            self.app.switch_mode("batches")
