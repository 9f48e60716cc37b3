"""`batchdeck demo`: emulator + engine + console on a demo database of its own.

Starts the provider emulator in this process at a compressed clock, points the engine at it
with throwaway keys (environment of this process only), submits the demo fleet through the
Engine into a fresh database under a temporary folder (never the user's), runs the sync loop
on the console's engine thread, and opens the console. Quitting stops all of it and removes
the folder (unless --keep).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from console.demo.fleet import TONIGHT, YESTERDAY, DemoBatch, H, write_requests
from console.tui.clock import Clock


def demo_env(emulator: Any) -> dict[str, str]:
    """Throwaway keys and the emulator's base URL for every provider in the demo fleet."""
    from adapters import registry

    env: dict[str, str] = {}
    for name in sorted({spec.provider for spec in (*YESTERDAY, *TONIGHT)}):
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


async def tonight(engine: Any, emulator: Any, folder: Path, clock: EmulatedClock) -> None:
    """Submit tonight's wave, then keep the store in sync until the console quits."""
    for spec in TONIGHT:
        await submit(engine, emulator, spec, folder, clock.now())
        await engine.sync_once(force=True)
    await engine.sync_forever()


def run_demo(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from adapters.emulator import EmulatorServer
    from console.compose import build_engine
    from store.store import Store

    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="batchdeck-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    saved_env: dict[str, str | None] = {}
    say = lambda text: print(f"batchdeck demo: {text}", file=sys.stderr, flush=True)  # noqa: E731
    emulator = store = None
    try:
        say("starting the provider emulator (127.0.0.1, no network, no real keys)…")
        emulator = EmulatorServer(seed=args.seed, speed=0.0, start_time=time.time() - 26 * H).start()
        env = demo_env(emulator)
        saved_env = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        store = Store.open(folder / "demo.db")
        clock = EmulatedClock(emulator, 0.0)
        engine = build_engine(store, actor="demo@batchdeck", clock=clock.now)

        async def yesterday() -> None:
            for spec in YESTERDAY:
                await submit(engine, emulator, spec, folder, clock.now())
            emulator.advance(23 * H)  # a day passes: support-triage finishes; doc-summaries has ~1 h left
            clock.set_speed(0.0)
            await engine.sync_once(force=True)
            await engine.sync_once(force=True)
            await engine.aclose()

        say(f"submitting yesterday's batches into {folder / 'demo.db'}…")
        asyncio.run(yesterday())
        emulator.set_speed(args.speed)
        clock.set_speed(args.speed)
        say(f"opening the console; the emulated clock runs {args.speed:g}x. q quits and stops everything.")
        from console.tui.run import run

        return run(store, read_only=args.read_only, utc=args.utc, engine=engine, clock=clock,
                   background=lambda: tonight(engine, emulator, folder, clock),
                   title="batchdeck demo")
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
        if not args.keep and not args.dir:
            shutil.rmtree(folder, ignore_errors=True)
        elif args.keep or args.dir:
            say(f"demo database kept at {folder / 'demo.db'}")
