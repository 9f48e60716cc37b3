"""Entry point of the console: open the store, build the engine, run the app.

Imported only when the console is asked for, so `batchdeck --help` never loads Textual.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def main(db_path: str | None, *, read_only: bool, utc: bool, bell: bool = False) -> int:
    """Run the console on the store at `db_path` (or the default); returns an exit code.

    The config file's `read_only = true` makes the console read-only even without the flag;
    its `[ui]` table sets the expiry warning threshold and the bell.
    """
    from console.compose import build_engine, load_config, open_store
    from store.config import ConfigError
    from store.store import StoreError

    try:
        config = load_config()
        store = open_store(db_path)
    except (StoreError, ConfigError) as exc:
        print(f"batchdeck: {exc}", file=sys.stderr)
        return 2
    read_only = read_only or bool(config.read_only)

    def make_engine():
        return build_engine(store, config=config, read_only=read_only)

    try:
        return run(store, read_only=read_only, utc=utc, engine=make_engine,
                   bell=bell or config.ui.bell, expiry_warn=config.ui.expiry_warning_hours * 3600,
                   syncs=True)
    finally:
        store.close()


def run(store, *, read_only: bool, utc: bool, engine, bell: bool = False, clock=None,
        background=None, title: str | None = None, expiry_warn: float | None = None,
        syncs: bool = False) -> int:
    """Run the app on an open store (see `build_app`); returns an exit code."""
    app = build_app(store, read_only=read_only, utc=utc, engine=engine, bell=bell, clock=clock,
                    background=background, title=title, expiry_warn=expiry_warn, syncs=syncs)
    result = app.run()
    return int(result or 0)


def build_app(store, *, read_only: bool, utc: bool, engine, bell: bool = False, clock=None,
              background=None, title: str | None = None, expiry_warn: float | None = None,
              syncs: bool = False):
    """The app on an open store. `engine` is an Engine or a factory for one; `background`,
    called with the engine loop's stop event, makes a coroutine run on the engine thread while
    the app is up (the demo's sync loop); `syncs` keeps the store current in the background
    unless another process syncs it."""
    from console.tui.app import BatchdeckApp

    extra: dict[str, Any] = {} if expiry_warn is None else {"expiry_warn": expiry_warn}
    app = BatchdeckApp(store, engine=engine, read_only=read_only, utc=utc, clock=clock,
                       bell=bell or os.environ.get("BATCHDECK_BELL") == "1", **extra)
    if title:
        app.title = title
    if background is not None:
        app.background = background
    app.syncs = syncs
    return app
