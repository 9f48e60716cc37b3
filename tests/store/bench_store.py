"""Store benchmarks (not collected by pytest): ingest throughput and aggregate refresh time.

    .venv/bin/python -m tests.store.bench_store            # the figures quoted in README
    .venv/bin/python -m tests.store.bench_store ingest 1000000

`bench_ingest(n)` writes a realistic OpenAI-style results file (about 600 bytes a line), then
times `Store.ingest_results` over a stream of `ItemResult`s, each built as the line is reached
(the adapter's parse is not included: it is the adapter's to measure). Peak RSS is the
process's high-water mark; the command line runs every size in a fresh process so that sizes
can be compared (flat memory = the same peak at 100k and 1M).

`bench_aggregate(n_items)` times the savings views and the fleet header over a store that
stands for `n_items` items. It ingests `real_items` items through the real path (so the
rollup rows are the triggers' own), then adds rollup rows for the remaining items with the
same shape: one batch per `batch_size` items, `models_per_batch` models, each batch's items
billed on one UTC day spread over 90 days. The aggregates read only those rollup rows and
the batches table, never items, so their cost depends on batches x models x days, not on
items; the figure says how many rollup rows were read.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from store.model import BatchStatus, ItemResult, ItemStatus, RemoteBatch, Usage
from store.prices import PriceBook
from store.store import Store

T0 = 1_795_000_000.0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _write_results_file(path: Path, n: int) -> list[tuple[int, int]]:
    """An OpenAI-style output file; returns nothing big: offsets are recomputed on the fly."""
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(_line(i))
    return []


def _line(i: int) -> str:
    body = {
        "id": f"chatcmpl-{i:09d}", "object": "chat.completion", "model": "gpt-6-luna-2026-09-22",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "The answer is " + "x" * 200}}],
        "usage": {"prompt_tokens": 1200 + i % 97, "completion_tokens": 180 + i % 31,
                  "prompt_tokens_details": {"cached_tokens": 1024 if i % 3 == 0 else 0}},
    }
    return json.dumps({"id": f"batch_req_{i}", "custom_id": f"req-{i}",
                       "response": {"status_code": 200, "request_id": f"req_{i}", "body": body},
                       "error": None}) + "\n"


def _results(n: int, line_length: int):
    """ItemResults as an adapter would yield them (one failure in 50)."""
    offset = 0
    for i in range(n):
        if i % 50 == 49:
            yield ItemResult(f"req-{i}", ItemStatus.ERRORED, error_type="rate_limit_error",
                             error_message="Rate limit reached", http_status=429,
                             offset=offset, length=line_length)
        else:
            cached = 1024 if i % 3 == 0 else 0
            yield ItemResult(f"req-{i}", ItemStatus.SUCCEEDED,
                             usage=Usage(1200 + i % 97 - cached, 180 + i % 31, cached, 0),
                             model="gpt-6-luna-2026-09-22", http_status=200,
                             offset=offset, length=line_length)
        offset += line_length


def bench_ingest(n: int = 100_000, *, tracked: bool = False, prebuilt: bool = False,
                 directory: str | None = None) -> dict:
    """Ingest `n` results into a fresh store; items/s for first ingest and for a re-ingest.

    `prebuilt=True` builds the ItemResults before the clock starts (the store's share alone,
    at the price of holding them all in memory); by default they are built as consumed.
    """
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        tmp_path = Path(tmp)
        store = Store.open(tmp_path / "bench.db", price_book=PriceBook.shipped())
        results_path = tmp_path / "results.jsonl"
        _write_results_file(results_path, n)
        line_length = len(_line(0).encode())  # fixed-width enough for offsets in a benchmark
        remote = RemoteBatch("openai", "batch_bench", BatchStatus.COMPLETED, "completed",
                             model="gpt-6-luna", ended_at=T0)
        figures: dict = {"n": n, "tracked": tracked, "prebuilt": prebuilt,
                         "file_mb": round(results_path.stat().st_size / 1e6, 1)}
        if tracked:
            bid, _ = store.upsert_tracked(remote, profile="default", now=T0)
        else:
            bid = store.record_intent(provider="openai", profile="default", endpoint="/v1/chat/completions",
                                      model="gpt-6-luna", label=None, deadline=None, job_id=None,
                                      parent_id=None, submitted_by="bench@host", submit_token="bench",
                                      request_count=n, now=T0)
            store.attach_remote(bid, remote, now=T0)
            requests = ((f"req-{i}", '{"model":"gpt-6-luna","messages":[{"role":"user","content":"q' + str(i) + '"}]}')
                        for i in range(n))
            t = time.perf_counter()
            store.add_items(bid, requests)
            figures["add_items_per_s"] = round(n / (time.perf_counter() - t))
        source = list(_results(n, line_length)) if prebuilt else _results(n, line_length)
        rss_before = _peak_rss_mb()
        cpu, t = time.process_time(), time.perf_counter()
        stats = store.ingest_results(bid, iter(source), results_path=str(results_path), now=T0)
        elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
        figures["ingest_s"] = round(elapsed, 3)
        figures["ingest_items_per_s"] = round(n / elapsed)
        # CPU time of this process only: the figure a busy machine (other jobs on both
        # cores) cannot drag down; wall-clock is the one to quote when the machine is idle.
        figures["ingest_items_per_cpu_s"] = round(n / cpu)
        t = time.perf_counter()
        store.ingest_results(bid, _results(n, line_length), results_path=str(results_path), now=T0)
        figures["reingest_items_per_s"] = round(n / (time.perf_counter() - t))
        t = time.perf_counter()
        store.mark_ingested(bid, now=T0)
        figures["mark_ingested_s"] = round(time.perf_counter() - t, 3)
        figures["inserted"], figures["updated"] = stats.inserted, stats.updated
        figures["peak_rss_mb_before_ingest"] = round(rss_before, 1)
        figures["peak_rss_mb"] = round(_peak_rss_mb(), 1)
        figures["db_mb"] = round(sum(p.stat().st_size for p in tmp_path.glob("bench.db*")) / 1e6, 1)
        row = store.savings(by="batch")[0]
        figures["rollup_items"] = row.items
        store.close()
        return figures


def bench_aggregate(n_items: int = 10_000_000, *, real_items: int = 100_000, batch_size: int = 10_000,
                    models_per_batch: int = 2, repeats: int = 20, directory: str | None = None) -> dict:
    """Time savings(by=...) and fleet_totals over a store standing for `n_items` items."""
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        store = Store.open(Path(tmp) / "agg.db", price_book=PriceBook.shipped())
        # 1. Real items through the real path.
        real_batches = max(1, real_items // batch_size)
        for b in range(real_batches):
            remote = RemoteBatch("openai", f"batch_real_{b}", BatchStatus.COMPLETED, "completed",
                                 model="gpt-6-luna", ended_at=T0 - 86400 * (b % 90))
            bid, _ = store.upsert_tracked(remote, profile="default", now=T0)
            store.ingest_results(bid, _results(batch_size, 600), results_path=None, now=T0)
        # 2. The rest as batches plus rollup rows of the same shape.
        rest_batches = max(0, (n_items - real_batches * batch_size) // batch_size)
        providers = ("openai", "anthropic", "gemini")
        per_model = batch_size // models_per_batch
        with store.transaction() as conn:
            for b in range(rest_batches):
                status = "completed" if b % 20 else "in_progress"
                bid = conn.execute(
                    "INSERT INTO batches (provider, status, provider_batch_id, total, succeeded, created_at, tracked)"
                    " VALUES (?, ?, ?, ?, ?, ?, 1)",
                    (providers[b % 3], status, f"batch_syn_{b}", batch_size,
                     batch_size if status == "completed" else 0, T0 - 86400 * (b % 90)),
                ).lastrowid
                day = time.strftime("%Y-%m-%d", time.gmtime(T0 - 86400 * (b % 90)))
                for m in range(models_per_batch):
                    conn.execute(
                        "INSERT INTO savings_rollup VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, 0, ?, ?)",
                        (bid, f"model-{b % 7}-{m}", day, per_model, per_model, per_model // 50,
                         per_model * 0.0001, per_model * 0.0002, per_model * 1200, per_model * 190),
                    )
        rollup_rows = store.conn.execute("SELECT count(*) FROM savings_rollup").fetchone()[0]
        represented = store.conn.execute("SELECT sum(items) FROM savings_rollup").fetchone()[0]
        timings = {}
        calls = {f"savings_by_{by}": (lambda by=by: store.savings(by=by))
                 for by in ("provider", "model", "day", "batch")}
        calls["savings_by_day_last_30d"] = lambda: store.savings(by="day", since=T0 - 30 * 86400)
        calls["fleet_totals"] = lambda: store.fleet_totals(now=T0)
        for name, call in calls.items():
            samples = []
            for _ in range(repeats):
                t = time.perf_counter()
                call()
                samples.append(time.perf_counter() - t)
            timings[name] = {"mean_ms": round(1000 * sum(samples) / len(samples), 2),
                             "max_ms": round(1000 * max(samples), 2)}
        refresh = timings["fleet_totals"]["mean_ms"] + timings["savings_by_provider"]["mean_ms"]
        store.close()
        return {"items_represented": represented, "items_ingested_for_real": real_batches * batch_size,
                "batches": real_batches + rest_batches, "rollup_rows": rollup_rows,
                "console_refresh_ms": round(refresh, 2), "timings": timings,
                "peak_rss_mb": round(_peak_rss_mb(), 1)}


def bench_open(n: int = 1_000_000, *, repeats: int = 5) -> dict:
    """Time Store.open (header check, quick_check of every page, migrate check) on a store of
    `n` items, warm page cache (issue 15: the quick check on open)."""
    from store.db import check_pages

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "open.db"
        store = Store.open(path, price_book=PriceBook.shipped())
        batch = 100_000
        for b in range(max(1, n // batch)):
            remote = RemoteBatch("openai", f"batch_open_{b}", BatchStatus.COMPLETED, "completed",
                                 model="gpt-6-luna", ended_at=T0)
            bid, _ = store.upsert_tracked(remote, profile="default", now=T0)
            store.ingest_results(bid, _results(batch, 600), results_path=None, now=T0)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
        opens, checks = [], []
        for _ in range(repeats):
            t = time.perf_counter()
            Store.open(path, price_book=PriceBook.shipped()).close()
            opens.append(time.perf_counter() - t)
            conn = sqlite3.connect(path)
            t = time.perf_counter()
            check_pages(conn, path)
            checks.append(time.perf_counter() - t)
            conn.close()
        return {"items": n, "db_mb": round(path.stat().st_size / 1e6, 1),
                "open_ms": round(1000 * min(opens), 1), "quick_check_ms": round(1000 * min(checks), 1)}


def _in_subprocess(kind: str, n: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "tests.store.bench_store", kind, str(n), "--json"],
                         check=True, capture_output=True, text=True, cwd=Path(__file__).parents[2])
    return json.loads(out.stdout)


def main(argv: list[str]) -> None:
    if len(argv) >= 2:
        kind, n = argv[0], int(argv[1])
        result = {"ingest": bench_ingest, "ingest-tracked": lambda n: bench_ingest(n, tracked=True),
                  "ingest-prebuilt": lambda n: bench_ingest(n, prebuilt=True),
                  "aggregate": bench_aggregate, "open": bench_open}[kind](n)
        print(json.dumps(result) if "--json" in argv else json.dumps(result, indent=2))
        return
    for kind, n in (("ingest", 100_000), ("ingest-prebuilt", 100_000), ("ingest-tracked", 100_000),
                    ("ingest", 1_000_000),
                    ("aggregate", 10_000_000), ("open", 1_000_000)):
        print(f"== {kind} {n:,}")
        print(json.dumps(_in_subprocess(kind, n), indent=2))
        sys.stdout.flush()


if __name__ == "__main__":
    os.environ.setdefault("BATCHDECK_CONFIG", os.devnull)  # never read the developer's config
    main(sys.argv[1:])
