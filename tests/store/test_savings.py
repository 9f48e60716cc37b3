"""Savings aggregates and the fleet header, kept as running totals that never drift."""

from __future__ import annotations

import pytest

from store.model import BatchStatus, ItemStatus, PriceTier, RequestCounts

from .helpers import T0, failed, intent, ok, remote

D1, D2 = "2026-11-17", "2026-11-18"  # T0 - 1 day, T0


def _ended(store, token, provider, model, ended_at, results):
    bid = intent(store, token=token, provider=provider, model=model, n=len(results))
    store.attach_remote(bid, remote(pid=f"p-{token}", provider=provider, model=model,
                                    status=BatchStatus.COMPLETED, raw="completed", ended_at=ended_at), now=ended_at)
    store.add_items(bid, [(r.custom_id, "{}") for r in results])
    store.ingest_results(bid, results, results_path=None, now=ended_at)
    return bid


@pytest.fixture
def fleet(store):
    # A: gpt-6-luna, 3 x (1000 in, 200 out) => batch 3 x 0.0001, realtime 3 x 0.0002; 1 failure
    a = _ended(store, "a", "openai", "gpt-6-luna", T0 - 86400,
               [ok("a0"), ok("a1"), ok("a2"), failed("a3")])
    # B: claude-haiku-5-5 (0.10/0.50, batch 0.05/0.25), 2 x (10000 in, 2000 out)
    #    realtime (10000*0.10 + 2000*0.50)/1e6 = 0.002 each, batch 0.001 each
    b = _ended(store, "b", "anthropic", "claude-haiku-5-5", T0,
               [ok("b0", it=10_000, ot=2_000), ok("b1", it=10_000, ot=2_000)])
    # C: a model nobody priced
    c = _ended(store, "c", "openai", "gpt-99-mystery", T0, [ok("c0"), ok("c1")])
    return a, b, c


def test_savings_by_provider(store, fleet):
    rows = {r.key: r for r in store.savings(by="provider")}
    assert set(rows) == {"anthropic", "openai"}
    assert (rows["anthropic"].items, rows["anthropic"].batch_cost, rows["anthropic"].realtime_cost) == (
        2, pytest.approx(0.002), pytest.approx(0.004))
    assert rows["anthropic"].savings == pytest.approx(0.002)
    openai = rows["openai"]
    assert (openai.items, openai.priced_items, openai.unpriced_items) == (6, 4, 2)
    assert openai.savings == pytest.approx(0.0003)  # 0.0006 - 0.0003; the unpriced two add nothing
    assert (openai.input_tokens, openai.output_tokens) == (5000, 1000)  # 5 successes x 1000 / 200


def test_savings_by_model_day_and_batch(store, fleet):
    a, b, c = fleet
    by_model = {r.key: (r.items, round(r.savings, 6)) for r in store.savings(by="model")}
    assert by_model == {"claude-haiku-5-5": (2, 0.002), "gpt-6-luna": (4, 0.0003), "gpt-99-mystery": (2, 0.0)}
    by_day = {r.key: r.items for r in store.savings(by="day")}
    assert by_day == {D1: 4, D2: 4}
    assert [r.key for r in store.savings(by="batch")] == [str(a), str(b), str(c)]
    assert [r.key for r in store.savings(by="day", since=T0)] == [D2]
    assert [r.key for r in store.savings(by="day", until=T0 - 86400)] == [D1]
    with pytest.raises(ValueError, match="choose one of"):
        store.savings(by="week")


def test_fleet_totals(store, fleet):
    running = intent(store, token="run", n=10)
    store.attach_remote(running, remote(pid="p-run", counts=RequestCounts(total=10, succeeded=4, processing=6)), now=T0)
    totals = store.fleet_totals(now=T0 + 60)
    assert (totals.in_flight, totals.items_pending, totals.failures_waiting, totals.unpriced_items) == (1, 6, 1, 2)
    assert totals.savings_today == pytest.approx(0.002)  # B only (C is unpriced)
    assert totals.savings_month == pytest.approx(0.0023)  # A (yesterday) + B


def test_a_promotion_moves_money_into_today_and_can_lose_money(store, fleet):
    a, _, _ = fleet
    item = store.find_items(a, ["a3"])[0]
    # priority call: 1000 in + 200 out at 2 x standard = 0.0004; standard equivalent 0.0002
    store.record_promotion(item.id, ok("a3"), promoted_cost=0.0004, realtime_cost=0.0002,
                           tier=PriceTier.PRIORITY, now=T0 + 120)
    totals = store.fleet_totals(now=T0 + 120)
    assert totals.failures_waiting == 0
    assert totals.savings_today == pytest.approx(0.002 + (0.0002 - 0.0 - 0.0004))
    openai = {r.key: r for r in store.savings(by="provider")}["openai"]
    assert openai.promoted_cost == pytest.approx(0.0004)
    assert openai.savings == pytest.approx(0.0003 - 0.0002)


