"""Ingest and promotion cost with one rule (store.ledger.cost), "unknown" written one way: None."""

from __future__ import annotations

from store import Store
from store.model import ItemResult, ItemStatus, Usage


def _store_with_items(tmp_path, n: int) -> tuple[Store, int]:
    store = Store.open(tmp_path / "cost.db")
    batch = store.record_intent(provider="openai", profile="default", endpoint="/v1/chat/completions",
                                model="gpt-6-luna", label=None, deadline=None, job_id=None, parent_id=None,
                                submitted_by="t@h", submit_token="tok", request_count=n, now=1.0)
    store.add_items(batch, [(f"c{i}", "{}") for i in range(n)])
    return store, batch


def test_a_succeeded_result_without_usage_is_unknown_money_in_ingest_and_savings(tmp_path):
    store, batch = _store_with_items(tmp_path, 2)
    with store:
        stats = store.ingest_results(batch, [
            ItemResult("c0", ItemStatus.SUCCEEDED, model="gpt-6-luna", usage=Usage(1000, 200)),
            ItemResult("c1", ItemStatus.SUCCEEDED, model="gpt-6-luna", usage=None),
        ], results_path=None, now=2.0)
        assert stats.unpriced == 1
        known, unknown = store.page_items(batch, offset=0, limit=2)
        assert known.batch_cost is not None and known.batch_cost > 0
        assert unknown.batch_cost is None and unknown.realtime_cost is None  # not $0
        [row] = store.savings(by="batch")
        assert (row.priced_items, row.unpriced_items) == (1, 1)
