"""Gemini Batch Mode, emulated: long-running operations under /v1beta (reference §4, §13)."""

from __future__ import annotations

from ..providers import EmulatedProvider
from .dialect import DIALECT
from .routes import finalizable, routes

PROVIDER = EmulatedProvider(dialect=DIALECT, routes=routes, finalizable=finalizable, rank=5)
