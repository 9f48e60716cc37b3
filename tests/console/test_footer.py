"""The footer always shows how to get help and how to quit; the fleet line never wraps."""

from __future__ import annotations

import pytest

from tests.console.support import press, screen_text, settle

SCREENS = {"batches": (), "detail": ("enter",), "inspector": ("enter", "enter"),
           "savings": ("2",), "audit": ("3",)}


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
@pytest.mark.parametrize("screen", list(SCREENS))
async def test_help_and_quit_are_in_the_footer(app, size, screen):
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, *SCREENS[screen])
        footer = screen_text(app).rstrip("\n").splitlines()[-1]
        assert "? Keys" in footer and "q Quit" in footer, footer


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (160, 45)])
async def test_the_fleet_line_is_one_line(app, size):
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        lines = screen_text(app).splitlines()
        assert "in flight" in lines[0].lower() and "pending" in lines[0].lower()
        # The freshness comes right after the count, so even 60 columns keep it in view.
        assert "batches · not synced yet" in lines[1] or "batches · synced" in lines[1], lines[1]
