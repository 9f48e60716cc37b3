"""Provider adapters behind one interface (`adapters.base.BatchAdapter`).

The registry maps a provider name to "module:Class" and imports the module only when an
adapter is asked for, so `import adapters` loads no SDK, no Textual and no console code.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from adapters.base import BatchAdapter

REGISTRY: dict[str, str] = {
    "openai": "adapters.openai_batch:OpenAIBatchAdapter",
    "anthropic": "adapters.anthropic_batch:AnthropicBatchAdapter",
}
"""Provider name -> "module:Class". Add a provider by adding a line here."""


def providers() -> list[str]:
    """Provider names with an adapter, sorted."""
    return sorted(REGISTRY)


def adapter_class(provider: str) -> type[BatchAdapter]:
    """The adapter class for `provider` (imports its module now). KeyError if unknown."""
    try:
        target = REGISTRY[provider]
    except KeyError:
        raise KeyError(
            f"unknown provider {provider!r}; known providers: {', '.join(providers())}"
        ) from None
    module_name, _, class_name = target.partition(":")
    return getattr(import_module(module_name), class_name)


def get_adapter(
    provider: str, *, api_key: str | None = None, base_url: str | None = None, **options: Any
) -> BatchAdapter:
    """Build an adapter. `api_key`/`base_url` None: the SDK's usual environment variables."""
    return adapter_class(provider)(api_key=api_key, base_url=base_url, **options)
