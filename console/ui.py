"""Entry point of the console: open the store, build the engine, run the app.

Imported only when the console is asked for, so `batchdeck --help` never loads Textual.
"""

from __future__ import annotations

import os
import sys


def main(db_path: str | None, *, read_only: bool, utc: bool, bell: bool = False) -> int:
    """Run the console on the store at `db_path` (or the default); returns an exit code."""
    from store.store import Store, StoreError

    try:
        store = Store.open(db_path)
    except StoreError as exc:
        print(f"batchdeck: {exc}", file=sys.stderr)
        return 2
    try:
        return run(store, read_only=read_only, utc=utc, bell=bell)
    finally:
        store.close()


def run(store, *, read_only: bool, utc: bool, bell: bool = False, engine=None,
        title: str | None = None) -> int:
    """Run the app on an open store (the demo passes its own engine)."""
    from console.app import BatchdeckApp

    def make_engine():
        from console.engine import Engine

        config = _load_config()
        return Engine(store, config, read_only=read_only)

    app = BatchdeckApp(store, engine=engine or make_engine, read_only=read_only, utc=utc,
                       bell=bell or os.environ.get("BATCHDECK_BELL") == "1")
    if title:
        app.title = title
    result = app.run()
    return int(result or 0)


def _load_config():
    """The user's config if the store package provides a loader, else defaults."""
    try:
        from store.config import load_config  # type: ignore[import-not-found]
    except ImportError:
        return None
    return load_config()
