"""Items: requests in order, results ingested idempotently, pages, failures, replacements."""

from __future__ import annotations

import json

import pytest

from store.model import ErrorClass, ErrorGroup, ItemResult, ItemStatus, PriceTier, RequestCounts, Usage
from store.store import StoreError

from .helpers import T0, failed, intent, ok, remote

# gpt-6-luna: batch 0.05 in / 0.25 out, standard 0.10 / 0.50 USD per 1M tokens.
# ok(): 1000 in + 200 out => batch (1000*0.05 + 200*0.25)/1e6 = 0.0001, realtime 0.0002.
BATCH_COST, REALTIME_COST = 0.0001, 0.0002


def _requests(n: int, prefix: str = "req") -> list[tuple[str, str]]:
    return [(f"{prefix}-{i}", json.dumps({"model": "gpt-6-luna", "messages": [{"role": "user", "content": str(i)}]}))
            for i in range(n)]


@pytest.fixture
def batch(store):
    bid = intent(store, n=4)
    store.attach_remote(bid, remote(), now=T0)
    store.add_items(bid, _requests(4))
    return bid


def test_items_are_added_pending_in_order_with_their_request(store, batch):
    page = store.page_items(batch, offset=0, limit=10)
    assert [(i.custom_id, i.seq, i.status) for i in page] == [
        ("req-0", 0, ItemStatus.PENDING), ("req-1", 1, ItemStatus.PENDING),
        ("req-2", 2, ItemStatus.PENDING), ("req-3", 3, ItemStatus.PENDING),
    ]
    assert page[0].request is None  # pages never carry bodies
    body = json.loads(store.get_item(page[2].id).request)
    assert body["messages"][0]["content"] == "2"


def test_request_bodies_are_read_in_bulk_by_item_id(store, batch):
    page = store.page_items(batch, offset=0, limit=10)
    bodies = store.request_bodies([i.id for i in page] + [10_000])  # an id with no body
    assert sorted(bodies) == sorted(i.id for i in page)
    assert json.loads(bodies[page[3].id])["messages"][0]["content"] == "3"
    assert store.request_bodies([]) == {}


def test_ingest_applies_outcomes_usage_and_costs(store, batch):
    stats = store.ingest_results(
        batch,
        [ok("req-0"), failed("req-1"), ok("req-2", cr=500),
         failed("req-3", ItemStatus.EXPIRED, "expired", http_status=None)],
        results_path=None, now=T0 + 100,
    )
    assert (stats.lines, stats.inserted, stats.updated, stats.unpriced) == (4, 0, 4, 0)
    items = store.page_items(batch, offset=0, limit=10)
    assert [i.status for i in items] == [
        ItemStatus.SUCCEEDED, ItemStatus.ERRORED, ItemStatus.SUCCEEDED, ItemStatus.EXPIRED]
    assert items[0].usage == Usage(1000, 200, 0, 0)
    assert items[0].batch_cost == pytest.approx(BATCH_COST) and items[0].realtime_cost == pytest.approx(REALTIME_COST)
    # 500 cache reads more: batch 500*0.005/1e6 = 0.0000025, realtime 500*0.01/1e6 = 0.000005
    assert items[2].batch_cost == pytest.approx(0.0001025) and items[2].realtime_cost == pytest.approx(0.000205)
    assert (items[1].batch_cost, items[1].realtime_cost, items[1].usage) == (0.0, 0.0, None)
    assert (items[1].error_type, items[1].error_class, items[1].http_status) == (
        "rate_limit_error", ErrorClass.RETRYABLE, 429)
    assert items[3].error_class is ErrorClass.RETRYABLE  # expired is always worth resubmitting


def test_ingest_twice_yields_the_same_rows_and_totals(store, batch):
    results = [ok("req-0"), ok("req-1"), failed("req-2"), ok("req-3")]
    store.ingest_results(batch, results, results_path=None, now=T0)
    first = (store.page_items(batch, offset=0, limit=10), store.savings(by="batch"))
    stats = store.ingest_results(batch, results, results_path=None, now=T0)
    assert (stats.inserted, stats.updated) == (0, 4)
    assert (store.page_items(batch, offset=0, limit=10), store.savings(by="batch")) == first
    assert store.savings(by="batch")[0].items == 4


