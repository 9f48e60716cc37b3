"""Pure rendering (batch_facts, cells, rows, fmt, fleet.notices): values in, words out, `now` injected."""

from __future__ import annotations

from console.engine.batch_facts import attention_reasons, deadline_risk
from console.format.numbers import PLAIN, fmt_duration, fmt_money
from console.format.times import fmt_clock
from console.tui.cells import expiry_text, percent_text, progress_text, status_text
from console.tui.clock import DEMO_NOW as NOW
from console.tui.fleet import notices, one_toast, savings_by_batch
from console.tui.messages import FleetLoaded
from console.tui.rows import batch_cells, item_cells
from console.tui.widgets.bar_chart import bar, bar_chart_text
from console.tui.widgets.batch_table import columns_for
from store.model import Batch, BatchStatus, Item, ItemStatus, RequestCounts, SavingsRow

H = 3600


def running(**kw) -> Batch:
    base = dict(id=1, provider="openai", status=BatchStatus.IN_PROGRESS, label="x",
                counts=RequestCounts(total=100, succeeded=50), created_at=NOW - 2 * H,
                started_at=NOW - 2 * H, expires_at=NOW + 22 * H)
    base.update(kw)
    return Batch(**base)


def test_durations_and_money():
    assert fmt_duration(23 * H + 12 * 60) == "23h 12m"
    assert fmt_duration(None) == "—" and fmt_duration(float("nan")) == "—" and fmt_duration(-5) == "—"
    assert fmt_money(1234.5) == "$1,234.50" and fmt_money(0.004) == "<$0.01"
    assert fmt_money(None) == "—" and fmt_money(-0.5) == "-$0.50" and fmt_money(0.1, signed=True) == "+$0.10"


def test_expiry_countdown_warning_and_expired():
    assert expiry_text(running(), NOW, PLAIN).plain == "22h 00m"
    assert expiry_text(running(expires_at=NOW + 80 * 60), NOW, PLAIN).plain == "⚠ 1h 20m"
    assert expiry_text(running(expires_at=NOW - 1), NOW, PLAIN).plain == "expired"
    assert expiry_text(running(status=BatchStatus.EXPIRED), NOW, PLAIN).plain == "expired"
    assert expiry_text(running(status=BatchStatus.COMPLETED), NOW, PLAIN).plain == "—"


def test_deadline_risk_in_words():
    assert deadline_risk(running(deadline=NOW + 3 * H), NOW) == "on track"  # 2 h more at this rate
    assert deadline_risk(running(deadline=NOW + 1 * H), NOW) == "at risk"
    assert deadline_risk(running(deadline=NOW - 1), NOW) == "late"
    assert deadline_risk(running(status=BatchStatus.COMPLETED), NOW) is None
    stalled = running(counts=RequestCounts(total=10), deadline=NOW + H)  # 2 h in, 1 h left
    assert deadline_risk(stalled, NOW) == "at risk"
    assert deadline_risk(running(counts=RequestCounts(total=10), deadline=NOW + 3 * H), NOW) == "on track"


def test_attention_reasons():
    b = running(counts=RequestCounts(total=10, succeeded=4, errored=1), expires_at=NOW + 600)
    assert attention_reasons(b, NOW) == ["failures", "near expiry", "at risk"]
    assert attention_reasons(running(), NOW) == []


def test_progress_reads_without_colour():
    text = progress_text(RequestCounts(total=10, succeeded=6, errored=2), PLAIN, width=10).plain
    assert text == "██████▒▒░░  80%"
    assert progress_text(RequestCounts(), PLAIN).plain.endswith("—")


def test_strange_batch_never_crashes():
    odd = Batch(id=9, provider=None, status="paused?", counts=None, created_at="yesterday",  # type: ignore[arg-type]
                expires_at=float("inf"), label="\x1b[2Jlabel")
    cells = batch_cells(odd, NOW, PLAIN)
    assert cells["status"].plain.startswith("?") and cells["provider"].plain == "—"
    assert cells["label"].plain == "␛[2Jlabel" and cells["expires"].plain == "—"


