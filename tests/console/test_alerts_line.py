"""Active alerts show in the Batches header (one line, hidden when none)."""

from __future__ import annotations

from console.tui.widgets.alerts_line import alerts_text
from store import alerts as alert_store
from store.alerts import AlertRow
from tests.console.support import SIZE, press, screen_text, settle


def test_alerts_text_counts_and_cuts_to_the_width():
    assert alerts_text([]).plain == ""
    text = alerts_text(["batch 14 nightly (openai) expired", "openai (default) unreachable for 20m"], width=60)
    assert text.plain.startswith("2 alerts firing: batch 14 nightly (openai) expired · openai")
    assert len(text.plain) == 60 and text.plain.endswith("…")
    assert alerts_text(["a\x1b[31mb"]).plain == "1 alert firing: a␛[31mb"


async def test_the_header_shows_alerts_firing_and_hides_when_they_resolve(app, store):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "alert" not in screen_text(app)
        row = AlertRow(key="batch_failed:batch:3", rule="batch_failed", subject="batch:3",
                       title="batch 3 nightly-evals (anthropic) expired", started_at=1.0, last_seen_at=1.0)
        with store.transaction() as conn:
            alert_store.save_state(conn, row)
        app.refresh_now()
        await settle(pilot)
        assert "1 alert firing: batch 3 nightly-evals (anthropic) expired" in screen_text(app)
        row.active = False
        with store.transaction() as conn:
            alert_store.save_state(conn, row)
        await press(pilot, "2", "1")
        app.refresh_now()
        await settle(pilot)
        assert "firing" not in screen_text(app)


async def test_a_batch_an_alert_names_counts_as_needing_attention(app, store):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        quiet = sorted({b.id for b in app.screen.snapshot.batches} - {b.id for b in app.screen.shown})
        assert quiet, "the demo fleet has batches that need nothing"
        row = AlertRow(key=f"x:batch:{quiet[0]}", rule="x", subject=f"batch:{quiet[0]}", title="look here",
                       started_at=1.0, last_seen_at=1.0, batch_id=quiet[0])
        with store.transaction() as conn:
            alert_store.save_state(conn, row)
        app.refresh_now()
        await settle(pilot)
        assert quiet[0] in {b.id for b in app.screen.shown}
