"""Numbers and words read the same everywhere (issue 18): costs, losses, late, canceled, mono."""

from __future__ import annotations

from console.engine.batch_facts import attention_reasons, deadline_risk
from console.format.numbers import PLAIN, fmt_money
from console.tui.clock import DEMO_NOW as NOW
from console.tui.rows import item_cells
from console.tui.screens.detail_text import summary_text
from store.model import Batch, BatchStatus, Item, ItemStatus, RequestCounts

H = 3600


def test_a_loss_under_a_cent_shows_its_size():
    assert fmt_money(-0.004) == "-$0.004" and fmt_money(-0.0001) == "-$0.001"
    assert "<" not in fmt_money(-0.004)


def test_a_promoted_item_costs_what_the_promotion_paid():
    item = Item(id=1, batch_id=12, seq=3, custom_id="c", status=ItemStatus.SUCCEEDED,
                batch_cost=0.0, realtime_cost=0.0042, promoted_cost=0.0042)
    cells = item_cells(item, PLAIN)
    assert cells["cost"].plain == "<$0.01"  # not "$0.00" beside a saving
    assert cells["saved"].plain == "$0.00"


def finished(**kw) -> Batch:
    base = dict(id=1, provider="openai", status=BatchStatus.COMPLETED, label="x",
                counts=RequestCounts(total=100, succeeded=100), created_at=NOW - 5 * H,
                started_at=NOW - 5 * H, ended_at=NOW - H, expires_at=NOW + 19 * H)
    base.update(kw)
    return Batch(**base)


def test_a_deadline_missed_then_completed_reads_late_but_needs_no_attention():
    late = finished(deadline=NOW - 2 * H)
    assert deadline_risk(late, NOW) == "late"
    assert deadline_risk(finished(deadline=NOW - 30 * 60), NOW) is None  # ended before it
    assert deadline_risk(finished(), NOW) is None
    assert "at risk" not in attention_reasons(late, NOW)


def test_canceled_items_have_their_own_bucket_in_the_detail_counts():
    batch = finished(status=BatchStatus.CANCELED,
                     counts=RequestCounts(total=1000, succeeded=620, canceled=380))
    text = summary_text(batch, NOW, PLAIN, utc=True, saved=None, warn=H).plain
    assert "380 canceled" in text and "0 pending of 1,000" in text


def test_an_ended_batch_shows_no_expiry_and_says_whether_its_deadline_was_met():
    """Once a batch has ended its window no longer matters: no "expires" line; a deadline reads
    "(met)" or "(late)", and no deadline means no line at all."""
    plain = summary_text(finished(), NOW, PLAIN, utc=True, saved=None, warn=H).plain
    assert "expires" not in plain and "deadline" not in plain
    met = finished(deadline=NOW + H)
    assert "(met)" in summary_text(met, NOW, PLAIN, utc=True, saved=None, warn=H).plain
    late = finished(deadline=NOW - 5 * H)
    assert "(late)" in summary_text(late, NOW, PLAIN, utc=True, saved=None, warn=H).plain


async def test_monochrome_has_no_colour_even_in_json_and_toasts_stay_off_the_cost_column(store):
    import re

    from console.tui.widgets.item_table import ItemTable
    from tests.console.support import make_app, press, settle

    app = make_app(store, mono=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        app.notify("Promoted 5 items of batch #12")
        await pilot.pause()
        await pilot.pause()
        table = app.screen.query_one(ItemTable)
        toasts = list(app.screen.query("Toast"))
        cost_x = sum(c.width + 1 for c in table.columns[:[c.key for c in table.columns].index("cost")])
        assert toasts and all(t.region.right <= table.region.x + cost_x for t in toasts)
        await press(pilot, "enter")  # the inspector's JSON
        svg = app.export_screenshot()
    chrome = {"#28c840", "#febc2e", "#ff5f57"}  # the SVG window's three buttons
    for colour in set(re.findall(r"#[0-9a-fA-F]{6}", svg)) - chrome:
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert max(r, g, b) - min(r, g, b) < 40, colour