def test_mark_ingested_recounts_from_the_items(store, batch):
    store.ingest_results(batch, [ok("req-0"), failed("req-1"), failed("req-2", ItemStatus.CANCELED, "canceled")],
                         results_path=None, now=T0)
    store.mark_ingested(batch, now=T0 + 5)
    b = store.get_batch(batch)
    assert b.counts == RequestCounts(total=4, succeeded=1, errored=1, canceled=1, processing=1)
    assert b.ingested_at == T0 + 5


def test_a_tracked_batch_gets_its_items_from_the_results(store):
    bid, _ = store.upsert_tracked(remote(pid="ext"), profile="default", now=T0)
    results = [ok(f"x-{i}") for i in range(5)]
    stats = store.ingest_results(bid, results, results_path=None, now=T0)
    assert (stats.inserted, stats.updated) == (5, 0)
    assert [i.seq for i in store.page_items(bid, offset=0, limit=10)] == [0, 1, 2, 3, 4]
    assert store.ingest_results(bid, results, results_path=None, now=T0).inserted == 0


def test_an_unknown_model_is_unpriced_not_free(store):
    bid = intent(store, model="gpt-99-mystery")
    store.add_items(bid, _requests(2))
    stats = store.ingest_results(bid, [ok("req-0"), failed("req-1")], results_path=None, now=T0)
    assert stats.unpriced == 2
    costs = [(i.batch_cost, i.realtime_cost) for i in store.page_items(bid, offset=0, limit=5)]
    assert costs == [(None, None), (None, None)]
    row = store.savings(by="batch")[0]
    assert (row.items, row.priced_items, row.unpriced_items, row.realtime_cost) == (2, 0, 2, 0.0)


def test_a_dated_model_id_in_the_result_is_priced_by_its_family(store, batch):
    store.ingest_results(batch, [ok("req-0", model="gpt-6-luna-2026-09-22")], results_path=None, now=T0)
    item = store.page_items(batch, offset=0, limit=1)[0]
    assert item.model == "gpt-6-luna-2026-09-22" and item.batch_cost == pytest.approx(BATCH_COST)


def test_raw_result_reads_the_line_back_from_the_results_file(store, batch, tmp_path):
    lines = [json.dumps({"custom_id": f"req-{i}", "response": {"n": i}}) + "\n" for i in range(2)]
    path = tmp_path / "out.jsonl"
    path.write_text("".join(lines))
    offsets = [0, len(lines[0].encode())]
    results = [ok(f"req-{i}", offset=offsets[i], length=len(lines[i].encode())) for i in range(2)]
    store.ingest_results(batch, results, results_path=str(path), now=T0)
    item = store.page_items(batch, offset=1, limit=1)[0]
    assert json.loads(store.raw_result(item)) == {"custom_id": "req-1", "response": {"n": 1}}
    assert store.get_batch(batch).results_path == str(path)
    assert store.raw_result(store.page_items(batch, offset=2, limit=1)[0]) is None  # no result yet


def test_output_and_error_files_of_one_batch_are_both_readable(store, batch, tmp_path):
    out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    out.write_text('{"ok": 0}\n')
    err.write_text('{"error": 1}\n')
    store.ingest_results(batch, [ok("req-0", offset=0, length=10)], results_path=str(out), now=T0)
    store.ingest_results(batch,
                         [ItemResult("req-1", ItemStatus.ERRORED, error_type="server_error", offset=0, length=13)],
                         results_path=str(err), now=T0)
    first, second = store.page_items(batch, offset=0, limit=2)
    assert (store.raw_result(first), store.raw_result(second)) == ('{"ok": 0}', '{"error": 1}')


def test_pages_filters_and_counts(store):
    bid = intent(store, n=1000)
    store.add_items(bid, _requests(1000))
    store.ingest_results(bid, [failed(f"req-{i}") if i % 10 == 0 else ok(f"req-{i}") for i in range(1000)],
                         results_path=None, now=T0)
    page = store.page_items(bid, offset=500, limit=3)
    assert [i.custom_id for i in page] == ["req-500", "req-501", "req-502"]
    errored = store.page_items(bid, offset=10, limit=2, status="errored")
    assert [i.custom_id for i in errored] == ["req-100", "req-110"]
    assert store.count_items(bid) == 1000
    assert store.count_items(bid, status="errored") == 100
    assert store.count_items(bid, error_type="rate_limit_error") == 100
    page = store.page_items(bid, offset=0, limit=2, error_type="rate_limit_error")
    assert [i.custom_id for i in page] == ["req-0", "req-10"]


