"""OpenAI, emulated: files, batches and realtime under /v1 (reference §2, §13)."""

from __future__ import annotations

from ..providers import EmulatedProvider
from .dialect import DIALECT
from .objects import finalizable
from .routes import routes

PROVIDER = EmulatedProvider(
    dialect=DIALECT,
    routes=lambda: routes(DIALECT, "/v1"),
    finalizable=lambda emu, now: finalizable(emu, now, DIALECT),
    base_path="/v1",
    rank=10,
)
