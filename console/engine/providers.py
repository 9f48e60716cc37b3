"""Building adapters for the engine: profile → credentials → adapter, one per event loop.

SDK async clients bind their connection pool to the loop they first run on; the console may
run engine calls on a worker's loop and the CLI on `asyncio.run`'s, so adapters are cached per
(provider, profile, loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from adapters import registry
from adapters.base import Capabilities
from adapters.registry import ProviderSpec
from console.engine.types import BadInput


def config_profiles(config: Any) -> Mapping[str, Any]:
    """`[profiles.NAME]` tables from the loaded config (mapping or attribute style)."""
    if config is None:
        return {}
    profiles = config.get("profiles") if isinstance(config, Mapping) else getattr(config, "profiles", None)
    return profiles or {}


def concurrency_for(engine: Any, provider: str) -> int:
    cfg = engine.config
    table = None
    if isinstance(cfg, Mapping):
        table = cfg.get("concurrency")
    elif cfg is not None:
        table = getattr(cfg, "concurrency", None)
    if isinstance(table, Mapping) and isinstance(table.get(provider), int):
        return max(1, table[provider])
    return spec(provider).default_concurrency


def capabilities(provider: str) -> Capabilities:
    """The provider's capability flags (from the registry; imports no SDK)."""
    return spec(provider).capabilities


def adapter_for(engine: Any, provider: str, profile: str | None) -> Any:
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


def build_adapter(config: Any, provider: str, profile: str | None) -> Any:
    """Resolve the profile (or environment) and build the registry's adapter."""
    from adapters.profiles import ProfileError, resolve

    try:
        creds = resolve(provider, profile, config_profiles(config))
    except ProfileError as exc:
        raise BadInput(str(exc)) from None
    spec(creds.provider)  # an unknown provider is bad input, said in one sentence
    return registry.build_adapter(creds.provider, api_key=creds.api_key, base_url=creds.base_url,
                                  profile=profile_limits(config, profile))


def profile_limits(config: Any, profile: str | None) -> Mapping[str, Any] | None:
    """The named profile's own limits (windows, endpoints, max_requests...), if it has any."""
    entry = config_profiles(config).get(profile or "")
    if entry is None:
        return None
    limits = entry.get("limits") if isinstance(entry, Mapping) else getattr(entry, "limits", None)
    return limits if isinstance(limits, Mapping) else None


def spec(provider: str) -> ProviderSpec:
    """The provider's registry entry (formats, capabilities, answer reader); builds no client."""
    try:
        return registry.get(provider)
    except KeyError as exc:
        raise BadInput(str(exc.args[0])) from None


adapter_cls = spec
"""The name engine code used before the registry (it returned the adapter class; the spec
answers the same questions: capabilities, default_endpoint, validate_*, response_*,
read_realtime). Kept so branches written against it merge; new code says `spec`."""


def names() -> list[str]:
    """Every provider batchdeck can talk to (the track dialog's choices)."""
    return registry.names()


def answer_text(raw: str | None, provider: str | None = None) -> str | None:
    """The model's answer inside a raw result line, read by the provider's own reader (every
    provider's in turn when the provider is not known)."""
    known = provider if provider in registry.names() else None
    return registry.answer_text(raw, known)
