"""The footer every screen shows, with `? Keys` and `q Quit` pinned to its right end.

Textual's Footer lists keys in binding order (the focused widget's first, the app's last) and
cuts the row where the terminal ends, so at 80 columns the two keys an operator needs most
(how to get help, how to leave) were the ones cut. Here they (and ctrl+p) sit in a group docked
right, and the screen's own keys fill the space that is left.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PINNED_ACTIONS = ("help", "quit")
"""Actions whose keys are always visible, in this order after the palette key."""


class KeysFooter(Footer):
    """A Footer whose help, quit and palette keys never scroll off the right edge."""

    def __init__(self) -> None:
        super().__init__(compact=True)

    def compose(self) -> ComposeResult:
        pinned: list[FooterKey] = []
        for widget in super().compose():
            if isinstance(widget, FooterKey) and (widget.action in PINNED_ACTIONS
                                                  or widget.has_class("-command-palette")):
                widget.remove_class("-command-palette")
                pinned.append(widget)
            else:
                yield widget
        if pinned:
            pinned.sort(key=lambda k: PINNED_ACTIONS.index(k.action) if k.action in PINNED_ACTIONS else -1)
            yield HorizontalGroup(*pinned, classes="footer-pinned")
