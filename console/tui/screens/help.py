"""`?`: every key of the screen underneath, read from the live bindings (never a stale list)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEY_NAMES = {"slash": "/", "question_mark": "?", "space": "space", "escape": "esc",
             "enter": "enter", "ctrl+p": "ctrl+p", "pageup": "pgup", "pagedown": "pgdn"}


def key_label(key: str) -> str:
    return ",".join(KEY_NAMES.get(k.strip(), k.strip()) for k in key.split(","))


class HelpScreen(ModalScreen[None]):
    """Lists (key, what it does, available now?) for the screen it was opened over."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="close")]

    def __init__(self, rows: list[tuple[str, str, bool]], screen_name: str) -> None:
        super().__init__(classes="dialog-screen")
        self.rows = rows
        self.screen_name = screen_name

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        table.add_column("Key", no_wrap=True)
        table.add_column("Does")
        for key, description, enabled in self.rows:
            table.add_row(Text(key_label(key)), Text(description + ("" if enabled else "  (off here)")))
        with VerticalScroll(classes="dialog help"):
            yield Static(Text(f"Keys — {self.screen_name}"), classes="dialog-title")
            yield Static(table)
            yield Static(Text("esc closes this help"), classes="dialog-hint")


MOVES = [("↑/↓ j/k", "Move the cursor", True), ("pgup/pgdn", "Page up, down", True),
         ("home/end g/G", "Top, bottom", True)]
"""The same on every list (one grammar): one line each, so the Key column stays narrow."""
# Stock widget plumbing (focus cycling, horizontal cell moves, text copy) would bury the keys
# that matter; batchdeck's own screens, widgets and the app are listed in full.
_STOCK = {"focus_next", "focus_previous", "copy_text", "cursor_left", "cursor_right", "cursor_up",
          "cursor_down", "page_up", "page_down", "page_left", "page_right", "scroll_top",
          "scroll_bottom", "scroll_home", "scroll_end", "cursor(-1)", "cursor(1)", "page(-1)",
          "page(1)", "jump(0)", "jump(-1)", "command_palette", "help_quit", "maximize",
          "scroll_left", "scroll_right", "scroll_up", "scroll_down", "refused"}


def bindings_of(app: object) -> list[tuple[str, str, bool]]:
    """Every binding reachable from the focused widget up to the app, first key wins."""
    seen: dict[str, tuple[str, str, bool]] = {}
    for key, active in app.active_bindings.items():  # type: ignore[attr-defined]
        binding: Binding = active.binding
        if not binding.description or key in seen or binding.action.split(".")[-1] in _STOCK:
            continue
        seen[key] = (key, binding.description, bool(active.enabled))
    # Group by description so "up,k" style aliases read as one line.
    merged: dict[str, tuple[list[str], bool]] = {}
    for key, description, enabled in seen.values():
        keys, on = merged.setdefault(description, ([], enabled))
        keys.append(key)
    # The plain key first ("q,ctrl+c,ctrl+q"): it is the one the footer shows.
    rows = [(",".join(sorted(keys, key=len)), description, enabled)
            for description, (keys, enabled) in merged.items()]
    return [*MOVES, ("ctrl+p", "Command palette: screens, actions, go to batch #N", True), *rows]
