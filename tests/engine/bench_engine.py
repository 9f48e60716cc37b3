"""Engine benchmarks against the emulator (not timed tests; `python -m tests.engine.bench_engine`).

Each function returns a dict of measured figures. The emulator runs in its own process so it
never competes with the engine for the GIL; ingest runs in a fresh child process so its peak
RSS is the engine's alone.

    bench_ingest(n)          submit n items, end them, then time one `sync --once` that
                             downloads, parses and stores every result (items/s, peak RSS)
    bench_ingest_ceiling(n)  the same, each batch in its own process and store copy at once:
                             the most this machine allows for today's per-line work
    bench_sync(n_batches)    one `sync --once` pass over n in-flight batches (half OpenAI,
                             half Anthropic)
    bench_promote(n, 0.1)    promote n pending items at concurrency 32 with 10% of calls 429
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _emulator(**kw: Any) -> Any:
    from adapters.emulator.server import EmulatorServer

    return EmulatorServer(seed=11, speed=0, use_subprocess=True, **kw).start()


def _engine(store: Any, emu: Any, **kw: Any) -> Any:
    import adapters
    from console.engine.service import Engine

    def factory(provider: str, profile: str | None) -> Any:
        base = emu.base_url_openai if provider == "openai" else emu.base_url_anthropic
        return adapters.get_adapter(provider, api_key="bench", base_url=base)

    engine = Engine(store, None, adapter_factory=factory, actor="bench@host", **kw)
    return engine


def _write_requests(path: Path, n: int, provider: str) -> None:
    with open(path, "w") as f:
        for i in range(n):
            text = f"Write two sentences about item {i} of the benchmark."
            if provider == "openai":
                row = {"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions",
                       "body": {"model": "gpt-6-luna", "max_tokens": 120,
                                "messages": [{"role": "user", "content": text}]}}
            else:
                row = {"custom_id": f"r{i}", "params": {"model": "claude-haiku-5-5", "max_tokens": 120,
                                                        "messages": [{"role": "user", "content": text}]}}
            f.write(json.dumps(row) + "\n")


# ---- ingest -------------------------------------------------------------------------
@contextlib.contextmanager
def _ended_job(n: int, provider: str) -> Iterator[tuple[Any, Path, Any, float]]:
    """n requests submitted as one job and ended in the emulator, its store closed:
    (emulator, store path, submit result, submit seconds)."""
    from store import Store

    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    db = tmp / "bench.db"
    with _emulator() as emu:
        store = Store.open(db)
        engine = _engine(store, emu)
        src = tmp / "in.jsonl"
        _write_requests(src, n, provider)
        t0 = time.perf_counter()

        async def submit() -> Any:
            try:
                return await engine.submit(src, provider=provider)
            finally:
                await engine.aclose()

        result = asyncio.run(submit())
        submit_s = time.perf_counter() - t0
        store.close()
        emu.advance(30 * 3600)
        # A provider writes a batch's output file while the batch finalizes; the emulator
        # writes it when first asked. Ask before the clock starts, so the figure is our
        # download + parse + store, not the emulator's text generation.
        emu.finalize()
        yield emu, db, result, submit_s


def _child(db: Path, base: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.engine.bench_engine", "_ingest_child", str(db), base],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _figures(child: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = child.communicate(timeout=3600)
    if child.returncode != 0:
        raise RuntimeError(err)
    return json.loads(out.strip().splitlines()[-1])


def bench_ingest(n: int, provider: str = "openai") -> dict[str, Any]:
    """Items/s and peak RSS of downloading + parsing + storing n results end to end."""
    with _ended_job(n, provider) as (emu, db, result, submit_s):
        figures = _figures(_child(db, emu.base_url))
    figures.update(items=n, batches=len(result.batch_ids), submit_seconds=round(submit_s, 2),
                   provider=provider)
    return figures


def bench_ingest_ceiling(n: int, provider: str = "openai") -> dict[str, Any]:
    """What this machine allows for today's per-line work, with nothing shared.

    Each batch of the job is ingested by a process of its own, all at the same time, each into
    its own copy of the store (where the other batches are marked done): no SQLite writer lock,
    no GIL and no store are shared. Items/s over the slowest process bounds what any split of
    the download, parse and write across processes could reach on this machine."""
    import sqlite3

    with _ended_job(n, provider) as (emu, db, result, _):
        ids = result.batch_ids
        copies = []
        for bid in ids:
            d = db.parent / f"alone-{bid}"
            d.mkdir()
            shutil.copy(db, d / db.name)
            with contextlib.closing(sqlite3.connect(d / db.name)) as conn, conn:
                conn.execute("UPDATE batches SET status = 'completed', ingested_at = 0 WHERE id != ?", (bid,))
            copies.append(d / db.name)
        t0 = time.perf_counter()
        children = [_child(c, emu.base_url) for c in copies]
        each = [_figures(c) for c in children]
        wall = time.perf_counter() - t0
    lines = sum(f["lines"] for f in each)
    slowest = max(f["seconds"] for f in each)
    return {"items": n, "lines": lines, "processes": len(each), "cpus": os.cpu_count(),
            "seconds": slowest, "items_per_s": round(lines / slowest) if slowest else None,
            "each_s": [f["seconds"] for f in each], "each_cpu_s": [f["cpu_s"] for f in each],
            "wall_with_start_up_s": round(wall, 3)}


def _ingest_child(db: str, base: str) -> None:
    import adapters
    from console.engine.service import Engine
    from store import Store

    store = Store.open(db)

    def factory(provider: str, profile: str | None) -> Any:
        return adapters.get_adapter(provider, api_key="bench",
                                    base_url=base + "/v1" if provider == "openai" else base)

    engine = Engine(store, None, adapter_factory=factory, actor="bench@host")
    import anthropic  # noqa: F401 - import cost is start-up, not throughput
    import openai  # noqa: F401

    rss0 = _hwm_mb()

    async def go() -> Any:
        try:
            return await engine.sync_once()
        finally:
            await engine.aclose()

    t0, cpu0 = time.perf_counter(), os.times()
    report = asyncio.run(go())
    seconds = time.perf_counter() - t0
    cpu = os.times()
    lines = sum(report.ingested.values())
    rss = _hwm_mb()
    size = sum(p.stat().st_size for p in Path(db).parent.rglob("results-*.jsonl"))
    phases = [e.details for e in store.events(action="ingest")]
    print(json.dumps({"seconds": round(seconds, 3), "lines": lines,
                      "items_per_s": round(lines / seconds) if seconds else None,
                      "results_mb": round(size / 1e6, 1),
                      "peak_rss_mb": rss, "rss_before_mb": rss0,
                      "cpu_s": round(cpu.user + cpu.system - cpu0.user - cpu0.system, 3),
                      "download_s": [p.get("download_s") for p in phases],
                      "store_ingest_s": [p.get("ingest_s") for p in phases],
                      "phases": phases,
                      "errors": report.errors}))


def _hwm_mb() -> float:
    """Peak resident memory of this process (VmHWM; unlike ru_maxrss it resets at exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# ---- sync ---------------------------------------------------------------------------
def bench_sync(n_batches: int) -> dict[str, Any]:
    """Seconds of one `sync --once` pass over n in-flight batches (all polled)."""
    from adapters.base import BatchRequest
    from store import Store

    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    with _emulator() as emu:
        store = Store.open(tmp / "bench.db")
        engine = _engine(store, emu)

        async def create() -> None:
            sem = asyncio.Semaphore(32)
            now = time.time()

            async def one(i: int) -> None:
                provider = "openai" if i % 2 == 0 else "anthropic"
                body = ({"model": "gpt-6-luna", "messages": [{"role": "user", "content": "hi"}]}
                        if provider == "openai" else
                        {"model": "claude-haiku-5-5", "max_tokens": 50,
                         "messages": [{"role": "user", "content": "hi"}]})
                endpoint = "/v1/chat/completions" if provider == "openai" else "/v1/messages"
                async with sem:
                    remote = await engine.adapter(provider).create_batch(
                        [BatchRequest(f"c{j}", body) for j in range(3)], endpoint=endpoint,
                        model=None, metadata={})
                store.upsert_tracked(remote, profile="default", now=now)

            await asyncio.gather(*(one(i) for i in range(n_batches)))

        async def sync() -> Any:
            try:
                await create()
                emu.advance(60)
                t0 = time.perf_counter()
                report = await engine.sync_once()
                return report, time.perf_counter() - t0
            finally:
                await engine.aclose()

        report, seconds = asyncio.run(sync())
        store.close()
    return {"batches": n_batches, "polled": report.polled, "seconds": round(seconds, 3),
            "polls_per_s": round(report.polled / seconds), "errors": len(report.errors)}


# ---- promote ------------------------------------------------------------------------
def bench_promote(n: int = 1000, rate_429: float = 0.1, concurrency: int = 32,
                  retry_after: float = 1.0) -> dict[str, Any]:
    """Seconds to promote n pending items at `concurrency` with a share of calls answered 429."""
    from store import Store

    tmp = Path(tempfile.mkdtemp(prefix="bench-promote-"))
    with _emulator() as emu:
        store = Store.open(tmp / "bench.db")
        engine = _engine(store, emu)
        src = tmp / "in.jsonl"
        _write_requests(src, n, "openai")

        async def go() -> Any:
            try:
                result = await engine.submit(src, provider="openai")
                emu.set_faults(http_429_rate=rate_429, retry_after=retry_after)
                t0 = time.perf_counter()
                promoted = await engine.promote(result.batch_ids[0], tier="standard", concurrency=concurrency)
                return promoted, time.perf_counter() - t0
            finally:
                await engine.aclose()

        promoted, seconds = asyncio.run(go())
        store.close()
    return {"items": n, "concurrency": concurrency, "http_429_rate": rate_429, "retry_after": retry_after,
            "promoted": promoted.promoted, "failed": len(promoted.failed), "retries": promoted.retries,
            "seconds": round(seconds, 3)}


def main(argv: list[str]) -> None:
    if argv and argv[0] == "_ingest_child":
        _ingest_child(argv[1], argv[2])
        return
    which = argv[0] if argv else "all"
    if which in ("all", "ingest"):
        sizes = [int(x) for x in argv[1:]] if which == "ingest" and len(argv) > 1 else [10_000, 100_000]
        for n in sizes:
            print("ingest", json.dumps(bench_ingest(n)), flush=True)
    if which in ("all", "sync"):
        for n in ([int(x) for x in argv[1:]] if which == "sync" and len(argv) > 1 else [100, 1000]):
            print("sync", json.dumps(bench_sync(n)), flush=True)
    if which in ("all", "promote"):
        print("promote", json.dumps(bench_promote()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
