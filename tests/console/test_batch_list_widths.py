"""The batch list at the widths an on-call engineer really has (issue 18: "at 60x20 the expiry,
deadline and failed columns vanish while a wide label stays"), and its counts after a cancel."""

from __future__ import annotations

from console.tui.widgets.batch_table import BatchTable
from tests.console.support import screen_text, settle


async def test_resizing_switches_between_tight_narrow_forms_and_roomy_full_ones(app):
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(BatchTable)
        text = screen_text(app)
        for header in ("Pro", "Name", "Status", "Done", "Expires", "Deadline", "Failed"):
            assert header in text, header
        assert table.tight and table.cell_padding == 0 and "running" in text and "at risk" in text
        assert table.styles.scrollbar_size_vertical == 1  # app.tcss: BatchTable.tight
        await pilot.resize_terminal(100, 32)
        await settle(pilot)
        text = screen_text(app)
        assert not table.tight and table.cell_padding == 1 and table.styles.scrollbar_size_vertical == 2
        assert "in_progress" in text and "Progress" in text and "running" not in text
        await pilot.resize_terminal(60, 20)
        await settle(pilot)
        assert table.tight and "running" in screen_text(app)


async def test_the_counts_of_a_canceled_batch_add_up_to_its_total(app, store):
    canceled = next(b for b in store.list_batches() if str(b.status) == "canceled")
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(BatchTable)
        assert "ok/err/exp/can/pend" in screen_text(app)
        buckets = table.get_cell(str(canceled.id), "counts").plain.split("/")
        assert int(buckets[3].replace(",", "")) == canceled.counts.canceled > 0
        assert sum(int(b.replace(",", "")) for b in buckets) == canceled.counts.total
