"""Confirmation before anything that spends, cancels or writes: says what and what it costs.

Focus starts on the decline button ("Cancel", "Keep running") so a stray enter never spends
money; `y` confirms, `n`/esc cancels.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask one yes/no question. Dismisses with True only on an explicit yes.

    Args:
        title: the action, e.g. "Resubmit failures of batch #14".
        lines: what will happen, one fact per line (Text from the store is shown literally).
        cost: what it costs, in words ("about $0.42 through batch", "nothing").
        confirm: the button's verb ("Resubmit").
        decline: the other button ("Keep running" where the verb is itself "Cancel batch").
        danger: style the confirm button as destructive (cancel batch).
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="yes"),
        Binding("n,escape", "answer(False)", "No", id="no"),
    ]

    def __init__(self, title: str, lines: list[str | Text], *, cost: str, confirm: str,
                 decline: str = "Cancel", danger: bool = False) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.lines = lines
        self.cost = cost
        self.confirm = confirm
        self.decline = decline
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text), classes="dialog-title")
            body = Text()
            for line in self.lines:
                if body:
                    body.append("\n")
                body.append_text(line if isinstance(line, Text) else Text(line))
            yield Static(body, classes="dialog-body")
            yield Static(Text(f"Cost: {self.cost}", style="bold"), classes="dialog-cost")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.confirm} (y)", id="yes",
                             variant="error" if self.danger else "primary")
                yield Button(f"{self.decline} (n/esc)", id="no")

    AUTO_FOCUS = "#no"

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
