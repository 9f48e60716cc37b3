"""Keys that arrive in one read (a slow SSH link, a paste) land where the operator meant them."""

from __future__ import annotations

import time
from pathlib import Path

from textual import constants, events
from textual.widgets import Input

from console.tui.app import BatchdeckApp
from console.tui.clock import DEMO_NOW, Clock
from console.tui.esc_burst import OPTION_DIGITS
from console.tui.screens.audit import AuditScreen
from console.tui.screens.batches import BatchesScreen
from console.tui.screens.confirm import ConfirmScreen
from console.tui.screens.detail import BatchDetailScreen
from console.tui.screens.inspector import ItemInspectorScreen
from console.tui.screens.savings import SavingsScreen
from console.tui.widgets.batch_table import BatchTable
from tests.console.support import SIZE, screen_text, settle


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
    """One write to the terminal: parse it all, then deliver every event at once.

    A write that ends where an escape sequence could still go on (a lone ESC, ESC and one
    key) is finished by the parser's timeout, which the driver's input loop checks (`tick`)
    while no bytes come; this waits that long and ticks, as the driver would."""
    from textual._xterm_parser import XTermParser

    parser = XTermParser()
    parsed = [*parser.feed(data)]
    if "\x1b" in data:
        time.sleep(constants.ESCAPE_DELAY + 0.01)
    parsed += [*parser.tick()]
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


# ---- an esc and the next key in one read (console/tui/esc_burst.py) ---------------------------
# The parser reads ESC + `j` as alt+j (ESC + `3` as "£"): without the app reading such a key
# back as esc then `j`, the esc was lost and the `j` went to the screen the esc should have left.
ESC = "\x1b"


async def open_first_batch(pilot) -> BatchTable:
    await settle(pilot)
    table = pilot.app.screen.query_one(BatchTable)
    await typed(pilot, ENTER)
    assert isinstance(pilot.app.screen, BatchDetailScreen)
    return table


async def test_esc_then_j_from_batch_detail_goes_back_and_moves_the_list_cursor(app):
    async with app.run_test(size=SIZE) as pilot:
        table = await open_first_batch(pilot)
        await typed(pilot, ESC + "j")
        assert isinstance(app.screen, BatchesScreen) and app.focused is table
        assert table.cursor_row == 1


async def test_esc_then_shift_g_from_batch_detail_goes_back_to_the_last_row(app):
    async with app.run_test(size=SIZE) as pilot:
        table = await open_first_batch(pilot)
        await typed(pilot, ESC + "G")
        assert isinstance(app.screen, BatchesScreen)
        assert table.cursor_row == table.row_count - 1


async def test_esc_then_2_from_batch_detail_goes_to_the_screen_the_footer_names(app):
    async with app.run_test(size=(200, 32)) as pilot:  # wide enough for the whole footer
        await open_first_batch(pilot)
        footer = screen_text(app).rstrip("\n").splitlines()[-1]
        assert "2 Savings" in footer, footer
        await typed(pilot, ESC + "2")  # the parser reads these bytes as "™"
        assert isinstance(app.screen, SavingsScreen)
        await typed(pilot, ESC + "3")  # "£"
        assert isinstance(app.screen, AuditScreen)


async def test_esc_j_esc_j_from_the_inspector_walks_back_twice(app):
    async with app.run_test(size=SIZE) as pilot:
        table = await open_first_batch(pilot)
        await typed(pilot, ENTER)
        assert isinstance(app.screen, ItemInspectorScreen)
        # ESC j ESC in one read: the parser shows the first ESC as "^" (caret notation).
        await typed(pilot, ESC + "j" + ESC + "j")
        assert isinstance(app.screen, BatchesScreen) and table.cursor_row == 1


async def test_esc_then_j_in_the_filter_box_closes_it_and_moves_the_cursor(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(BatchTable)
        box = app.screen.query_one("#filter-input", Input)
        await typed(pilot, "/")
        await typed(pilot, "abc" + ESC + "j")
        # As esc alone does in the batch filter: the box closes, emptied, and the table has focus.
        assert not box.display and box.value == ""
        assert app.focused is table and table.cursor_row == 1


async def test_esc_then_q_in_a_dialog_closes_it_then_q_quits(app, store):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_batch(5)  # doc-summaries: failures to resubmit
        await settle(pilot)
        await typed(pilot, "r")
        for _ in range(200):
            if isinstance(app.screen, ConfirmScreen):
                break
            await pilot.pause(0.02)
        assert isinstance(app.screen, ConfirmScreen)
        await typed(pilot, ESC + "q")
        assert not isinstance(app.screen, ConfirmScreen)
        assert app._exit  # q on the detail screen below quits
    assert store.children(5) == []  # the dialog was declined, not confirmed
    assert [e.action for e in store.events(limit=1)] == ["resubmit.declined"]


async def test_esc_then_q_in_a_form_field_closes_the_form_then_q_quits(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await typed(pilot, "t")
        field = app.screen.query_one("#batch-id", Input)
        await typed(pilot, "batch_x" + ESC + "q")
        assert field.value == "batch_x"  # the q was not typed into the field
        assert app._exit


async def test_a_lone_esc_and_esc_esc_still_go_back_once_each(app):
    async with app.run_test(size=SIZE) as pilot:
        table = await open_first_batch(pilot)
        await typed(pilot, ENTER)
        await typed(pilot, ESC)
        assert isinstance(app.screen, BatchDetailScreen)
        await typed(pilot, ENTER)
        await typed(pilot, ESC + ESC)  # inspector, detail, list
        assert isinstance(app.screen, BatchesScreen) and table.cursor_row == 0
        await typed(pilot, ENTER + ENTER)
        await typed(pilot, ESC + ESC + "j")  # esc, then esc j: back twice, then j
        assert isinstance(app.screen, BatchesScreen) and table.cursor_row == 1


async def test_a_pound_sign_in_a_text_field_is_text(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        box = app.screen.query_one("#filter-input", Input)
        await typed(pilot, "/£5^")  # typed on a UK keyboard
        assert box.value == "£5^" and box.display


async def test_an_alt_key_a_binding_names_is_left_as_alt(store):
    from textual.binding import Binding

    import console.tui.app as app_module

    class WithAlt(BatchdeckApp):
        CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))
        BINDINGS = [Binding("alt+j", "note('alt+j')", "Note")]
        noted: list[str] = []

        def action_note(self, what: str) -> None:
            self.noted.append(what)

    app = WithAlt(store, clock=Clock(DEMO_NOW), utc=True, refresh_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(BatchTable)
        await typed(pilot, ESC + "j")
        assert app.noted == ["alt+j"] and table.cursor_row == 0


def test_the_option_digit_table_is_the_parsers():
    from textual._xterm_parser import XTermParser

    for digit in "0123456789":
        parser = XTermParser()
        [key] = parser.feed(ESC + digit)
        assert OPTION_DIGITS[key.character] == digit
