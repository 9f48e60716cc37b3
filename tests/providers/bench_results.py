"""Result-line ingest benchmark (not collected by pytest): batchdeck beside a naive loader.

    .venv/bin/python -m tests.providers.bench_results 200000

One results file of realistic OpenAI chat lines (about 1.3 KB each: answers of varying length,
usage that varies on every line, cached tokens on some, 3% cut at the length limit, 2% failed
with a 429) is ingested four ways, each in a fresh process so each reports its own peak RSS:

    naive      json.loads each line, one row per item holding the parsed object as a JSON blob
               (json.dumps; one transaction per 20,000 rows, WAL): what a short script would do
    naive_raw  the same, but the row holds the line's own text (no json.dumps): a stricter
               baseline, reported beside it
    decode     the bare msgspec decode of every line into the OpenAI line Struct: the floor for
               parsing, nothing stored
    tracked    batchdeck: decode (registry line parser) + the engine's last check on each
               result + cost + store every item of a tracked batch (items created from the
               results) + mark_ingested
    submitted  the same for a batch batchdeck submitted (its items exist, pending)

Download and process start are left out (the file is local; the clock starts after imports).
The four run round-robin `repeats` times and each keeps its best run: on a shared machine the
other tenants' load swings single runs by 2x, and best-of-N compares the four at their least
disturbed (every run is kept in `runs`).
"""

from __future__ import annotations

import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_795_000_000.0
KINDS = ("naive", "naive_raw", "decode", "tracked", "submitted")
WORDS = ("the of and a to in is you that it he was for on are as with his they I at be this have from or one "
         "had by word but not what all were we when your can said there use an each which she do how their if "
         "will up other about out many then them these so some her would make like him into time has look two "
         "more write go see number no way could people my than first water been call who oil its now find").split()


