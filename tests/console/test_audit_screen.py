"""The audit log reads like the rest of the console: words not raw floats, full width, live
filter, an operator-actions toggle, and enter opens one event in full."""

from __future__ import annotations

from console.tui.audit_text import details_text
from console.tui.clock import DEMO_NOW
from console.tui.screens.audit_event import AuditEventScreen
from console.tui.widgets.audit_table import AuditTable
from tests.console.support import TESTER, press, screen_text, settle


def test_details_read_as_money_times_counts_and_batch_ids():
    text = details_text({"cost": 0.8962180000000044, "estimated_cost": 6.61e-05, "requests": 50000,
                         "deadline_at": DEMO_NOW + 3600, "download_s": 1.23456, "ratio": 0.333333333,
                         "new_batch_ids": [2, 3], "ok": True, "note": "a\x1b[2Jb"},
                        utc=True, now=DEMO_NOW)
    assert "cost $0.90" in text and "estimated_cost <$0.01" in text and "requests 50,000" in text
    assert "deadline_at 04:00" in text or "deadline_at " in text and str(int(DEMO_NOW)) not in text
    assert "download_s 1.2s" in text and "ratio 0.333" in text and "new_batch_ids #2, #3" in text
    assert "0.8962" not in text and "e-05" not in text and "\x1b" not in text


def add_routine_events(store, n: int) -> None:
    for i in range(n):
        store.append_event("sync", None, {"polled": 3, "changed": [], "ingested": {}, "throttled": 0},
                           actor="engine", now=DEMO_NOW + i)
    store.append_event("ingest", "4", {"rows": 1200, "download_s": 0.512345, "ingest_s": 0.03},
                       actor="engine", now=DEMO_NOW + n)


async def test_operator_toggle_hides_routine_events(app, store):
    add_routine_events(store, 30)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        table = app.screen.query_one(AuditTable)
        assert table.row_count == 41
        await press(pilot, "o")
        assert table.row_count == 10
        assert "operator actions only" in screen_text(app)
        await press(pilot, "o")
        assert table.row_count == 41


async def test_the_filter_is_live_and_enter_opens_an_event(app, store):
    store.append_event("promote", "12", {"cost": 0.8962180000000044, "items": 2000,
                                         "note": "x" * 150 + " END"},
                       actor=TESTER, now=DEMO_NOW + 5)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await press(pilot, "3")
        table = app.screen.query_one(AuditTable)
        assert table.details_width > 90  # the width goes to the details, not a fixed 60
        await press(pilot, "slash", *"track")
        assert table.row_count == 1  # no enter needed
        await press(pilot, "escape")
        assert table.row_count == 11
        await press(pilot, "home", "enter")
        assert isinstance(app.screen, AuditEventScreen)
        text = screen_text(app)
        assert "$0.90" in text and "2,000" in text and "END" in text and "0.896218" not in text.split("Stored as")[0]
        await press(pilot, "escape")
        assert not isinstance(app.screen, AuditEventScreen)
