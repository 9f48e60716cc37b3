"""Savings: batches named by label, losses always charted, Saved visible at 80 and 60 columns."""

from __future__ import annotations

import pytest

from console.tui.screens.savings import chart_rows, group_label, savings_cells
from store.model import SavingsRow
from tests.console.support import press, screen_text, settle


def row(key: str, saved: float) -> SavingsRow:
    return SavingsRow(key=key, items=10, priced_items=10, unpriced_items=0, batch_cost=1.0,
                      realtime_cost=1.0 + saved, promoted_cost=0.0)


def test_losses_are_charted_even_below_many_gains():
    rows = [row(str(i), 10.0 - i) for i in range(9)] + [row("99", -0.5)]
    keys = [r.key for r in chart_rows(rows)]
    assert len(keys) == 8 and keys[-1] == "99" and keys[0] == "0"


def test_a_group_with_no_priced_item_reads_unpriced_never_zero_dollars():
    """Together's 800 demo items have no price row: the table says unpriced, the chart has no bar."""
    unpriced = SavingsRow(key="together", items=800, priced_items=0, unpriced_items=800, batch_cost=0.0,
                          realtime_cost=0.0, promoted_cost=0.0)
    cells = [c.plain for c in savings_cells(unpriced)]
    assert cells == ["together", "unpriced", "800", "800", "unpriced", "unpriced", "unpriced"]
    assert [r.key for r in chart_rows([row("openai", 1.0), unpriced])] == ["openai"]
    assert "$" in savings_cells(row("openai", 1.0))[1].plain


def test_a_batch_group_is_named_by_its_label():
    assert group_label(row("4", 1.0), "batch", {4: "embeddings-backfill"}) == "#4 embeddings-backfill"
    assert group_label(row("#7", 1.0), "batch", {}) == "#7 —"
    assert group_label(row("openai", 1.0), "provider", {}) == "openai"


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_saved_is_on_screen_and_batches_have_labels(app, size):
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, "2", "g", "g", "g")
        assert app.screen.by == "batch"
        text = screen_text(app)
        header = next(line for line in text.splitlines() if "Group" in line)
        assert "Saved" in header
        assert "#1 support-triage" in text
