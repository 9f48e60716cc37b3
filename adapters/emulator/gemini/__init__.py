"""Gemini Batch Mode, emulated: long-running operations under /v1beta (reference §4, §13)."""

from __future__ import annotations

from ..providers import EmulatedProvider
from .dialect import DIALECT
from .routes import finalizable, routes

# base_path "": batchdeck's GEMINI_BASE_URL is the host root (the adapter appends /v1beta).
PROVIDER = EmulatedProvider(dialect=DIALECT, routes=routes, finalizable=finalizable, base_path="", rank=5)
