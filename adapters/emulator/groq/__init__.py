"""Groq, emulated: OpenAI's files and batches under /openai/v1 (reference §7).

Quirks kept: completion windows 24h..7d, chat completions only, a list with no paging, and no
`model` or `usage` on the Batch object."""

from __future__ import annotations

from .. import rand
from ..openai.dialect import openai_style
from ..openai.objects import finalizable
from ..openai.routes import routes
from ..providers import EmulatedProvider

DIALECT = openai_style(
    "groq",
    batch_id=lambda h: "batch_" + rand.b62(h, 26).lower(),
    windows=("24h", "48h", "72h", "4d", "5d", "6d", "7d"),
    endpoints=("/v1/chat/completions",),
    paged_list=False,
    omit=("model", "usage"),
)

PREFIX = "/openai/v1"
"""Groq's SDK takes the host root and adds /openai/v1 itself."""

PROVIDER = EmulatedProvider(
    dialect=DIALECT,
    routes=lambda: routes(DIALECT, PREFIX),
    finalizable=lambda emu, now: finalizable(emu, now, DIALECT),
    base_path="",
    rank=5,
)
