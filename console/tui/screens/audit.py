"""Audit log: every event, newest first; a live text filter, operator actions only (o), enter
opens one event in full."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from console.format.numbers import fmt_int
from console.tui.audit_text import is_operator_action
from console.tui.messages import EventsLoaded
from console.tui.screens.audit_event import AuditEventScreen
from console.tui.screens.filter_box import filter_binding, open_filter_box
from console.tui.widgets.activity import ActivityBar
from console.tui.widgets.audit_table import AuditTable, event_cells
from console.tui.widgets.field import Field
from console.tui.widgets.keys_footer import KeysFooter
from store.model import Event

LIMIT = 500


class AuditScreen(Screen):
    """The store's append-only event log."""

    help_title = "Audit log"

    BINDINGS = [
        Binding("enter", "open", "Open event", id="open"),
        filter_binding(),
        Binding("o", "operator_only", "Operator actions only", id="operator_only"),
        Binding("escape", "back", "Back / clear", id="back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.operator_only = False
        """Hide the engine's routine events (sync, ingest, reconcile) that crowd out people's."""
        self.events: dict[int, Event] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="audit-status", classes="status-line")
        yield Field(placeholder="filter as you type: action, actor, target or details (esc clears)",
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
        text, operator_only = self.text or None, self.operator_only
        # Routine events can outnumber people's a hundred to one: read further back for them.
        events = self.app.store.events(limit=LIMIT * (20 if operator_only else 1), text=text)
        if operator_only:
            events = [e for e in events if is_operator_action(e.action)][:LIMIT]
        if not get_current_worker().is_cancelled:
            self.post_message(EventsLoaded(events))

    @on(EventsLoaded)
    def _loaded(self, message: EventsLoaded) -> None:
        table = self.query_one(AuditTable)
        self.events = {e.id: e for e in message.events}
        ids = [e.id for e in message.events]
        app = self.app
        if ids != table.order:  # events are append-only: an unchanged list is an unchanged table
            now = app.clock.now()
            table.show([(e.id, event_cells(e, utc=app.utc, now=now)) for e in message.events])
        parts = [f"{fmt_int(len(ids))} events, newest first" + (" (most recent 500)" if len(ids) >= LIMIT else "")]
        if self.operator_only:
            parts.append("operator actions only (o shows all)")
        if self.text:
            parts.append(f"filter: {self.text}")
        self.query_one("#audit-status", Static).update(Text(" · ".join(parts)))

    def action_filter(self) -> None:
        open_filter_box(self, self.text)

    @on(Input.Changed, "#filter-input")
    def _filter_live(self, event: Input.Changed) -> None:
        # Live, like the batch filter: each change re-reads (exclusive workers drop stale reads).
        self.text = event.value.strip()
        self.load()

    @on(Input.Submitted, "#filter-input")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.text = event.value.strip()
        event.input.display = bool(self.text)
        self.query_one(AuditTable).focus()
        self.load()

    def action_operator_only(self) -> None:
        self.operator_only = not self.operator_only
        self.load()

    def action_open(self) -> None:
        event_id = self.query_one(AuditTable).current_id()
        event = self.events.get(event_id) if event_id is not None else None
        if event is not None:
            self.app.push_screen(AuditEventScreen(event, utc=self.app.utc, now=self.app.clock.now()))

    @on(DataTable.RowSelected)
    def _row_chosen(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_back(self) -> None:
        box = self.query_one("#filter-input", Input)
        if self.text or box.display:
            self.text = ""
            box.value, box.display = "", False
            self.query_one(AuditTable).focus()
            self.load()
        else:
            self.app.switch_mode("batches")
