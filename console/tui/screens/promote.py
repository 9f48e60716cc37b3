"""Promote to realtime: the number of items, each tier's cost and its difference from batch.

Dismisses with the chosen tier name, or None when the operator backs out. Unavailable tiers
are listed (so the operator knows they exist) but cannot be picked.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from console.format.numbers import fmt_money
from console.format.wording import plural
from console.tui.widgets.choice import Choice

TIER_WORDS = {
    "flex": "cheaper, slower, may be refused under load",
    "standard": "the usual realtime price",
    "priority": "fastest, premium price",
}


def tier_line(tier: str, cost: float | None, batch_cost: float | None, note: str = "") -> Text:
    """`flex      $0.42  (+$0.02 vs batch)  cheaper, slower…` — numbers in words, not colour."""
    line = Text(f"{tier:<9}{fmt_money(cost):>10}")
    if cost is not None and batch_cost is not None:
        line.append(f"  ({fmt_money(cost - batch_cost, signed=True)} vs batch)")
    elif cost is None:
        line.append("  (unpriced: cost unknown)")
    line.append(f"\n        {note or TIER_WORDS.get(tier, '')}", style="dim")
    return line


class PromoteScreen(ModalScreen[str | None]):
    """Pick a realtime tier for the items, seeing every tier's cost first.

    Args:
        title: e.g. "Promote 212 items of batch #14 to realtime".
        items: how many items would be sent.
        costs: (tier, cost, note, available) with "batch" first (the cost of waiting).
        default: the tier preselected (the engine's suggestion).
        notes: extra facts (items without a request body, tokens).
    """

    BINDINGS = [
        Binding("y", "confirm", "Promote", id="yes"),
        Binding("n,escape", "back", "Cancel", id="no"),
    ]

    def __init__(self, title: str, items: int, costs: list[tuple[str, float | None, str, bool]],
                 default: str, notes: list[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.items = items
        self.batch_cost = next((c for t, c, _, _ in costs if t == "batch"), None)
        self.tiers = [(t, c, n, a) for t, c, n, a in costs if t != "batch"]
        self.default = default
        self.notes = notes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text), classes="dialog-title")
            facts = Text(f"{plural(self.items, 'item')} will be sent to the realtime API now.\n")
            facts.append(f"Left in the batch they would cost {fmt_money(self.batch_cost)}.")
            for note in self.notes:
                facts.append(f"\n{note}")
            yield Static(facts, classes="dialog-body")
            yield Choice([(tier, tier_line(tier, cost, self.batch_cost,
                                           note if available else "not offered for this model"), available)
                          for tier, cost, note, available in self.tiers], self.default, id="tiers")
            yield Static(Text("Choose a tier with ↑/↓ (or 1-3), then y to promote; esc cancels."),
                         classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Promote (y)", id="yes", variant="warning")
                yield Button("Cancel (n/esc)", id="no")

    AUTO_FOCUS = "#tiers"

    def chosen(self) -> str | None:
        return self.query_one(Choice).value

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self.action_confirm()
        else:
            self.dismiss(None)

    def action_confirm(self) -> None:
        tier = self.chosen()
        if tier is None:
            self.notify("No realtime tier is available for these items.", severity="warning")
            return
        self.dismiss(tier)

    def action_back(self) -> None:
        self.dismiss(None)
