"""`batchdeck demo`: emulator + engine + console on a demo database of its own.

Starts the provider emulator in this process at a compressed clock, points the engine at it
with throwaway keys (environment of this process only), submits the demo fleet through the
Engine into a fresh database under a temporary folder (never the user's), runs the sync loop
on the console's engine thread, and opens the console. Quitting stops all of it and removes
the folder (unless --keep).

The sync loop holds the store's lease like any console's, so the header shows the live
heartbeat ("synced 1s ago") and turns to a warning if the emulator dies. The emulated clock
runs 60x, but the lease and heartbeat are real seconds (Engine.heartbeat_clock, Clock.wall):
a process is alive in real time, and "synced 1 min ago" must not mean one real second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.demo.fleet import TONIGHT, YESTERDAY, DemoBatch, H, write_requests
from console.tui.clock import Clock

if TYPE_CHECKING:  # pragma: no cover
    from console.compose import Engine
    from console.tui.app import BatchdeckApp
    from store.store import Store


def demo_env(emulator: Any, fleet: Sequence[DemoBatch] = (*YESTERDAY, *TONIGHT)) -> dict[str, str]:
    """Throwaway keys and the emulator's base URL for every provider in the demo fleet."""
    from adapters import registry

    env: dict[str, str] = {}
    for name in sorted({spec.provider for spec in fleet}):
        spec = registry.get(name)
        env[spec.key_env] = f"demo-throwaway-{name}"
        env[spec.base_url_env] = emulator.base_url_for(name)
    return env


class EmulatedClock(Clock):
    """The emulator's clock, read over its admin API every few seconds and extrapolated."""

    def __init__(self, emulator: Any, speed: float) -> None:
        super().__init__()
        self.emulator, self.speed = emulator, speed
        self._sync()

    def _sync(self) -> None:
        self._real, self._emulated = time.time(), float(self.emulator.now())

    def set_speed(self, speed: float) -> None:
        self._sync()
        self.speed = speed

    def now(self) -> float:
        if time.time() - self._real > 5:
            try:
                self._sync()
            except Exception:  # noqa: BLE001 - keep extrapolating if the admin call fails
                pass
        return self._emulated + (time.time() - self._real) * self.speed

    def wall(self) -> float:
        """Real time: the lease and heartbeat are real seconds whatever the emulated speed."""
        return time.time()

    __call__ = now


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="batchdeck demo", description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=60.0,
                        help="emulated seconds per real second (default 60: a minute per second)")
    parser.add_argument("--seed", type=int, default=7, help="emulator seed (same seed, same fleet)")
    parser.add_argument("--dir", help="keep the demo database here instead of a temporary folder")
    parser.add_argument("--keep", action="store_true", help="do not delete the demo folder on exit")
    parser.add_argument("--read-only", action="store_true", help="open the console read-only")
    parser.add_argument("--utc", action="store_true", help="show times in UTC")
    return parser.parse_args(argv or [])


async def submit(engine: Any, emulator: Any, spec: DemoBatch, folder: Path, now: float) -> list[int]:
    path = write_requests(spec, folder)
    deadline = now + spec.deadline_in if spec.deadline_in else None
    result = await engine.submit(path, provider=spec.provider, label=spec.label, deadline=deadline)
    for provider_id in result.provider_batch_ids:
        if provider_id and spec.faults:
            emulator.batch_faults(provider_id, **spec.faults)
    return result.batch_ids


async def tonight(engine: Any, emulator: Any, folder: Path, clock: EmulatedClock, stop: asyncio.Event,
                  wave: Sequence[DemoBatch] = TONIGHT) -> None:
    """Keep the store in sync, holding its lease, until `stop` is set (the console quits: the
    pass ends, the lease is released, the task returns), and submit tonight's wave meanwhile.
    The loop runs from the start, so the header's heartbeat is live while the wave goes in;
    each new batch is polled on the loop's next pass (about a real second apart here)."""
    syncing = asyncio.create_task(engine.sync_forever(lease=True, stop=stop))
    try:
        for spec in wave:
            if stop.is_set() or syncing.done():
                break
            await submit(engine, emulator, spec, folder, clock.now())
        await syncing  # returns once `stop` is set (or raises what stopped the loop)
    except BaseException:
        syncing.cancel()  # a failed submit, or shutdown past its grace: the loop goes too
        raise


