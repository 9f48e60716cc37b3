"""The one composition root: where the engine is built, for both front ends.

The command line, the Textual console and the demo all get their `Engine` here, so every
rule that decides how an engine behaves — read-only from the flag *or* the config file, the
profile, the actor named in the audit log — is applied in one place and cannot drift between
front ends (that drift once let `read_only = true` stop the console but not `cancel --yes`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store and engine load on first use: `batchdeck --help` stays light
    from console.engine.service import Engine
    from store.config import Config
    from store.store import Store


def load_config() -> Config:
    """The operator's config (file and environment), or the defaults when there is none."""
    from store.config import load_config as load

    return load()


def known_secrets() -> tuple[str, ...]:
    """Every API key this process could use (the providers' key variables and the config's
    profiles), for redacting them from what is printed. Never raises: a broken config file
    is reported elsewhere."""
    import os

    from console.engine.providers import key_variables

    keys = [os.environ.get(var) for var in key_variables()]
    try:
        for profile in load_config().profiles.values():
            keys.append(profile.api_key)
            if profile.api_key_env:
                keys.append(os.environ.get(profile.api_key_env))
    except Exception:  # noqa: BLE001 - redaction must not fail the error report it protects
        pass
    return tuple(k for k in keys if k)


def open_store(db: str | Path | None) -> Store:
    """The store at `db`, or the default path."""
    from store.store import Store

    return Store.open(db)


def build_engine(
    store: Store,
    *,
    config: Config | None = None,
    read_only: bool = False,
    profile: str | None = None,
    actor: str | None = None,
    clock: Callable[[], float] = time.time,
    heartbeat_clock: Callable[[], float] | None = None,
) -> Engine:
    """The engine over `store`. Read-only if the flag says so or the config does.
    `heartbeat_clock`: real time for the lease and heartbeat when `clock` is emulated (demo)."""
    from console.engine.service import Engine

    read_only = read_only or bool(config is not None and config.read_only)
    return Engine(store, config, read_only=read_only, profile=profile, actor=actor, clock=clock,
                  heartbeat_clock=heartbeat_clock)
