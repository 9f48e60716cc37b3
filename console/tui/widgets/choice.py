"""Pick one of a few options with ↑/↓ (or its number); the choice is marked `●`, not only lit.

Textual's RadioButton shows on and off with the same glyph in two colours, which vanishes
under NO_COLOR or a monochrome theme; here the chosen line reads `▶ ● flex …` and the others
`  ○ standard …`, and unavailable ones say so.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Choice(Widget, can_focus=True):
    """Options as (name, label, enabled); `value` is the chosen name."""

    DEFAULT_CSS = """
    Choice { height: auto; padding: 0 1; margin-bottom: 1; background: $boost; }
    Choice:focus { background: $accent 15%; }
    """
    BINDINGS = [
        Binding("up,k", "move(-1)", "Previous", show=False),
        Binding("down,j", "move(1)", "Next", show=False),
        *[Binding(str(n), f"pick({n - 1})", show=False) for n in range(1, 10)],
    ]

    index: reactive[int] = reactive(0)

    class Changed(Message):
        def __init__(self, choice: Choice, value: str) -> None:
            super().__init__()
            self.choice = choice
            self.value = value

    def __init__(self, options: list[tuple[str, Text | str, bool]], default: str | None = None,
                 *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.options = options
        names = [name for name, _, enabled in options if enabled]
        start = default if default in names else (names[0] if names else None)
        self.set_reactive(Choice.index, next((i for i, o in enumerate(options) if o[0] == start), 0))

    @property
    def value(self) -> str | None:
        if not self.options or not self.options[self.index][2]:
            return None
        return self.options[self.index][0]

    def render(self) -> Text:
        text = Text()
        for i, (_name, label, enabled) in enumerate(self.options):
            if i:
                text.append("\n")
            chosen = i == self.index
            text.append(f"{'▶' if chosen else ' '} {'●' if chosen else '○'} {i + 1} ",
                        style="bold" if chosen else "")
            body = label if isinstance(label, Text) else Text(label)
            if not enabled:
                body = body.copy()
                body.stylize("dim")
            text.append_text(body)
        return text

    def _enabled(self, i: int) -> bool:
        return 0 <= i < len(self.options) and self.options[i][2]

    def action_move(self, step: int) -> None:
        i = self.index + step
        while 0 <= i < len(self.options) and not self._enabled(i):
            i += step
        if self._enabled(i):
            self.index = i

    def action_pick(self, i: int) -> None:
        if self._enabled(i):
            self.index = i

    def watch_index(self) -> None:
        if self.value is not None:
            self.post_message(self.Changed(self, self.value))
