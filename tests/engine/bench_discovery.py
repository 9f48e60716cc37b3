"""Benchmark: a sync pass with account discovery over an account whose batches are all known.

Sets up `n` batches in the emulator (its own process) through the Anthropic SDK, lets a first
discovery pass learn them all (reported as the first listing), then creates 3 more and times
one long-running-loop sync pass (`force=False`; no known batch is due for a poll, as between
the adaptive intervals) with discovery on: it must list only the new page, one provider call.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.engine.bench_engine import _emulator, _engine

NEW = 3


def bench_discovery(n_known: int) -> dict[str, Any]:
    from adapters.base import BatchRequest
    from console.engine.discover import DISCOVER_INTERVAL
    from store import Store

    tmp = Path(tempfile.mkdtemp(prefix="bench-discovery-"))
    with _emulator() as emu:
        store = Store.open(tmp / "bench.db")
        engine = _engine(store, emu)
        engine.config = {"profiles": {"ops": {"provider": "anthropic", "api_key": "bench"}}}
        body = {"model": "claude-haiku-5-5", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}

        async def create(count: int) -> None:
            sem = asyncio.Semaphore(32)
            adapter = engine.adapter("anthropic", "ops")

            async def one() -> None:
                async with sem:
                    await adapter.create_batch([BatchRequest("c0", body)], endpoint="/v1/messages",
                                               model=None, metadata={})

            await asyncio.gather(*(one() for _ in range(count)))

        async def run() -> dict[str, Any]:
            try:
                await create(n_known)
                t0 = time.perf_counter()
                first = await engine.sync_once(force=True)
                first_s = time.perf_counter() - t0
                emu.advance(1)
                await create(NEW)
                # Between adaptive intervals: no known batch is due, discovery is.
                far = engine.clock() + 3600
                engine.next_poll = {b.id: far for b in store.list_batches()}
                engine.next_discovery = engine.clock() - DISCOVER_INTERVAL
                t0 = time.perf_counter()
                report = await engine.sync_once(force=False)
                seconds = time.perf_counter() - t0
                return {"known": len(first.discovered), "first_list_calls": first.list_calls,
                        "first_listing_s": round(first_s, 3), "list_calls": report.list_calls,
                        "discovered": len(report.discovered), "polled": report.polled,
                        "seconds": round(seconds, 3), "errors": len(report.errors) + len(report.account_errors)}
            finally:
                await engine.aclose()

        figures = asyncio.run(run())
        store.close()
    return figures
