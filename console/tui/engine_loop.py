"""One background event loop, in its own thread, where every engine coroutine runs.

Why not the UI loop: the engine writes SQLite synchronously (ingesting 50,000 results would
freeze the screen). Why not `asyncio.run` per action: the engine caches one SDK client per
event loop, so a loop per action would leak a connection pool each time. One long-lived loop
keeps the clients warm, hosts the background sync (the console's, or the live demo's) too,
and is shut down when the app exits: first asked (`stopping` is set, so a sync loop ends its
pass and releases the store's lease), then, past STOP_GRACE, cancelled; clients closed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any

STOP_GRACE = 3.0
"""Seconds the tasks get to end by themselves once `stopping` is set, before being cancelled.
Asking first means a library that swallows a cancellation cannot keep a sync loop running
after quit; cancelling after means a pass stuck on a provider cannot keep the terminal."""


class EngineLoop:
    """A daemon thread running an asyncio loop; `submit` schedules a coroutine on it."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.stopping = asyncio.Event()
        """Set (on the loop) when the app exits: long-running tasks watch it and return.
        Created unbound: it binds to the engine loop when first awaited there."""

    def start(self) -> EngineLoop:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="batchdeck-engine", daemon=True)
            self._thread.start()
            self._ready.wait()
        return self

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self._ready.set()
        self.loop.run_forever()
        self.loop.close()

    def submit(self, coro: Coroutine[Any, Any, Any]) -> Future[Any]:
        """Run `coro` on the engine loop; the returned future can be awaited via wrap_future."""
        self.start()
        assert self.loop is not None

        async def tracked() -> Any:
            task = asyncio.current_task()
            assert task is not None
            self._tasks.add(task)
            try:
                return await coro
            finally:
                self._tasks.discard(task)

        return asyncio.run_coroutine_threadsafe(tracked(), self.loop)

    async def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Await `coro` from another loop (the UI's) while it runs on the engine loop."""
        return await asyncio.wrap_future(self.submit(coro))

    def stop(self, engine: Any = None, timeout: float = 5.0, grace: float = STOP_GRACE) -> None:
        """Ask what still runs to stop (`stopping`), cancel what has not after `grace` seconds,
        close the engine's clients, stop the thread."""
        if self.loop is None or self._thread is None:
            return
        loop = self.loop

        async def shutdown() -> None:
            self.stopping.set()
            tasks = list(self._tasks)
            if tasks:
                _, late = await asyncio.wait(tasks, timeout=grace)
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
            if engine is not None and hasattr(engine, "aclose"):
                try:
                    await engine.aclose()
                except Exception:  # noqa: BLE001 - closing is best effort on exit
                    pass

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout + grace)
        except Exception:  # noqa: BLE001 - a stuck task must not keep the terminal hostage
            pass
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout)
        self._thread = None
        self.stopping = asyncio.Event()  # a fresh one, should the loop be started again