def test_resubmitting_clears_failures_waiting(store, fleet):
    a, _, _ = fleet
    old = store.failed_items(a)
    child = intent(store, token="retry", parent_id=a, n=1)
    store.add_items(child, [(i.custom_id, i.request) for i in old])
    store.link_resubmission([i.id for i in old], child, now=T0)
    assert store.fleet_totals(now=T0).failures_waiting == 0


def _recomputed(store):
    """The rollup as a from-scratch GROUP BY over items would have it (independent SQL)."""
    rows = store.conn.execute(
        """SELECT batch_id, coalesce(model, ''), coalesce(billed_day, ''), count(*),
                  sum(batch_cost IS NOT NULL AND realtime_cost IS NOT NULL),
                  sum(status IN ('errored', 'expired', 'canceled')),
                  round(total(CASE WHEN batch_cost IS NOT NULL AND realtime_cost IS NOT NULL
                              THEN realtime_cost - batch_cost - coalesce(promoted_cost, 0) END), 12)
           FROM items WHERE status <> 'pending' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""
    ).fetchall()
    return rows


def _kept(store):
    return store.conn.execute(
        """SELECT batch_id, model, day, items, priced_items, failed_waiting,
                  round(realtime_cost - batch_cost - promoted_cost, 12)
           FROM savings_rollup WHERE items <> 0 ORDER BY 1, 2, 3"""
    ).fetchall()


def test_running_totals_equal_a_full_recount_after_every_kind_of_write(store, fleet):
    a, b, c = fleet
    assert _kept(store) == _recomputed(store)
    # re-ingest with a changed outcome and a duplicate line (the general path)
    store.ingest_results(a, [failed("a0"), ok("a3"), ok("a3", it=5000)], results_path=None, now=T0)
    assert _kept(store) == _recomputed(store)
    # a second file for the same batch that only touches pending items (the fast path)
    store.add_items(b, [("b2", "{}"), ("b3", "{}")])
    store.ingest_results(b, [ok("b2"), failed("b3", ItemStatus.EXPIRED, "expired")], results_path=None, now=T0)
    assert _kept(store) == _recomputed(store)
    # promotion of a pending item, then its batch copy arrives
    store.add_items(b, [("b4", "{}")])
    b4 = store.find_items(b, ["b4"])[0]
    store.record_promotion(b4.id, ok("b4"), promoted_cost=0.001, realtime_cost=0.001, tier="standard", now=T0)
    store.ingest_results(b, [ok("b4", it=10_000, ot=2_000)], results_path=None, now=T0)
    assert _kept(store) == _recomputed(store)
    # resubmission
    child = intent(store, token="r", parent_id=a, n=1)
    store.add_items(child, [("a0", "{}")])
    store.link_resubmission([i.id for i in store.failed_items(a)], child, now=T0)
    assert _kept(store) == _recomputed(store)


def test_a_stale_rollup_left_by_a_crash_is_rebuilt_on_open(tmp_path):
    from store.prices import PriceBook
    from store.store import Store

    path = tmp_path / "b.db"
    with Store.open(path, price_book=PriceBook.shipped()) as s:
        bid = intent(s, n=2)
        s.add_items(bid, [("x", "{}"), ("y", "{}")])
        s.ingest_results(bid, [ok("x"), ok("y")], results_path=None, now=T0)
        # What a crash between two chunks of a general-path ingest leaves behind:
        with s.transaction() as conn:
            conn.execute("DELETE FROM savings_rollup")
            conn.execute("UPDATE batches SET rollup_stale = 1")
    with Store.open(path, price_book=PriceBook.shipped()) as s:
        assert s.savings(by="batch")[0].items == 2
        assert s.conn.execute("SELECT rollup_stale FROM batches").fetchone() == (0,)


def test_a_first_ingest_with_mixed_models_and_a_duplicate_line_still_adds_up(store):
    bid, _ = store.upsert_tracked(remote(pid="mixed", status=BatchStatus.COMPLETED, raw="completed"),
                                  profile="default", now=T0)
    lines = [ok("m0", model="gpt-6-luna"), ok("m1", model="gpt-6-sol"), ok("m2", model="gpt-6-luna"),
             ok("m3", model="gpt-99-mystery"), ok("m1", model="gpt-6-sol", it=9000)]  # m1 twice
    stats = store.ingest_results(bid, lines, results_path=None, now=T0)
    assert (stats.lines, stats.inserted, stats.unpriced) == (5, 4, 1)
    assert _kept(store) == _recomputed(store)
    by_model = {r.key: r.items for r in store.savings(by="model")}
    assert by_model == {"gpt-6-luna": 2, "gpt-6-sol": 1, "gpt-99-mystery": 1}
    # the last line for m1 wins: (9000*2.00 + 200*10.00)/1e6 = 0.02 realtime
    assert store.find_items(bid, ["m1"])[0].realtime_cost == pytest.approx(0.02)
