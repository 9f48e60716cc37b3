"""Provider adapters behind one interface (`adapters.base.BatchAdapter`).

A provider is one folder, `adapters/<name>/`, whose `SPEC` the registry (`adapters.registry`)
finds on its own. `import adapters` loads no SDK, no Textual and no console code; an adapter's
SDK is imported when the adapter is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from adapters.base import BatchAdapter


def providers() -> list[str]:
    """Provider names with an adapter, sorted."""
    from adapters import registry

    return registry.names()


def get_adapter(
    provider: str, *, api_key: str | None = None, base_url: str | None = None, **options: Any
) -> BatchAdapter:
    """Build an adapter. `api_key`/`base_url` None: the provider's usual environment variables."""
    from adapters import registry

    return registry.build_adapter(provider, api_key=api_key, base_url=base_url, **options)
