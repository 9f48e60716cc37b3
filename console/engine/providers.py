"""Building adapters for the engine: profile → credentials → adapter, one per event loop.

SDK async clients bind their connection pool to the loop they first run on; the console may
run engine calls on a worker's loop and the CLI on `asyncio.run`'s, so adapters are cached per
(provider, profile, loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from adapters import registry
from adapters.registry import ProviderSpec
from console.engine.types import BadInput

if TYPE_CHECKING:  # annotations only: adapters (and their SDKs) load when first used
    from adapters.base import BatchAdapter, Capabilities
    from console.engine.service import Engine
    from store.config import Config


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
    return spec(provider).default_concurrency


def capabilities(provider: str) -> Capabilities:
    """The provider's capability flags (from the registry; imports no SDK)."""
    return spec(provider).capabilities


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
    from adapters.profiles import ProfileError, resolve

    try:
        creds = resolve(provider, profile, config_profiles(config))
    except ProfileError as exc:
        raise BadInput(str(exc)) from None
    spec(creds.provider)  # an unknown provider is bad input, said in one sentence
    if creds.base_url is not None:
        why = base_url_problem(creds.base_url)
        if why:
            raise BadInput(f"the {creds.provider} base URL {why}")
    return registry.build_adapter(creds.provider, api_key=creds.api_key, base_url=creds.base_url,
                                  profile=profile_limits(config, profile))


def profile_limits(config: Config | Mapping[str, Any] | None, profile: str | None) -> Mapping[str, Any] | None:
    """The named profile's own limits (windows, endpoints, max_requests...), if it has any."""
    entry = config_profiles(config).get(profile or "")
    if entry is None:
        return None
    limits = entry.get("limits") if isinstance(entry, Mapping) else getattr(entry, "limits", None)
    return limits if isinstance(limits, Mapping) else None


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
    """Provider names the registry has an adapter for (in display order)."""
    return registry.names()


names = known_providers
"""Every provider batchdeck can talk to (the track dialog's choices)."""


def key_variables() -> list[str]:
    """Every provider's API-key environment variable (for redacting keys from output)."""
    return [s.key_env for s in registry.specs()]


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


def answer_text(raw: str | None, provider: str | None = None) -> str | None:
    """The model's answer inside a raw result line, read by the provider's own reader (every
    provider's in turn when the provider is not known)."""
    known = provider if provider in registry.names() else None
    return registry.answer_text(raw, known)