def test_failures_retryable_by_default_and_grouped_by_type(store, batch):
    store.ingest_results(batch, [
        failed("req-0"), failed("req-1", error_type="invalid_request_error", http_status=400),
        failed("req-2"), failed("req-3", ItemStatus.EXPIRED, "expired", http_status=None),
    ], results_path=None, now=T0)
    assert [i.custom_id for i in store.failed_items(batch)] == ["req-0", "req-2", "req-3"]
    assert store.failed_items(batch)[0].request is not None  # resubmission needs the body
    failed_ids = [i.custom_id for i in store.failed_items(batch, include_permanent=True)]
    assert failed_ids == ["req-0", "req-1", "req-2", "req-3"]
    assert store.error_groups(batch) == [
        ErrorGroup("rate_limit_error", ErrorClass.RETRYABLE, 2),
        ErrorGroup("expired", ErrorClass.RETRYABLE, 1),
        ErrorGroup("invalid_request_error", ErrorClass.PERMANENT, 1),
    ]


def test_find_items_by_custom_id(store, batch):
    assert [i.custom_id for i in store.find_items(batch, ["req-3", "req-1", "nope"])] == ["req-1", "req-3"]


def test_resubmission_links_old_and_new_items_both_ways(store, batch):
    store.ingest_results(batch, [ok("req-0"), failed("req-1"), failed("req-2"), ok("req-3")], results_path=None, now=T0)
    old = store.failed_items(batch)
    child = intent(store, token="retry", parent_id=batch, n=2)
    store.add_items(child, [(i.custom_id, i.request) for i in old])
    assert store.link_resubmission([i.id for i in old], child, now=T0 + 10) == 2
    assert store.failed_items(batch) == []
    replaced = store.get_item(old[0].id)
    new = store.find_items(child, ["req-1"])[0]
    assert (replaced.status, replaced.replaced_by, new.replaces) == (ItemStatus.RESUBMITTED, new.id, old[0].id)
    # A re-ingest of the parent's results does not resurrect the failure.
    store.ingest_results(batch, [failed("req-1")], results_path=None, now=T0 + 20)
    assert store.get_item(old[0].id).status is ItemStatus.RESUBMITTED
    assert store.get_item(old[0].id).result_status is ItemStatus.ERRORED


def test_a_promoted_item_keeps_its_realtime_answer_when_the_batch_copy_arrives(store, batch):
    item = store.find_items(batch, ["req-0"])[0]
    # Realtime priority call: 1000 in + 200 out at 2x standard = 2 * 0.0002 = 0.0004.
    store.record_promotion(item.id, ok("req-0"), promoted_cost=0.0004, realtime_cost=REALTIME_COST,
                           tier=PriceTier.PRIORITY, now=T0 + 50)
    promoted = store.get_item(item.id)
    assert (promoted.status, promoted.promoted_tier, promoted.batch_cost) == (ItemStatus.PROMOTED, "priority", 0.0)
    assert promoted.savings == pytest.approx(REALTIME_COST - 0.0004)  # -0.0002: priority cost more
    # The batch copy finishes and is billed (a bigger answer: 3000 in + 200 out).
    store.ingest_results(batch, [ok("req-0", it=3000)], results_path=None, now=T0 + 100)
    after = store.get_item(item.id)
    assert after.status is ItemStatus.PROMOTED and after.result_status is ItemStatus.SUCCEEDED
    assert after.usage == Usage(1000, 200, 0, 0)  # the realtime answer, not a second output
    # batch copy: (3000*0.05 + 200*0.25)/1e6 = 0.0002 ; savings = 0.0002 - 0.0002 - 0.0004 = -0.0004
    assert after.batch_cost == pytest.approx(0.0002)
    assert after.savings == pytest.approx(-0.0004)


def test_promoting_an_unknown_item_is_an_error(store):
    with pytest.raises(StoreError, match="no item with id 999"):
        store.record_promotion(999, ok("x"), promoted_cost=0.1, realtime_cost=0.1, tier="standard", now=T0)


def test_ingest_into_a_missing_batch_is_an_error(store):
    with pytest.raises(StoreError, match="no batch with local id 7"):
        store.ingest_results(7, [], results_path=None, now=T0)
