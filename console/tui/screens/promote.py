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


NOTE_WIDTH = 60
"""A tier's note longer than this would wrap inside an 80-column dialog: its short words instead."""


def tier_line(tier: str, cost: float | None, batch_cost: float | None, note: str = "",
              ceiling: str | None = None) -> Text:
    """`flex     expected $0.42 (+$0.02 vs batch), ceiling $0.90` over the tier's note: both
    figures named, numbers in words, not colour. `ceiling`: the bound in words ("$0.90",
    "none", "unpriced"); None leaves it out."""
    if cost is None:
        line = Text(f"{tier:<9}expected unpriced (cost unknown)")
    else:
        line = Text(f"{tier:<9}expected {fmt_money(cost)}")
        if batch_cost is not None:
            line.append(f" ({fmt_money(cost - batch_cost, signed=True)} vs batch)")
    if ceiling is not None:
        line.append(f", ceiling {ceiling}")
    words = note if note and len(note) <= NOTE_WIDTH else TIER_WORDS.get(tier, note)
    line.append(f"\n        {words}", style="dim")
    return line


class PromoteScreen(ModalScreen[str | None]):
    """Pick a realtime tier for the items, seeing every tier's cost first.

    Args:
        title: e.g. "Promote 212 items of batch #14 to realtime".
        items: how many items would be sent.
        costs: (tier, cost, note, available) with "batch" first (the cost of waiting); `cost`
            is the expected cost.
        default: the tier preselected (the engine's suggestion).
        notes: extra facts (items without a request body, tokens).
        ceilings: tier -> its ceiling in words ("$0.90", "none", "unpriced"), shown beside the
            expected cost so whichever tier is picked shows both figures.
    """

    BINDINGS = [
        Binding("y", "confirm", "Promote", id="yes"),
        Binding("n,escape", "back", "Cancel", id="no"),
    ]

    def __init__(self, title: str, items: int, costs: list[tuple[str, float | None, str, bool]],
                 default: str, notes: list[str], ceilings: dict[str, str] | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.ceilings = ceilings or {}
        self.title_text = title
        self.items = items
        self.batch_cost = next((c for t, c, _, _ in costs if t == "batch"), None)
        self.tiers = [(t, c, n, a) for t, c, n, a in costs if t != "batch"]
        self.default = default
        self.notes = notes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text), classes="dialog-title")
            # One line each where it can be: the dialog must keep its buttons at 80x24.
            facts = Text(f"{plural(self.items, 'item')} {'goes' if self.items == 1 else 'go'} to realtime now; "
                         f"left in the batch, expected {fmt_money(self.batch_cost)}.")
            for note in self.notes:
                facts.append(f"\n{note}")
            yield Static(facts, classes="dialog-body")
            yield Choice([(tier, tier_line(tier, cost, self.batch_cost,
                                           note if available else "not offered for this model",
                                           self.ceilings.get(tier)), available)
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
