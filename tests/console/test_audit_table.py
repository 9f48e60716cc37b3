"""The audit log updates in place: new events go on top and the cursor stays on its event."""

from __future__ import annotations

import pytest

from console.tui.clock import DEMO_NOW
from console.tui.widgets.audit_table import AuditTable
from tests.console.support import SIZE, TESTER, press, screen_text, settle


def top_to_bottom(table: AuditTable) -> list[str]:
    """Event ids in the order the table draws them (not the order it was told)."""
    return [table.coordinate_to_cell_key((row, 0)).row_key.value for row in range(table.row_count)]


async def test_a_new_event_appears_on_top_and_the_cursor_keeps_its_event(app, store, monkeypatch):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        table = app.screen.query_one(AuditTable)
        before = [e.id for e in store.events(limit=500)]
        assert table.order == before and len(before) == 10
        await press(pilot, "down", "down")
        reading = table.current_id()
        assert table.cursor_row == 2 and reading == before[2]
        monkeypatch.setattr(table, "clear", lambda *a, **k: pytest.fail("the table was cleared"))

        new_id = store.append_event("cancel", "99", {"reason": "pilot test"}, actor=TESTER,
                                    now=DEMO_NOW + 60)
        app.screen.load()  # what the refresh tick does (ticks are off in tests)
        await settle(pilot)

        assert top_to_bottom(table) == [str(i) for i in [new_id, *before]]
        assert table.current_id() == reading and table.cursor_row == 3
        assert "pilot test" in screen_text(app)
        assert "11 events, newest first" in screen_text(app)


async def test_filtering_and_clearing_keeps_newest_first_and_the_cursor(app, store):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        table = app.screen.query_one(AuditTable)
        everything = [str(e.id) for e in store.events(limit=500)]
        await press(pilot, "slash", *"resubmit", "enter")
        narrowed = [str(e.id) for e in store.events(limit=500, text="resubmit")]
        assert 0 < len(narrowed) < len(everything) and top_to_bottom(table) == narrowed
        await press(pilot, "end")
        reading = table.current_id()
        await press(pilot, "escape")  # clears the filter: the other events come back in between
        assert top_to_bottom(table) == everything
        assert table.current_id() == reading

