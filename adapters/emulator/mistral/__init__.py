"""Mistral batch jobs, emulated under /mistral (its /v1 paths would collide with OpenAI's;
reference §5, §13)."""

from __future__ import annotations

from ..providers import EmulatedProvider
from .dialect import DIALECT
from .routes import PREFIX, finalizable, routes

PROVIDER = EmulatedProvider(dialect=DIALECT, routes=routes, finalizable=finalizable, base_path=PREFIX, rank=5)
