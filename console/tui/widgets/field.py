"""`Field`: the text input every batchdeck form and filter uses, safe for keys that arrive together.

Why not a stock `Input`: Textual hands each key to the focused widget's queue, and an Input
inserts printable keys there, at once; a key it *binds* (backspace, arrows, home, delete, enter)
is not handled there but bubbles back up through every parent's queue to the app, which only
then runs the binding. When one read from the terminal holds several keys (a slow SSH link,
tmux, a paste), the printable keys behind a backspace overtake it: `docx⌫s` became `docx` and
`ab←X` became `abX`. A Field resolves a bound key where it arrives, in the order typed.

It also hands on keys that were queued here after focus moved away (`abc⏎j`: the `j` belongs to
the table the enter went back to, not to the hidden box).
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class Field(Input):
    """An Input whose bound keys take effect in arrival order (see the module docstring)."""

    async def _on_key(self, event: events.Key) -> None:
        if self.app.focused is not self:
            # Focus moved on (enter, esc) while more keys of the same read were queued here:
            # send each back to the app, in order, to reach whatever has focus now.
            event.stop()
            event.prevent_default()
            if self.is_attached:
                self.app.post_message(events.Key(event.key, event.character))
            return
        if not event.is_printable and await self.app._check_bindings(event.key):
            # The same lookup the app does when the key bubbles up (focused widget first,
            # then its parents, the screen and the app), done now instead of later.
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)
