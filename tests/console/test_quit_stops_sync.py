"""Quitting the console stops its background sync by asking, not only by cancelling: the loop
ends its pass, releases the store's lease and the app exits promptly; a task that swallows a
cancellation (as a library once did under `batchdeck sync`) still ends (issue 14)."""

from __future__ import annotations

import asyncio
import threading
import time

import adapters
from console.engine.service import Engine
from console.tui.app import BatchdeckApp
from console.tui.clock import Clock
from console.tui.engine_loop import EngineLoop
from tests.console.test_live_sync import DEAD, T0, no_wait, store_with_a_pipeline_batch


class RecordingEngine(Engine):
    """The real engine, noting how its sync loop ended."""

    ended: str | None = None

    async def sync_forever(self, **kwargs):  # type: ignore[override]
        try:
            await super().sync_forever(**kwargs)
        except asyncio.CancelledError:
            self.ended = "cancelled"
            raise
        self.ended = "returned"


async def test_quit_ends_the_console_sync_by_its_stop_event_and_releases_the_lease(tmp_path):
    store = store_with_a_pipeline_batch(tmp_path / "quit.db")
    clock = Clock(T0)
    engine = RecordingEngine(store, None, clock=clock.now, sleep=no_wait, actor="ops@console",
                             adapter_factory=lambda provider, profile: adapters.get_adapter(
                                 provider, api_key="k", base_url=DEAD))
    app = BatchdeckApp(store, engine=engine, clock=clock, utc=True, refresh_interval=0.2)
    app.syncs = True
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(100):
                await pilot.pause(0.1)
                lease = store.read_lease()
                if lease is not None and lease.last_pass_at is not None:
                    break
            assert lease is not None and lease.who == "ops@console"
            await pilot.press("q")
            started = time.monotonic()
        assert time.monotonic() - started < 2.0  # no cancellation grace needed: it was asked
        assert engine.ended == "returned"
        assert store.read_lease() is None
    finally:
        store.close()


def test_a_task_that_swallows_its_cancellation_still_ends_when_the_loop_stops():
    loop = EngineLoop().start()
    ended = threading.Event()
    cancels: list[int] = []

    async def stubborn() -> None:
        stop = loop.stopping
        while not stop.is_set():
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:  # a library that swallows a cancellation
                cancels.append(1)
        ended.set()

    loop.submit(stubborn())
    time.sleep(0.1)
    started = time.monotonic()
    loop.stop(grace=1.0)
    assert ended.is_set() and not cancels  # asked, not cancelled
    assert time.monotonic() - started < 1.0


def test_a_task_that_ignores_the_stop_event_is_cancelled_after_the_grace():
    loop = EngineLoop().start()
    outcome: list[str] = []

    async def deaf() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise

    loop.submit(deaf())
    time.sleep(0.1)
    started = time.monotonic()
    loop.stop(grace=0.3)
    assert outcome == ["cancelled"]
    assert 0.3 <= time.monotonic() - started < 3.0
