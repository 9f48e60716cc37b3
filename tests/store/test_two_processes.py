"""Two real processes on one file: the engine writes while the console reads (and acts)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from store.prices import PriceBook
from store.store import Store

ROOT = Path(__file__).resolve().parents[2]


def _writer(path: Path, seconds: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.writer_process", str(path), str(seconds)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_reads_and_writes_from_another_process_never_see_database_is_locked(tmp_path):
    path = tmp_path / "shared.db"
    console = Store.open(path, price_book=PriceBook.shipped())
    engine = _writer(path, 2.0)
    reads = writes = 0
    seen_batches = 0
    try:
        while engine.poll() is None:
            # What the console does every refresh tick...
            batches = console.list_batches()
            seen_batches = max(seen_batches, len(batches))
            console.fleet_totals(now=time.time())
            console.savings(by="provider")
            if batches:
                console.page_items(batches[0].id, offset=0, limit=50)
            reads += 1
            # ...and now and then an operator action that writes.
            if reads % 20 == 0:
                console.append_event("note", "console", {"tick": reads}, actor="ops@test")
                writes += 1
        out, err = engine.communicate(timeout=30)
    finally:
        if engine.poll() is None:
            engine.kill()
        console.close()
    assert engine.returncode == 0, err
    assert "locked" not in err
    counts = json.loads(out)
    assert counts["ingests"] >= 3 and counts["polls"] >= 15
    assert reads >= 20 and writes >= 1
    assert seen_batches >= 1
    # Everything both processes wrote is there.
    with Store.open(path, price_book=PriceBook.shipped()) as after:
        actions = [e.action for e in after.events(limit=10_000)]
        assert actions.count("sync") == counts["events"]
        assert actions.count("note") == writes
        assert sum(r.items for r in after.savings(by="batch")) == 2000 * counts["ingests"]


def test_two_writer_processes_at_once(tmp_path):
    path = tmp_path / "shared.db"
    Store.open(path, price_book=PriceBook.shipped()).close()
    first, second = _writer(path, 1.5), _writer(path, 1.5)
    outputs = [p.communicate(timeout=30) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], [err for _, err in outputs]
    events = sum(json.loads(out)["events"] for out, _ in outputs)
    with Store.open(path, price_book=PriceBook.shipped()) as after:
        assert len(after.events(action="sync", limit=10_000)) == events
