"""One navigation grammar on every screen: j/k g/G home/end, 1/2/3 jump, esc back, ctrl+c quits."""

from __future__ import annotations

import pytest

from console.tui.screens.audit import AuditScreen
from console.tui.screens.batches import BatchesScreen
from console.tui.screens.help import HelpScreen
from console.tui.screens.savings import SavingsScreen
from console.tui.widgets.audit_table import AuditTable
from console.tui.widgets.batch_table import BatchTable
from tests.console.support import SIZE, press, screen_text, settle


async def test_the_batch_list_moves_with_j_k_g_G_home_end(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(BatchTable)
        last = table.row_count - 1
        await press(pilot, "j", "j")
        assert table.cursor_row == 2
        await press(pilot, "k")
        assert table.cursor_row == 1
        await press(pilot, "G")
        assert table.cursor_row == last
        await press(pilot, "g")
        assert table.cursor_row == 0
        await press(pilot, "end")
        assert table.cursor_row == last
        await press(pilot, "home")
        assert table.cursor_row == 0


async def test_the_audit_log_moves_with_the_same_keys(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        table = app.screen.query_one(AuditTable)
        await press(pilot, "j", "G")
        assert table.cursor_row == table.row_count - 1
        await press(pilot, "home")
        assert table.cursor_row == 0


async def test_1_2_3_jump_to_the_screen_from_detail_and_inspector(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "enter")  # batch detail
        await press(pilot, "1")
        assert isinstance(app.screen, BatchesScreen) and len(app.screen_stack) == 1
        await press(pilot, "enter", "enter")  # detail, then the inspector
        await press(pilot, "3")
        assert isinstance(app.screen, AuditScreen)
        await press(pilot, "1")  # Batches itself, not the inspector left open there
        assert isinstance(app.screen, BatchesScreen) and len(app.screen_stack) == 1
        await press(pilot, "enter", "2")
        assert isinstance(app.screen, SavingsScreen)
        await press(pilot, "1")
        assert isinstance(app.screen, BatchesScreen) and len(app.screen_stack) == 1


async def test_ctrl_c_quits_like_q_even_from_a_text_field(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "a", "ctrl+c")
        await pilot.pause()
        assert app._exit
        assert not [n for n in app._notifications if "[b]" in str(n.message)]


@pytest.mark.parametrize(("keys", "title"), [((), "Batches"), (("enter",), "Batch #"),
                                             (("enter", "enter"), "Item inspector"),
                                             (("2",), "Savings"), (("3",), "Audit log")])
async def test_help_has_a_human_title_and_only_keys_that_act(app, keys, title):
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await press(pilot, *keys, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert f"Keys — {title}" in text
        assert "Screen" not in text.split("Keys — ")[1].splitlines()[0]
        described = {d for _, d, _ in app.screen.rows}
        assert not {"Scroll Left", "Scroll Right", "Scroll Up", "Scroll Down"} & described
        if keys in ((), ("enter",)):
            assert ("R", "Resubmit incl. permanent") in {(k, d) for k, d, _ in app.screen.rows}
        if not keys:
            assert ("enter", "Open") in {(k, d) for k, d, _ in app.screen.rows}


async def test_the_savings_table_moves_with_j_k_home_end_and_g_still_groups(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "2")
        table = app.screen.query_one("#savings")
        await press(pilot, "j")
        assert table.cursor_row == 1
        await press(pilot, "end")
        assert table.cursor_row == table.row_count - 1
        await press(pilot, "home")
        assert table.cursor_row == 0
        await press(pilot, "g")
        assert app.screen.by == "model"
