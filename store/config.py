"""The user's config file: provider profiles, read-only mode, UI settings, price overrides.

Location: `BATCHDECK_CONFIG`, else `$XDG_CONFIG_HOME/batchdeck/config.toml` (fallback
`~/.config/batchdeck/config.toml`); a missing default file means defaults.

    read_only = false

    [profiles.prod]
    provider = "openai"
    base_url = "https://api.openai.com/v1"   # optional
    api_key_env = "OPENAI_PROD_KEY"          # or api_key = "sk-..." (file must be chmod 600)
    watch = true                             # sync discovers the account's new batches

    [ui]
    expiry_warning_hours = 3
    bell = false

    [[prices]]                               # same fields as store/prices.toml
    provider = "openai"
    model = "gpt-6-luna"
    input = 0.08
    output = 0.40

A file that holds an api_key and can be read by group or others is refused: the key would be
readable by other users of the machine. Keys live only in memory; nothing here is written to
the database.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store.alert_config import AlertConfigError, AlertsConfig, parse_alerts
from store.model import PriceRow
from store.paths import config_path
from store.prices import PriceBookError, row_from_mapping


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the fix."""


@dataclass(frozen=True, slots=True)
class Profile:
    """One provider account. `api_key` is hidden from repr()."""

    name: str
    provider: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    api_key_env: str | None = None
    watch: bool = True
    """Discover batches this account lists that the store does not know (every sync pass)."""


@dataclass(frozen=True, slots=True)
class UiConfig:
    expiry_warning_hours: float = 3.0
    """Highlight batches this close to their provider's 24 h expiry."""
    bell: bool = False
    """Ring the terminal bell when a batch fails or is at risk."""


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    exists: bool = False
    profiles: dict[str, Profile] = field(default_factory=dict)
    read_only: bool = False
    ui: UiConfig = field(default_factory=UiConfig)
    prices: tuple[PriceRow, ...] = ()
    label_keys: tuple[str, ...] | None = None
    """Metadata keys a tracked batch's label is read from (None: the engine's defaults)."""
    alerts: AlertsConfig | None = None
    """The [alerts] table (store/alert_config.py); None when the file has none: no alerts."""


_TOP_LEVEL = {"profiles", "read_only", "ui", "prices", "label_keys", "alerts"}
_PROFILE_KEYS = {"provider", "base_url", "api_key", "api_key_env", "watch"}
_UI_KEYS = {"expiry_warning_hours", "bell"}


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the config file (defaults if the default file does not exist)."""
    explicit = path is not None or bool(os.environ.get("BATCHDECK_CONFIG"))
    resolved = config_path(path)
    if not resolved.exists():
        if explicit:
            raise ConfigError(f"config file {resolved} does not exist; create it or unset BATCHDECK_CONFIG.")
        return Config(path=resolved)
    try:
        data = tomllib.loads(resolved.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{resolved} is not valid TOML ({exc}); fix that line.") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {resolved} ({exc.strerror}).") from exc
    return _parse(resolved, data)


def _parse(path: Path, data: dict[str, Any]) -> Config:
    unknown = set(data) - _TOP_LEVEL
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}.")
    profiles = {name: _profile(path, name, table) for name, table in _table(path, data, "profiles").items()}
    if any(p.api_key for p in profiles.values()):
        _refuse_if_shared(path)
    read_only = data.get("read_only", False)
    if not isinstance(read_only, bool):
        raise ConfigError(f"{path}: read_only must be true or false.")
    ui_table = _table(path, data, "ui")
    unknown = set(ui_table) - _UI_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown [ui] setting(s) {', '.join(sorted(unknown))}.")
    defaults = UiConfig()
    hours = ui_table.get("expiry_warning_hours", defaults.expiry_warning_hours)
    bell = ui_table.get("bell", defaults.bell)
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours < 0:
        raise ConfigError(f"{path}: [ui] expiry_warning_hours must be a number of hours.")
    if not isinstance(bell, bool):
        raise ConfigError(f"{path}: [ui] bell must be true or false.")
    raw_prices = data.get("prices", [])
    if not isinstance(raw_prices, list):
        raise ConfigError(f"{path}: prices must be written as [[prices]] tables.")
    try:
        prices = tuple(
            row_from_mapping(t, where=f"{path} [[prices]] #{i + 1}") for i, t in enumerate(raw_prices)
        )
    except (PriceBookError, TypeError) as exc:
        raise ConfigError(str(exc)) from exc
    label_keys = data.get("label_keys")
    if label_keys is not None and (not isinstance(label_keys, list) or not label_keys
                                   or not all(isinstance(k, str) and k for k in label_keys)):
        raise ConfigError(f"{path}: label_keys must be a list of metadata key names, e.g. [\"job\", \"name\"].")
    alerts = None
    if "alerts" in data:
        try:
            alerts = parse_alerts(path, data["alerts"])
        except AlertConfigError as exc:
            raise ConfigError(str(exc)) from exc
        if alerts.has_literal_targets():
            _refuse_if_shared(path, "an alert target")
    return Config(path=path, exists=True, profiles=profiles, read_only=read_only,
                  ui=UiConfig(float(hours), bell), prices=prices,
                  label_keys=tuple(label_keys) if label_keys else None, alerts=alerts)


def _table(path: Path, data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{name}] must be a table.")
    return value


def _profile(path: Path, name: str, table: Any) -> Profile:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [profiles.{name}] must be a table.")
    unknown = set(table) - _PROFILE_KEYS
    if unknown:
        raise ConfigError(f"{path}: [profiles.{name}] has unknown key(s) {', '.join(sorted(unknown))}.")
    if not isinstance(table.get("provider"), str) or not table["provider"]:
        raise ConfigError(f"{path}: [profiles.{name}] needs provider = \"openai\" (or another provider).")
    for key in ("base_url", "api_key", "api_key_env"):
        if key in table and not isinstance(table[key], str):
            raise ConfigError(f"{path}: [profiles.{name}] {key} must be a string.")
    if table.get("api_key") and table.get("api_key_env"):
        raise ConfigError(f"{path}: [profiles.{name}] sets both api_key and api_key_env; keep one.")
    watch = table.get("watch", True)
    if not isinstance(watch, bool):
        raise ConfigError(f"{path}: [profiles.{name}] watch must be true or false.")
    return Profile(name=name, provider=table["provider"], base_url=table.get("base_url"),
                   api_key=table.get("api_key"), api_key_env=table.get("api_key_env"), watch=watch)


def _refuse_if_shared(path: Path, what: str = "an api_key") -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        instead = "api_key_env" if what == "an api_key" else "\"env:VARIABLE\" targets"
        raise ConfigError(
            f"{path} contains {what} but is readable by other users (mode {mode:o}); "
            f"run `chmod 600 {path}` or use {instead} instead."
        )
