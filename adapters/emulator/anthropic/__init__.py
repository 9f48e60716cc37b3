"""Anthropic, emulated: Message Batches and Messages under /v1/messages (reference §3, §13)."""

from __future__ import annotations

from ..providers import EmulatedProvider
from .dialect import DIALECT
from .routes import finalizable, routes

PROVIDER = EmulatedProvider(dialect=DIALECT, routes=routes, finalizable=finalizable, rank=0)