def test_item_cells_literal_and_dash():
    item = Item(id=1, batch_id=1, custom_id="a\x1b]8;;x\x07", seq=0, status=ItemStatus.ERRORED,
                error_type="[bold]rate", error_class="permanent")
    cells = item_cells(item, PLAIN)
    assert cells["custom_id"].plain == "a␛]8;;x␇" and cells["error"].plain == "[bold]rate (perm)"
    assert cells["cost"].plain == "—"


def test_narrow_terminal_keeps_the_essentials():
    # live-fleet-14: the provider stays at 80 columns too, shrunk to a short tag, and the
    # name column narrows (cut in the middle) instead of pushing the provider out.
    shown = {c.key: c.width for c in columns_for(80)}
    assert list(shown) == ["sel", "id", "provider", "label", "status", "progress", "expires", "risk", "failed"]
    assert shown["provider"] == 3 and shown["label"] >= 8
    # Narrower still, shrunk columns can be dropped too (a shrunk column is a new Column).
    assert [c.key for c in columns_for(50)][:3] == ["sel", "id", "label"] and columns_for(40)
    assert len(columns_for(200)) == 14  # live-fleet-14: + "Needs attention because"


def test_60_columns_keep_deadline_beside_status_progress_expiry_failed_and_a_provider_tag():
    # tui-fit-18 (issue 18: "at 60x20 the expiry, deadline and failed columns vanish while a
    # wide label stays"): the essentials shrink to their narrow forms and the table goes
    # tight (one space between columns) instead of dropping any of them.
    from console.tui.widgets.batch_table import table_layout

    columns, tight = table_layout(60)
    shown = {c.key: c for c in columns}
    assert list(shown) == ["sel", "id", "provider", "label", "status", "progress", "expires", "risk", "failed"]
    assert tight and sum(c.width + 1 for c in columns) + 1 <= 60
    assert shown["label"].width == 8 and shown["provider"].width == 3  # the name's minimum
    assert shown["progress"].header == "Done" and shown["status"].shrunk
    # At 80 the spacing stays roomy; the bar goes before the name is squeezed.
    columns, tight = table_layout(80)
    shown = {c.key: c for c in columns}
    assert not tight and shown["progress"].shrunk and not shown["status"].shrunk
    assert shown["label"].width >= 12 and "risk" in shown
    # Wide terminals keep the full forms.
    assert not any(c.shrunk for c in table_layout(100)[0] if c.key != "provider")


def test_narrow_forms_are_chosen_per_column_by_width():
    from console.tui.rows import BATCH_COLUMNS, shown_cell
    from console.tui.widgets.batch_table import columns_for

    cells = batch_cells(running(counts=RequestCounts(total=10, succeeded=6, errored=2)), NOW, PLAIN)
    narrow = {c.key: shown_cell(c, cells).plain for c in columns_for(60)}
    full = {c.key: shown_cell(c, cells).plain for c in BATCH_COLUMNS}
    assert narrow["status"] == "running" and full["status"] == "in_progress"
    assert narrow["progress"] == " 80%" and full["progress"] == "███▒░  80%"
    assert narrow["expires"] == full["expires"] == "22h 00m"
    # A whole column switches together: a terminal status that would fit stays short too.
    failed = batch_cells(running(status=BatchStatus.FAILED), NOW, PLAIN)
    assert {c.key: shown_cell(c, failed).plain for c in columns_for(60)}["status"] == "failed"
    assert status_text(BatchStatus.COMPLETED, PLAIN, short=True).plain == "done"
    assert status_text("paused-by-provider", PLAIN, short=True).plain == "? pause…"
    assert all(len(status_text(s, PLAIN, short=True).plain) <= 8 for s in BatchStatus)
    assert percent_text(RequestCounts(), PLAIN).plain == "   —"


def test_compact_expiry_fits_eight_cells():
    long_warn = 12 * H  # an operator's own threshold: a 9-cell `⚠ 11h 20m` squeezes to 8
    b = running(expires_at=NOW + 11 * H + 20 * 60)
    assert expiry_text(b, NOW, PLAIN, long_warn).plain == "⚠ 11h 20m"
    assert expiry_text(b, NOW, PLAIN, long_warn, compact=True).plain == "⚠ 11h20m"
    assert expiry_text(running(), NOW, PLAIN, compact=True).plain == "22h 00m"  # fits: unchanged


