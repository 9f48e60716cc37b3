"""batchdeck's store: one SQLite file holding batches, items, audit events and prices.

Lazy re-exports only (PEP 562): `import store` or `import store.model` loads nothing heavy, so
`batchdeck --help` stays fast and adapters can import the model without SQLite machinery.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from store.config import Config, ConfigError, load_config  # noqa: F401
    from store.prices import PriceBook  # noqa: F401
    from store.store import Store, StoreError  # noqa: F401

_EXPORTS = {
    "Store": "store.store",
    "StoreError": "store.errors",
    "PriceBook": "store.prices",
    "Config": "store.config",
    "ConfigError": "store.config",
    "load_config": "store.config",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'store' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
