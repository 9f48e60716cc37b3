"""One audit event in full: when (to the second, with its zone), who, what, and every detail.

Opened with enter from the audit log; details are the same words the log's row shows (money,
clock times, counts), one per line and never cut, followed by the raw JSON the store holds.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.format.times import fmt_stamp
from console.tui.audit_text import details_lines, is_operator_action
from console.tui.literal import literal, pretty_json
from store.model import Event


class AuditEventScreen(ModalScreen[None]):
    """A read-only view of `event`; esc (or enter, q) closes it."""

    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close", id="close")]

    def __init__(self, event: Event, *, utc: bool, now: float) -> None:
        super().__init__(classes="dialog-screen")
        self.event = event
        self.utc = utc
        self.now = now

    def compose(self) -> ComposeResult:
        e = self.event
        facts = Table(box=None, show_header=False, pad_edge=False)
        facts.add_column("field", style="bold", no_wrap=True)
        facts.add_column("value")
        facts.add_row("When", Text(fmt_stamp(e.at, utc=self.utc)))
        facts.add_row("Actor", literal(e.actor))
        kind = "operator action" if is_operator_action(e.action) else "routine (engine)"
        facts.add_row("Action", literal(e.action) + Text(f"  ({kind})", style="dim"))
        facts.add_row("Target", literal(f"#{e.target}" if str(e.target or "").isdigit() else e.target))
        for key, value in details_lines(e.details, utc=self.utc, now=self.now):
            facts.add_row(Text(key), Text(value))
        with VerticalScroll(classes="dialog audit-event"):
            yield Static(Text(f"Audit event {e.id}"), classes="dialog-title")
            yield Static(facts, classes="dialog-body")
            yield Static(Text("Stored as", style="bold"), classes="dialog-body")
            yield Static(pretty_json(_json(e.details), highlight=self.app.coloured), classes="dialog-body")
            yield Static(Text("esc closes"), classes="dialog-hint")


def _json(details: object) -> str:
    import json

    return json.dumps(details, ensure_ascii=False, default=str)