def test_counts_buckets_add_up_to_the_total_after_a_cancel():
    # tui-fit-18 (issue 18: "after a cancel the counts leave the canceled items in no bucket").
    from console.tui.cells import counts_cell

    counts = RequestCounts(total=1000, succeeded=600, errored=15, expired=5, canceled=380)
    cell = counts_cell(counts)
    assert cell == "600/15/5/380/0"
    assert sum(int(v.replace(",", "")) for v in cell.split("/")) == 1000
    assert counts_cell(RequestCounts(total=10, succeeded=4, canceled=1)) == "4/0/0/1/5"
    assert batch_cells(running(counts=counts), NOW, PLAIN)["counts"].plain == cell


def test_names_and_ids_are_cut_in_the_middle_so_two_batches_never_read_the_same():
    from rich.text import Text

    from console.engine.names import display_name, label_from_metadata, short_id
    from console.tui.rows import fit_cell

    a, b = "nightly-embeddings-batch-7", "nightly-embeddings-batch-8"
    assert fit_cell("label", Text(a), 9).plain != fit_cell("label", Text(b), 9).plain
    assert fit_cell("label", Text(a), 9).plain == "nigh…ch-7"
    assert fit_cell("provider", Text("anthropic"), 3).plain == "ant"
    assert short_id("batch_68a1f0c2e4b84f7fae9b1d2c3") == "…e9b1d2c3"
    assert display_name(None, "msgbatch_01XyZ") == "…ch_01XyZ"
    assert display_name("nightly", "batch_1") == "nightly"
    assert label_from_metadata({"Job": " nightly ", "name": "x"}) == "x"
    assert label_from_metadata({"Job": " nightly "}) == "nightly"
    assert label_from_metadata({"team": "a"}, ("team",)) == "a" and label_from_metadata({}) is None


def test_clock_formats():
    assert fmt_clock(NOW - 600, utc=True, now=NOW) == "02:50"
    assert fmt_clock(NOW - 86400, utc=True, now=NOW) == "Jun 11 03:00"
    assert fmt_clock(None, utc=True) == "—" and fmt_clock("x", utc=True) == "—"  # type: ignore[arg-type]


def test_notices_on_completion_and_expiry_threshold():
    before = FleetLoaded([running(), running(id=2, expires_at=NOW + 3 * H)], None, {}, NOW)
    after = FleetLoaded([running(status=BatchStatus.COMPLETED),
                         running(id=2, expires_at=NOW + 3 * H)], None, {}, NOW + 1.5 * H)
    said = notices(before, after, warn=2 * H)
    assert ("information", "#1 x completed.") in said
    assert ("warning", "#2 x expires in 1h 30m.") in said


def test_one_tick_of_notices_is_one_toast_with_the_worst_severity():
    """A wave of batches ending in one pass is one toast, not a stack covering the list."""
    assert one_toast([]) is None
    assert one_toast([("information", "#1 x completed.")]) == ("information", "", "#1 x completed.")
    said = [("information", f"#{i} x completed.") for i in range(1, 7)] + [("error", "#9 y failed.")]
    severity, title, message = one_toast(said)
    assert (severity, title) == ("error", "7 batch changes")
    assert message.splitlines() == ["#9 y failed.", "#1 x completed.", "#2 x completed.", "#3 x completed.",
                                    "… and 3 more (n lists what needs attention)"]


def test_savings_keys_and_bars():
    rows = [SavingsRow("14", 1, 1, 0, 1.0, 3.0, 0.0), SavingsRow("x", 1, 1, 0, 0, 0, 0)]
    assert savings_by_batch(rows) == {14: 2.0}
    assert bar(5, 10, 4) == "██" and bar(0, 10, 4) == ""
    chart = bar_chart_text([("openai", 2.0), ("anthropic", -1.0)], width=4, label_width=10).plain
    assert "████      $2.00" in chart and "░░" in chart and "-$1.00" in chart
