"""Where batchdeck keeps its files: the database and the user config file.

Precedence for the database is: an explicit path (`--db`), then `BATCHDECK_DB`, then
`$XDG_DATA_HOME/batchdeck/batchdeck.db`, then `~/.local/share/batchdeck/batchdeck.db`.
The config file follows the same idea with `BATCHDECK_CONFIG` and `$XDG_CONFIG_HOME`.
Standard library only, and nothing here touches the disk.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

APP_DIR = "batchdeck"
DB_FILE = "batchdeck.db"
CONFIG_FILE = "config.toml"


def _xdg_dir(env: Mapping[str, str], var: str, fallback: tuple[str, ...]) -> Path:
    # The XDG spec says a relative value is invalid and must be ignored.
    value = env.get(var, "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home().joinpath(*fallback)


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_DATA_HOME/batchdeck`, or `~/.local/share/batchdeck`."""
    env = os.environ if env is None else env
    return _xdg_dir(env, "XDG_DATA_HOME", (".local", "share")) / APP_DIR


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/batchdeck`, or `~/.config/batchdeck`."""
    env = os.environ if env is None else env
    return _xdg_dir(env, "XDG_CONFIG_HOME", (".config",)) / APP_DIR


def db_path(explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The database file to open: explicit path > BATCHDECK_DB > XDG data dir."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser()
    if env.get("BATCHDECK_DB"):
        return Path(env["BATCHDECK_DB"]).expanduser()
    return data_dir(env) / DB_FILE


def config_path(explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The config file to read: explicit path > BATCHDECK_CONFIG > XDG config dir."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser()
    if env.get("BATCHDECK_CONFIG"):
        return Path(env["BATCHDECK_CONFIG"]).expanduser()
    return config_dir(env) / CONFIG_FILE
