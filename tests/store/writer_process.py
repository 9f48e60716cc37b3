"""A second process for test_two_processes: writes to a store in a loop, like the sync engine.

    python -m tests.store.writer_process DB_PATH SECONDS

Polls a batch, ingests results in chunks and appends events until SECONDS have passed, then
prints one JSON line of counts. Any exception (e.g. "database is locked") exits non-zero.
"""

from __future__ import annotations

import json
import sys
import time

from store.model import BatchStatus, ItemResult, ItemStatus, RemoteBatch, RequestCounts, Usage
from store.prices import PriceBook
from store.store import Store


def main(path: str, seconds: float) -> None:
    store = Store.open(path, price_book=PriceBook.shipped())
    deadline = time.monotonic() + seconds
    polls = ingests = events = 0
    round_ = 0
    while time.monotonic() < deadline:
        round_ += 1
        remote = RemoteBatch("openai", f"batch_w{round_}", BatchStatus.COMPLETED, "completed",
                             model="gpt-6-luna", counts=RequestCounts(total=2000, succeeded=2000))
        bid, _ = store.upsert_tracked(remote, profile="default", now=time.time())
        results = (ItemResult(f"r{i}", ItemStatus.SUCCEEDED, usage=Usage(1000, 200)) for i in range(2000))
        store.ingest_results(bid, results, results_path=None, now=time.time())
        store.mark_ingested(bid, now=time.time())
        ingests += 1
        for _ in range(5):
            store.update_from_remote(bid, remote, now=time.time())
            polls += 1
        store.append_event("sync", f"batch {bid}", {"round": round_}, actor="engine@test")
        events += 1
    store.close()
    print(json.dumps({"polls": polls, "ingests": ingests, "events": events}))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