def write_results(path: Path, n: int, seed: int = 5) -> int:
    """The results file; returns its size in bytes."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps(_line(i, rng), separators=(",", ":")) + "\n")
    return path.stat().st_size


def _line(i: int, rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.02:
        return {"id": f"batch_req_{i:024x}", "custom_id": f"req-{i}", "response": {
            "status_code": 429, "request_id": f"req_{rng.getrandbits(96):024x}",
            "body": {"error": {"message": "Rate limit reached for gpt-6-luna in organization org-bench on "
                               "tokens per min. Please try again in 20ms.", "type": "tokens", "param": None,
                               "code": "rate_limit_exceeded"}}}, "error": None}
    words = rng.randint(90, 190)
    text = " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."
    prompt = rng.randint(200, 4000)
    cached = rng.choice((0, 0, 0, 1024, 2048)) if prompt > 2048 else 0
    finish = "length" if rng.random() < 0.03 else "stop"
    return {"id": f"batch_req_{i:024x}", "custom_id": f"req-{i}", "response": {
        "status_code": 200, "request_id": f"req_{rng.getrandbits(96):024x}",
        "body": {"id": f"chatcmpl-{rng.getrandbits(128):032x}", "object": "chat.completion",
                 "created": 1795000000 + i // 10, "model": "gpt-6-luna-2026-09-22",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None,
                                                      "annotations": []},
                              "logprobs": None, "finish_reason": finish}],
                 "usage": {"prompt_tokens": prompt, "completion_tokens": words * 4 // 3,
                           "total_tokens": prompt + words * 4 // 3,
                           "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
                           "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                         "accepted_prediction_tokens": 0,
                                                         "rejected_prediction_tokens": 0}},
                 "service_tier": "default", "system_fingerprint": f"fp_{rng.getrandbits(40):010x}"}},
        "error": None}


def _hwm_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# ---- the four ways, each run in a child process ------------------------------------------
def _naive(path: Path, work: Path, *, raw_text: bool = False) -> int:
    conn = sqlite3.connect(work / "naive.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE items (custom_id TEXT PRIMARY KEY, result TEXT)")
    n, rows = 0, []
    with open(path, "rb") as fh:
        for raw in fh:
            obj = json.loads(raw)
            rows.append((obj["custom_id"], raw.decode() if raw_text else json.dumps(obj)))
            if len(rows) == 20_000:
                conn.execute("BEGIN")
                conn.executemany("INSERT INTO items VALUES (?, ?)", rows)
                conn.execute("COMMIT")
                n, rows = n + len(rows), []
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO items VALUES (?, ?)", rows)
    conn.execute("COMMIT")
    conn.close()
    return n + len(rows)


def _decode(path: Path, work: Path) -> int:
    import msgspec

    from adapters.openai.results import OpenAILine

    decode = msgspec.json.Decoder(OpenAILine).decode
    n = 0
    with open(path, "rb") as fh:
        for raw in fh:
            decode(raw)
            n += 1
    return n


def _store_kind(path: Path, work: Path, *, tracked: bool) -> tuple[Any, int]:
    from store.model import BatchStatus, RemoteBatch
    from store.prices import PriceBook
    from store.store import Store

    store = Store.open(work / "bench.db", price_book=PriceBook.shipped())
    remote = RemoteBatch("openai", "batch_bench", BatchStatus.COMPLETED, "completed", model="gpt-6-luna",
                         ended_at=T0)
    if tracked:
        bid, _ = store.upsert_tracked(remote, profile="default", now=T0)
    else:
        n = sum(1 for _ in open(path, "rb"))
        bid = store.record_intent(provider="openai", profile="default", endpoint="/v1/chat/completions",
                                  model="gpt-6-luna", label=None, deadline=None, job_id=None, parent_id=None,
                                  submitted_by="bench@host", submit_token="bench", request_count=n, now=T0)
        store.attach_remote(bid, remote, now=T0)
        store.add_items(bid, ((f"req-{i}", '{"model":"gpt-6-luna"}') for i in range(n)))
    return store, bid


def _ingest(store: Any, bid: int, path: Path) -> int:
    from adapters import registry
    from adapters.result_lines import read_results
    from console.engine.result_checks import checked

    # As console/engine/ingest.py does: decode, the last check, cost and store.
    parsed = checked(read_results(registry.get("openai"), path))
    stats = store.ingest_results(bid, parsed, results_path=str(path), now=T0)
    store.mark_ingested(bid, now=T0)
    return int(stats.lines)


def child(kind: str, path: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-results-") as tmp:
        work = Path(tmp)
        store = bid = None
        if kind in ("tracked", "submitted"):
            store, bid = _store_kind(path, work, tracked=kind == "tracked")
            import adapters.openai  # noqa: F401 - imports are start-up, not throughput
        rss0 = _hwm_mb()
        t0 = time.perf_counter()
        if kind in ("naive", "naive_raw"):
            lines = _naive(path, work, raw_text=kind == "naive_raw")
        elif kind == "decode":
            lines = _decode(path, work)
        else:
            lines = _ingest(store, bid, path)
        seconds = time.perf_counter() - t0
        figures: dict[str, Any] = {"kind": kind, "lines": lines, "seconds": round(seconds, 3),
                                   "items_per_s": round(lines / seconds) if seconds else None,
                                   "peak_rss_mb": _hwm_mb(), "rss_before_mb": rss0}
        if store is not None:
            batch = store.get_batch(bid)
            figures.update(succeeded=batch.counts.succeeded, errored=batch.counts.errored,
                           truncated=batch.truncated)
            store.close()
        return figures


def bench_result_ingest(n: int, repeats: int | None = None) -> dict[str, Any]:
    """Items/s and peak RSS of the four ways over one file of n lines, side by side (best of
    `repeats` round-robin runs each; default 3, 1 for small files)."""
    repeats = repeats or (3 if n >= 20_000 else 1)
    with tempfile.TemporaryDirectory(prefix="bench-lines-") as tmp:
        path = Path(tmp) / "results.jsonl"
        size = write_results(path, n)
        out: dict[str, Any] = {"items": n, "file_mb": round(size / 1e6, 1), "avg_line_bytes": round(size / n),
                               "repeats": repeats, "runs": {k: [] for k in KINDS}}
        for _ in range(repeats):
            for kind in KINDS:
                proc = subprocess.run([sys.executable, "-m", "tests.providers.bench_results", "_child", kind,
                                       str(path)], cwd=ROOT, capture_output=True, text=True, timeout=3600)
                if proc.returncode != 0:
                    raise RuntimeError(proc.stderr)
                out["runs"][kind].append(json.loads(proc.stdout.strip().splitlines()[-1]))
        for kind in KINDS:
            out[kind] = max(out["runs"][kind], key=lambda r: r["items_per_s"] or 0)
            out[kind]["all_items_per_s"] = [r["items_per_s"] for r in out["runs"][kind]]
        naive = out["naive"]["items_per_s"] or 1
        out["tracked_vs_naive"] = round(out["tracked"]["items_per_s"] / naive, 2)
        out["submitted_vs_naive"] = round(out["submitted"]["items_per_s"] / naive, 2)
        raw = out["naive_raw"]["items_per_s"] or 1
        out["tracked_vs_naive_raw"] = round(out["tracked"]["items_per_s"] / raw, 2)
        out["submitted_vs_naive_raw"] = round(out["submitted"]["items_per_s"] / raw, 2)
        return out


def main(argv: list[str]) -> None:
    if argv and argv[0] == "_child":
        print(json.dumps(child(argv[1], Path(argv[2]))))
        return
    sizes = [int(a) for a in argv] or [200_000]
    for n in sizes:
        print(json.dumps(bench_result_ingest(n), indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