@dataclass
class DemoSession:
    """A running demo: its emulator, store, engine and emulated clock, and where it lives."""

    folder: Path
    emulator: Any
    store: Store
    engine: Engine
    clock: EmulatedClock
    tonight: Sequence[DemoBatch]

    def app(self, *, read_only: bool = False, utc: bool = False) -> BatchdeckApp:
        """The console over the demo store, syncing tonight's wave in the background."""
        from console.tui.run import build_app

        return build_app(self.store, read_only=read_only, utc=utc, engine=self.engine, clock=self.clock,
                         background=lambda stop: tonight(self.engine, self.emulator, self.folder, self.clock,
                                                         stop, self.tonight),
                         title="batchdeck demo")


@contextmanager
def demo_session(folder: Path, *, seed: int = 7, speed: float = 60.0,
                 yesterday_wave: Sequence[DemoBatch] = YESTERDAY, tonight_wave: Sequence[DemoBatch] = TONIGHT,
                 say: Any = None) -> Iterator[DemoSession]:
    """Start the emulator a day in the past, submit yesterday's wave and let a day pass, then
    run the clocks at `speed`; stops the emulator and restores the environment on exit."""
    from adapters.emulator import EmulatorServer
    from console.compose import build_engine
    from store.store import Store

    say = say or (lambda text: None)
    saved_env: dict[str, str | None] = {}
    emulator = store = None
    try:
        say("starting the provider emulator (127.0.0.1, no network, no real keys)…")
        emulator = EmulatorServer(seed=seed, speed=0.0, start_time=time.time() - 26 * H).start()
        env = demo_env(emulator, (*yesterday_wave, *tonight_wave))
        saved_env = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        store = Store.open(folder / "demo.db")
        clock = EmulatedClock(emulator, 0.0)
        engine = build_engine(store, actor="demo@batchdeck", clock=clock.now, heartbeat_clock=clock.wall)

        async def yesterday() -> None:
            for spec in yesterday_wave:
                await submit(engine, emulator, spec, folder, clock.now())
            emulator.advance(23 * H)  # a day passes: support-triage finishes; doc-summaries has ~1 h left
            clock.set_speed(0.0)
            await engine.sync_once(force=True)
            await engine.sync_once(force=True)
            await engine.aclose()

        say(f"submitting yesterday's batches into {folder / 'demo.db'}…")
        asyncio.run(yesterday())
        emulator.set_speed(speed)
        clock.set_speed(speed)
        # The sync loop runs while tonight's wave is uploaded: it must not take a submission
        # still in flight for a lost one and send it again. Its grace is in the engine's
        # (emulated) seconds; at `speed` it would be a real second, shorter than uploading
        # 50,000 lines. Scaled, it is the same real minute as on a live console.
        engine.intent_grace *= max(1.0, speed)
        yield DemoSession(folder, emulator, store, engine, clock, tonight_wave)
    finally:
        if store is not None:
            store.close()
        if emulator is not None:
            emulator.stop()
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_demo(argv: list[str] | None = None) -> int:
    args = parse(argv)
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="batchdeck-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    say = lambda text: print(f"batchdeck demo: {text}", file=sys.stderr, flush=True)  # noqa: E731
    try:
        with demo_session(folder, seed=args.seed, speed=args.speed, say=say) as session:
            say(f"opening the console; the emulated clock runs {args.speed:g}x. q quits and stops everything.")
            app = session.app(read_only=args.read_only, utc=args.utc)
            return int(app.run() or 0)
    finally:
        if not args.keep and not args.dir:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            say(f"demo database kept at {folder / 'demo.db'}")
