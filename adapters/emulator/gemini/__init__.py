"""Gemini Batch Mode, emulated: long-running operations under /v1beta and /v1 (reference §4, §13;
routes.API_VERSIONS says why both)."""

from __future__ import annotations

from ..providers import EmulatedProvider
from .dialect import DIALECT
from .routes import finalizable, routes

# base_path "": batchdeck's GEMINI_BASE_URL is the host root (the adapter appends its API_VERSION).
PROVIDER = EmulatedProvider(dialect=DIALECT, routes=routes, finalizable=finalizable, base_path="", rank=5)
