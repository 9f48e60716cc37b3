"""`Field`: the text input every batchdeck form and filter uses, safe for keys that arrive together.

Why not a stock `Input`: Textual hands each key to the focused widget's queue, and an Input
inserts printable keys there, at once; a key it *binds* (backspace, arrows, home, delete, enter)
is not handled there but bubbles back up through every parent's queue to the app, which only
then runs the binding. When one read from the terminal holds several keys (a slow SSH link,
tmux, a paste), the printable keys behind a backspace overtake it: `docx⌫s` became `docx` and
`ab←X` became `abX`. A Field resolves a bound key where it arrives, in the order typed.

Keys that follow an enter or esc in the same read belong to whatever gets focus next (`abc⏎j`:
the `j` moves the table's cursor), but that focus change happens a few message hops later. So
after such a key the Field holds the rest, re-queueing each behind the pending work until focus
has moved (then they go to the app, in order) or, if it stays (a refused filter keeps the box
open), types them as usual. An esc read together with the next key (which the parser reports as
one key, alt+j) gets here as the two keys: the app splits it first (console/tui/esc_burst.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual import events
from textual.message import Message
from textual.widgets import Input

SETTLING_KEYS = frozenset({"enter", "escape", "tab", "shift+tab"})
"""Keys whose bindings may move focus; keys behind them wait to see where it lands."""
MAX_HOPS = 12
"""Re-queues a held key waits for focus to move (a submit reaches the screen in about four)."""


class Field(Input):
    """An Input whose bound keys take effect in arrival order (see the module docstring)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._settling = False
        """An enter/esc just ran here: later keys of the burst wait for focus to settle."""
        self._hops: dict[int, int] = {}
        """Re-queued key event (by id) -> how many times it has waited."""

    async def _on_key(self, event: events.Key) -> None:
        hops = self._hops.pop(id(event), 0)
        if self.app.focused is not self:
            # Focus moved on while more keys of the same read were queued here: send each
            # back to the app, in order, to reach whatever has focus now.
            self._settling = False
            self._pass_on(event, self.app.post_message)
            return
        if self._settling and hops < MAX_HOPS:
            # Give the other message pumps a turn (a queue that is never empty never yields),
            # then wait behind the Submitted message the enter queued here.
            await asyncio.sleep(0)
            self._pass_on(event, self.post_message, hops + 1)
            return
        self._settling = False
        if not event.is_printable and await self.app._check_bindings(event.key):
            # The same lookup the app does when the key bubbles up (focused widget first,
            # then its parents, the screen and the app), done now instead of later.
            event.stop()
            event.prevent_default()
            self._settling = event.key in SETTLING_KEYS
            return
        await super()._on_key(event)

    def _pass_on(self, event: events.Key, post: Callable[[Message], bool], hops: int = 0) -> None:
        event.stop()
        event.prevent_default()
        if not self.is_attached:
            return
        again = events.Key(event.key, event.character)
        if hops:
            self._hops[id(again)] = hops
        post(again)
