"""Keys that arrive in one read (a slow SSH link, a paste) land where the operator meant them."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from console.tui.widgets.batch_table import BatchTable
from tests.console.support import SIZE, settle


def burst(app, text: str) -> None:
    """Queue every key at once, as the driver does when they come in a single read."""
    for ch in text:
        key = "slash" if ch == "/" else ch
        app.post_message(events.Key(key, ch))


async def test_a_filter_typed_in_one_burst_goes_into_the_filter_box(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sort_before = app.screen.sort_key
        burst(app, "/support")
        await settle(pilot)
        box = app.screen.query_one("#filter-input", Input)
        assert box.value == "support"
        # None of the letters ran a table binding on the way (`s` would have changed the sort).
        assert app.screen.sort_key == sort_before
        assert app.screen.query_one(BatchTable).order


async def test_a_slash_typed_inside_the_filter_box_is_text(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, "/a/b")
        await settle(pilot)
        assert app.screen.query_one("#filter-input", Input).value == "a/b"
