"""The engine: submit, sync, ingest, resubmit, promote, cancel, estimate, export.

No Textual here: the command line and the console both call `Engine` (console.engine.service).
Names are re-exported lazily (PEP 562) so importing the package costs nothing.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "Engine": "console.engine.service",
    "default_actor": "console.engine.service",
    "RetryPolicy": "console.engine.retry",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        from importlib import import_module

        return getattr(import_module(_EXPORTS[name]), name)
    if name in ("EngineError", "BadInput", "NotFound", "ReadOnly", "NeedsInput", "InvalidFile",
                "ProviderFailed"):
        from console.engine import types

        return getattr(types, name)
    raise AttributeError(name)


__all__ = ["Engine", "RetryPolicy", "default_actor", "EngineError"]
