"""Audit log: every operator action, newest first, filterable by free text and action."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from console.clock import fmt_clock
from console.literal import compact_json, literal
from console.messages import EventsLoaded
from console.widgets.activity import ActivityBar
from console.screens.filter_box import filter_binding, open_filter_box

LIMIT = 500


class AuditScreen(Screen):
    """The store's append-only event log."""

    BINDINGS = [
        filter_binding(),
        Binding("escape", "back", "Back / clear", id="back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.shown: list[int] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="audit-status", classes="status-line")
        yield Input(placeholder="filter: any text in action, actor, target or details (enter applies)",
                    id="filter-input", classes="filter")
        yield DataTable(id="audit", cursor_type="row")
        yield ActivityBar()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter-input").display = False
        table = self.query_one(DataTable)
        for key, label, width in (("at", "When", 12), ("actor", "Actor", 18), ("action", "Action", 14),
                                  ("target", "Target", 10), ("details", "Details", 60)):
            table.add_column(label, key=key, width=width)
        table.focus()
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
        table = self.query_one(DataTable)
        ids = [e.id for e in message.events]
        app = self.app
        if ids != self.shown:  # events are append-only: new ones go on top, rows never change
            table.clear()
            now = app.clock.now()
            for e in message.events:
                table.add_row(Text(fmt_clock(e.at, utc=app.utc, now=now)), literal(e.actor),
                              literal(e.action), literal(e.target), Text(compact_json(e.details)),
                              key=str(e.id))
            self.shown = ids
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
        self.query_one(DataTable).focus()
        self.load()

    def action_back(self) -> None:
        if self.text:
            self.text = ""
            box = self.query_one("#filter-input", Input)
            box.value, box.display = "", False
            self.query_one(DataTable).focus()
            self.load()
        else:
            self.app.switch_mode("batches")
