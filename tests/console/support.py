"""Shared by the console's Pilot tests, snapshot tests, screenshots and benchmark.

The demo fleet is seeded once per session into a template file; each test gets its own copy
(results files stay in the template's folder and are only read), so tests never share state.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from console.tui.app import BatchdeckApp
from console.tui.clock import DEMO_NOW, Clock

SIZE = (100, 32)
TESTER = "tester@console-tests"


def build_template(folder: Path, *, big: int | None = None) -> Path:
    """Seed the demo fleet into `folder/demo.db` and close it (WAL checkpointed)."""
    from console.demo.seed import seed
    from store.store import Store

    if folder.exists():  # always a fresh seed: same arguments, same bytes
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    path = folder / "demo.db"
    store = Store.open(path)
    try:
        seed(store, big=big)
    finally:
        store.close()
    return path


def open_copy(template: Path, folder: Path) -> Any:
    """A private, writable copy of the template store."""
    from store.store import Store

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "demo.db"
    shutil.copyfile(template, target)
    return Store.open(target)


def make_engine(store: Any, *, read_only: bool = False) -> Any:
    from console.engine import Engine

    return Engine(store, read_only=read_only, actor=TESTER, clock=lambda: DEMO_NOW)


def make_app(store: Any, *, read_only: bool = False, engine: Any = None, **kwargs: Any) -> BatchdeckApp:
    """The app at the frozen demo instant, UTC, refresh ticks off (tests drive reloads)."""
    return BatchdeckApp(store, engine=engine or (lambda: make_engine(store, read_only=read_only)),
                        clock=Clock(DEMO_NOW), read_only=read_only, utc=True,
                        refresh_interval=None, **kwargs)


async def settle(pilot: Any, *, actions: bool = False) -> None:
    """Wait for store reads (and engine actions, if asked) to finish and the screen to paint."""
    app = pilot.app
    for _ in range(500):
        await pilot.pause()
        busy = [w for w in app.workers if w.is_running and (actions or w.group != "action")]
        if not busy:
            break
        await asyncio.sleep(0.01)
    await pilot.pause()


async def press(pilot: Any, *keys: str) -> None:
    """Press keys one at a time, letting each one's store reads land before the next."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def screen_text(app: Any) -> str:
    """What the terminal shows, as plain text (for asserting on words, not pixels)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()
