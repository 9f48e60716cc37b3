"""Together, emulated under /together/v1 (reference §6): its redirect upload flow, jobs that
answer `{job, warning}` on create, a bare-array list, only a `progress` percentage, and
OpenAI-style output and error files (a COMPLETED job can hold failures)."""

from __future__ import annotations

from ..openai.objects import finalizable
from ..providers import EmulatedProvider
from .routes import DIALECT, PREFIX, routes

PROVIDER = EmulatedProvider(
    dialect=DIALECT,
    routes=routes,
    finalizable=lambda emu, now: finalizable(emu, now, DIALECT),
    base_path=PREFIX.removesuffix("/v1"),
    rank=6,
)
