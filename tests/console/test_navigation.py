"""Pilot tests: select, filter, sort, needs-attention, drill in and back, help, palette."""

from __future__ import annotations

from console.tui.screens.batches import BatchesScreen
from console.tui.screens.detail import BatchDetailScreen
from console.tui.screens.help import HelpScreen
from console.tui.screens.inspector import ItemInspectorScreen
from console.tui.widgets.batch_table import BatchTable
from console.tui.widgets.item_table import ItemTable
from tests.console.support import SIZE, make_app, press, screen_text, settle


def order(app) -> list[int]:
    return list(app.screen.query_one(BatchTable).order)


async def test_select_and_select_all(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await press(pilot, "space")
        assert len(screen.selected) == 1
        await press(pilot, "a")
        assert screen.selected == {b.id for b in screen.shown}
        assert "16 selected" in screen_text(app)
        await press(pilot, "escape")
        assert screen.selected == set()


async def test_filter_sort_attention(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "slash", *"status:completed", "enter")
        assert sorted(order(app)) == [1, 8, 10, 12, 14, 16]
        await press(pilot, "escape")
        assert len(order(app)) == 16
        await press(pilot, "s")  # expires soonest first
        assert app.screen.sort_key == "expires"
        assert order(app)[0] == 4  # embeddings-backfill: 1h 20m left
        assert "Expires ▲" in screen_text(app)
        await press(pilot, "S")
        assert order(app)[-1] == 4
        await press(pilot, "n")
        shown = set(order(app))
        assert {4, 7, 3, 1, 5}.issubset(shown) and 10 not in shown and 12 not in shown


async def test_drill_in_and_back(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        detail = app.screen
        assert isinstance(detail, BatchDetailScreen) and detail.batch_id == order_first(app)
        await press(pilot, "enter")
        assert isinstance(app.screen, ItemInspectorScreen)
        await press(pilot, "escape")
        assert app.screen is detail
        await press(pilot, "escape")
        assert isinstance(app.screen, BatchesScreen)


def order_first(app) -> int:
    return app.screen_stack[0].query_one(BatchTable).order[0]


async def test_detail_filters_and_lineage(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_batch(1)
        await settle(pilot)
        text = screen_text(app)
        assert "overloaded_error 38 (retryable)" in text and "invalid_request_error 4 (permanent)" in text
        assert "children #2" in text
        await press(pilot, "x")  # first error type
        table = app.screen.query_one(ItemTable)
        assert app.screen.error_type == "overloaded_error" and table.total == 38
        await press(pilot, "escape")  # clears the filter first
        assert table.total == 1200 and isinstance(app.screen, BatchDetailScreen)
        await press(pilot, "o")  # child #2
        assert app.screen.batch_id == 2
        await press(pilot, "u")  # back up to the parent
        assert app.screen.batch_id == 1


async def test_help_lists_screen_keys(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        described = {d for _, d, _ in app.screen.rows}
        assert {"Filter", "Sort", "Resubmit failures", "Promote", "Quit", "Savings"} <= described
        await press(pilot, "escape")
        assert isinstance(app.screen, BatchesScreen)


async def test_modes_by_key(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "2")
        assert app.current_mode == "savings" and "unpriced" in screen_text(app)
        await press(pilot, "3")
        assert app.current_mode == "audit" and "resubmit" in screen_text(app)
        await press(pilot, "escape")
        assert app.current_mode == "batches"


async def test_palette_lists_batches(app):
    from console.tui.palette import BatchdeckCommands

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        provider = BatchdeckCommands(app.screen)
        names = [name for name, _, _ in provider._commands()]
        assert "Savings" in names and "Promote to realtime" in names
        assert any(n.startswith("Open batch #4 embeddings-backfill") for n in names)


async def test_idle_refresh_writes_no_cells(app):
    """A tick that changes nothing repaints nothing (slow SSH links)."""
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(BatchTable)
        before = table.updates
        app.load_fleet()
        await settle(pilot)
        assert table.updates == before


async def test_strange_store_values_show_dash(store):
    store.set_batch_fields(3, label=None, model=None, expires_at=None, deadline=None)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_batch(3)
        await settle(pilot)
        assert "— · — ·" in screen_text(app)


async def test_a_mistyped_status_filter_is_named_and_the_filter_keys_still_work(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_batch(1)
        await settle(pilot)
        detail = app.screen
        await press(pilot, "slash", *"status:bogus", "enter")
        assert detail.status is None  # nothing filtered by a status that does not exist
        assert any("no item status 'bogus'" in str(n.message) for n in app._notifications)
        await press(pilot, "escape", "f")  # close the box; `f` steps from "all" as usual
        assert detail.status == "pending"
