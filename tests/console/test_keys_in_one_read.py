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


# ---- through the real driver path -------------------------------------------------------------
# The tests above queue Key events by hand. These write raw terminal bytes into the same
# XTermParser the Linux driver reads stdin with, and hand each parsed event to the app's driver
# (`process_message`, as the driver's input thread does), so every key of one write arrives
# before the first is handled: the case a slow SSH link or a paste produces.

BACKSPACE, LEFT, END, ENTER = "\x7f", "\x1b[D", "\x1b[F", "\r"


def paste(text: str) -> str:
    return f"\x1b[200~{text}\x1b[201~"


def write(app, data: str) -> None:
    """One write to the terminal: parse it all, then deliver every event at once."""
    from textual._xterm_parser import XTermParser

    parser = XTermParser()
    parsed = [*parser.feed(data), *parser.tick()]
    for event in parsed:
        app._driver.process_message(event)


async def typed(pilot, data: str) -> None:
    write(pilot.app, data)
    await settle(pilot)


async def test_burst_with_backspace_arrows_and_paste_lands_as_typed_in_the_batch_filter(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        box = app.screen.query_one("#filter-input", Input)
        await typed(pilot, "/docx" + BACKSPACE + "s")
        assert box.value == "docs"
        box.value = ""
        await typed(pilot, "supp" + BACKSPACE * 4 + "openai")
        assert box.value == "openai"
        box.value = ""
        await typed(pilot, "ab" + LEFT + "X")
        assert box.value == "aXb"
        box.value = ""
        await typed(pilot, "a" + paste("night ly") + BACKSPACE + "y" + LEFT * 3 + "Z")
        assert box.value == "anightZ ly"


async def test_keys_after_enter_in_the_same_read_go_to_the_table_not_the_hidden_box(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(BatchTable)
        await typed(pilot, "/a" + BACKSPACE + ENTER + "jj")
        box = app.screen.query_one("#filter-input", Input)
        assert box.value == "" and not box.display
        assert app.focused is table
        assert table.cursor_row == 2


async def test_burst_in_the_detail_and_audit_filters(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await typed(pilot, ENTER)  # open the first batch
        await typed(pilot, "/status:errorx" + BACKSPACE + "ed" + LEFT * 2 + BACKSPACE + "r")
        assert app.screen.query_one("#filter-input", Input).value == "status:errored"
        await pilot.press("escape")  # a lone ESC byte waits for the parser's timeout
        await typed(pilot, "3")
        await typed(pilot, "/synx" + BACKSPACE + "c")
        assert app.screen.query_one("#filter-input", Input).value == "sync"


async def test_burst_in_the_track_id_and_export_path_fields(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await typed(pilot, "t")
        await typed(pilot, "batch_abd" + BACKSPACE + "c" + LEFT * 3 + "X")
        assert app.screen.query_one("#batch-id", Input).value == "batch_Xabc"
        await pilot.press("escape")
        await settle(pilot)
        await typed(pilot, "e")
        path = app.screen.query_one("#path", Input)
        before = path.value
        await typed(pilot, END + "x" + BACKSPACE * 2 + "Q")
        assert path.value == before[:-1] + "Q"
