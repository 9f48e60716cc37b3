"""Which key and base URL an adapter uses: a named profile, or the usual environment variables.

Profiles come from the config file (`[profiles.NAME] provider, base_url, api_key | api_key_env`),
read by the engine and handed here as plain mappings or objects: this module imports nothing
from the store. Keys live only in the returned `Credentials` (hidden from `repr`) and in the SDK
client; they are never written to the database, the audit log, logs or error messages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any


def env_vars(provider: str) -> tuple[str, str]:
    """(key variable, base URL variable) of a provider, from its registry entry; for a name
    the registry does not know, the `<NAME>_API_KEY` / `<NAME>_BASE_URL` convention."""
    from adapters import registry

    try:
        spec = registry.get(provider)
    except KeyError:
        return f"{provider.upper()}_API_KEY", f"{provider.upper()}_BASE_URL"
    return spec.key_env, spec.base_url_env


class ProfileError(Exception):
    """A profile that does not exist, names another provider, or yields no key."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """Where and as whom to call a provider. `api_key` is hidden from repr()."""

    provider: str
    profile: str
    base_url: str | None
    api_key: str | None = field(default=None, repr=False)


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def resolve(
    provider: str | None,
    profile: str | None,
    profiles: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Credentials:
    """Credentials for `provider` from profile `profile`, or from the environment.

    With a profile, its `provider` must match (or supplies the provider when none is given);
    `api_key_env` names a variable to read the key from. Without one, the provider's usual
    variables apply (each provider's `key_env` / `base_url_env` in the registry).
    """
    env = os.environ if env is None else env
    profiles = profiles or {}
    if profile and profile != "default":
        if profile not in profiles:
            known = ", ".join(sorted(profiles)) or "none configured"
            raise ProfileError(f"no profile named {profile!r} in the config file (known: {known})")
        entry = profiles[profile]
        p_provider = _get(entry, "provider") or provider
        if provider and p_provider and p_provider != provider:
            raise ProfileError(
                f"profile {profile!r} is for {p_provider}, not {provider}"
            )
        provider = p_provider
        if not provider:
            raise ProfileError(f"profile {profile!r} does not say which provider it is for")
        key = _get(entry, "api_key")
        key_env = _get(entry, "api_key_env")
        if not key and key_env:
            key = env.get(key_env)
            if not key:
                raise ProfileError(
                    f"profile {profile!r} reads its key from ${key_env}, which is not set"
                )
        base_url = _get(entry, "base_url")
        key_var, url_var = env_vars(provider)
        if not key:
            key = env.get(key_var) or None
        if not base_url:
            base_url = env.get(url_var) or None
        return Credentials(provider=provider, profile=profile, base_url=base_url, api_key=key)
    if not provider:
        raise ProfileError("say which provider (or name a profile)")
    # "default" may also be an explicit profile in the config file.
    if profile == "default" and "default" in profiles:
        entry = profiles["default"]
        if (_get(entry, "provider") or provider) == provider:
            creds = resolve(provider, "default-explicit", {"default-explicit": entry}, env)
            return replace(creds, profile="default")
    key_var, url_var = env_vars(provider)
    return Credentials(
        provider=provider,
        profile="default",
        base_url=env.get(url_var) or None,
        api_key=env.get(key_var) or None,
    )

