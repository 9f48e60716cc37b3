"""Doubleword, emulated: OpenAI's files and batches under /doubleword/v1 (reference §8).

Its real base URL is a host's /v1; here it has its own prefix so it can share the server
with OpenAI. Windows 1h and 24h; batch ids `batch-<uuid>`."""

from __future__ import annotations

from .. import rand
from ..openai.dialect import openai_style
from ..openai.objects import finalizable
from ..openai.routes import routes
from ..providers import EmulatedProvider


def _uuid(h: int) -> str:
    x = rand.hex_id(h, 32)
    return f"batch-{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


DIALECT = openai_style("doubleword", batch_id=_uuid, windows=("24h", "1h"))

PREFIX = "/doubleword/v1"

PROVIDER = EmulatedProvider(
    dialect=DIALECT,
    routes=lambda: routes(DIALECT, PREFIX),
    finalizable=lambda emu, now: finalizable(emu, now, DIALECT),
    base_path=PREFIX,
    rank=7,
)
