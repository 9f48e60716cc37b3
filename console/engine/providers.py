"""Building adapters for the engine: profile → credentials → adapter, one per event loop.

SDK async clients bind their connection pool to the loop they first run on; the console may
run engine calls on a worker's loop and the CLI on `asyncio.run`'s, so adapters are cached per
(provider, profile, loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from console.engine.types import BadInput

if TYPE_CHECKING:  # annotations only: adapters (and their SDKs) load when first used
    from adapters.base import BatchAdapter, Capabilities
    from console.engine.service import Engine
    from store.config import Config

DEFAULT_CONCURRENCY = {"openai": 16, "anthropic": 16}
"""Concurrent provider calls per provider during sync (config `concurrency.<provider>`)."""


def config_profiles(config: Config | Mapping[str, Any] | None) -> Mapping[str, Any]:
    """`[profiles.NAME]` tables from the loaded config (mapping or attribute style)."""
    if config is None:
        return {}
    profiles = config.get("profiles") if isinstance(config, Mapping) else getattr(config, "profiles", None)
    return profiles or {}


def concurrency_for(engine: Engine, provider: str) -> int:
    cfg = engine.config
    table = None
    if isinstance(cfg, Mapping):
        table = cfg.get("concurrency")
    elif cfg is not None:
        table = getattr(cfg, "concurrency", None)
    if isinstance(table, Mapping) and isinstance(table.get(provider), int):
        return max(1, int(table[provider]))
    return DEFAULT_CONCURRENCY.get(provider, 8)


def capabilities(provider: str) -> Capabilities:
    """The adapter class's capability flags (imports the adapter module, not the SDK)."""
    return adapter_cls(provider).capabilities


def adapter_for(engine: Engine, provider: str, profile: str | None) -> BatchAdapter:
    """The engine's adapter for (provider, profile) on the running loop (built on first use)."""
    profile = profile or engine.profile
    try:
        loop_id = id(asyncio.get_running_loop())
    except RuntimeError:
        loop_id = 0
    key = (provider, profile, loop_id)
    adapter = engine._adapters.get(key)
    if adapter is None:
        if engine._adapter_factory is not None:
            adapter = engine._adapter_factory(provider, profile)
        else:
            adapter = build_adapter(engine.config, provider, profile)
        engine._adapters[key] = adapter
    return adapter


def build_adapter(
    config: Config | Mapping[str, Any] | None, provider: str, profile: str | None
) -> BatchAdapter:
    """Resolve the profile (or environment) and build the registry's adapter."""
    import adapters
    from adapters.profiles import ProfileError, resolve

    try:
        creds = resolve(provider, profile, config_profiles(config))
    except ProfileError as exc:
        raise BadInput(str(exc)) from None
    try:
        cls = adapters.adapter_class(creds.provider)
    except KeyError as exc:
        raise BadInput(str(exc.args[0])) from None
    if creds.base_url is not None:
        why = base_url_problem(creds.base_url)
        if why:
            raise BadInput(f"the {creds.provider} base URL {why}")
    return cls(api_key=creds.api_key, base_url=creds.base_url)


def base_url_problem(url: str) -> str | None:
    """Why a provider base URL cannot be used (completing "the base URL ..."), or None.

    A URL with credentials in it (`https://user:key@host`) is refused without quoting it: the
    HTTP client would send them as `Basic base64(user:key)` and a provider's error could echo
    them back; keys belong in the key variable or the profile's api_key."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "is not a URL"
    if "@" in parts.netloc:
        return ("carries a user name or password (user:pass@host); put the key in the provider's "
                "key variable or the profile's api_key, never in the URL")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) URL with a host"
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        return f"{url!r} has a bad port (a number from 1 to 65535)"
    return None


def known_providers() -> list[str]:
    """Provider names the registry has an adapter for (sorted)."""
    import adapters

    return adapters.providers()


def adapter_cls(provider: str) -> type[BatchAdapter]:
    """The adapter class (for validation and capabilities; builds no client)."""
    import adapters

    try:
        return adapters.adapter_class(provider)
    except KeyError as exc:
        raise BadInput(str(exc.args[0])) from None
