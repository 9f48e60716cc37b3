"""store/claims.py: work is claimed in one transaction, skipped work is counted by reason, and a
claim lapses with its lease or its (dead) owner."""

from __future__ import annotations

import socket
import subprocess
import sys

from store import Store
from store.claims import SKIP_CLAIMED, SKIP_FINISHED, SKIP_PROMOTED, SKIP_REPLACED, new_owner
from store.model import ItemResult, ItemStatus, PriceTier, Usage

FAILED = {"errored", "expired", "canceled"}
PROMOTABLE = FAILED | {"pending"}


def _batch(store: Store, n: int, token: str = "t") -> tuple[int, list[int]]:
    batch = store.record_intent(provider="openai", profile="default", endpoint="/v1/chat/completions",
                                model="gpt-6-luna", label=None, deadline=None, job_id=None, parent_id=None,
                                submitted_by="t@h", submit_token=token, request_count=n, now=1.0)
    store.add_items(batch, [(f"c{i}", "{}") for i in range(n)])
    return batch, [i.id for i in store.page_items(batch, offset=0, limit=n)]


def _dead_owner() -> str:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return f"{socket.gethostname()}:{proc.stdout.strip()}:deadbeef"


def test_each_item_is_claimed_once_and_the_rest_are_skipped_with_a_reason(tmp_path):
    with Store.open(tmp_path / "c.db") as store:
        batch, ids = _batch(store, 5)
        store.ingest_results(batch, [ItemResult("c1", ItemStatus.SUCCEEDED, usage=Usage(1, 1))],
                             results_path=None, now=2.0)
        store.record_promotion(ids[2], ItemResult("c2", ItemStatus.SUCCEEDED, usage=Usage(1, 1)),
                               promoted_cost=0.0, realtime_cost=0.0, tier=PriceTier.STANDARD, now=3.0)
        child, _ = _batch(store, 5, token="child")
        store.link_resubmission([ids[3]], child, now=4.0)
        first = store.claim_items(ids, owner=new_owner(), until=100.0, now=5.0, statuses=PROMOTABLE)
        assert first.claimed == [ids[0], ids[4]]
        assert dict(first.skipped) == {SKIP_FINISHED: 1, SKIP_PROMOTED: 1, SKIP_REPLACED: 1}
        second = store.claim_items([ids[0], ids[4]], owner=new_owner(), until=100.0, now=5.0, statuses=PROMOTABLE)
        assert second.claimed == [] and dict(second.skipped) == {SKIP_CLAIMED: 2}
        assert second.skipped_text() == "2 skipped (2 claimed by a running promote or resubmit)"


def test_a_claim_lapses_with_its_lease_or_its_dead_owner(tmp_path):
    with Store.open(tmp_path / "c.db") as store:
        _, ids = _batch(store, 2)
        store.claim_items([ids[0]], owner=new_owner(), until=10.0, now=5.0, statuses=PROMOTABLE)
        store.claim_items([ids[1]], owner=_dead_owner(), until=1e12, now=5.0, statuses=PROMOTABLE)
        taken = store.claim_items(ids, owner=new_owner(), until=100.0, now=11.0, statuses=PROMOTABLE)
        assert taken.claimed == ids


def test_an_intent_is_claimed_for_sending_by_one_owner_until_it_is_sent(tmp_path):
    with Store.open(tmp_path / "c.db") as store:
        batch, _ = _batch(store, 1)
        a, b = new_owner(), new_owner()
        assert store.claim_intent(batch, owner=a, until=100.0, now=5.0)
        assert not store.claim_intent(batch, owner=b, until=100.0, now=6.0)
        assert store.claim_intent(batch, owner=b, until=200.0, now=101.0)  # a's lease lapsed
        store.set_batch_fields(batch, status="in_progress", now=102.0)
        assert not store.claim_intent(batch, owner=a, until=300.0, now=250.0)  # sent: nothing to claim
