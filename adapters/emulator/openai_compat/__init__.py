"""Any OpenAI-compatible batch service, emulated under /compat/v1 (a vLLM-style server).

Windows 1h and 24h; everything else as OpenAI."""

from __future__ import annotations

from ..openai.dialect import openai_style
from ..openai.objects import finalizable
from ..openai.routes import routes
from ..providers import EmulatedProvider

DIALECT = openai_style("openai_compat", windows=("24h", "1h"))

PREFIX = "/compat/v1"

PROVIDER = EmulatedProvider(
    dialect=DIALECT,
    routes=lambda: routes(DIALECT, PREFIX),
    finalizable=lambda emu, now: finalizable(emu, now, DIALECT),
    base_path=PREFIX,
    rank=8,
)
