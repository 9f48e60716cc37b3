"""The `/` filter box every list screen shares.

Over a slow SSH link `/sup` often arrives in one read. Textual forwards each key to whatever
is focused when the key is dispatched, so with an ordinary binding `s`, `u`, `p` reach the
table (and run its bindings) before the `/` action has moved focus. A priority binding runs
while `/` itself is dispatched, so focus is in the box before the next key is forwarded.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

FILTER_BOX_ID = "filter-input"


def filter_binding(*, show: bool = True) -> Binding:
    return Binding("slash", "filter", "Filter", show=show, id="filter", priority=True)


def open_filter_box(screen: Screen, value: str | None = None) -> Input:
    """Show and focus the screen's filter box; a `/` typed inside it is just text."""
    box = screen.query_one(f"#{FILTER_BOX_ID}", Input)
    if screen.focused is box:
        # Queue it behind the keys the box has not handled yet, so "a/b" stays in order.
        box.post_message(events.Key("slash", "/"))
        return box
    box.display = True
    if value is not None:
        box.value = value
    screen.set_focus(box)
    return box
