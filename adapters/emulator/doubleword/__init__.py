"""Doubleword, emulated: OpenAI's files and batches under /doubleword/v1 (reference §8).

Its real base URL is a host's /v1; here it has its own prefix so it can share the server
with OpenAI. Windows 1h and 24h; batch ids `batch-<uuid>`."""

from __future__ import annotations

from .. import rand
from ..openai.dialect import openai_style
from ..openai.objects import finalizable
from ..openai.routes import routes
from ..providers import EmulatedProvider
from ..state import Batch, View


def _uuid(h: int) -> str:
    x = rand.hex_id(h, 32)
    return f"batch-{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


RATES = {"24h": (0.05, 0.20), "1h": (0.07, 0.30)}
"""USD per 1M input/output tokens the emulated service bills per window (reference §8)."""
LIST_RATES = (0.16, 0.80)


def _analytics(batch: Batch, view: View) -> dict[str, object]:
    """Doubleword's `analytics` (the real API adds it with include=analytics; the emulator
    always does, UNCONFIRMED whether plain retrieves carry it)."""
    p = batch.plan()
    tokens_in, tokens_out = p.cum_in[view.done], p.cum_out[view.done]
    rate_in, rate_out = RATES.get(batch.completion_window, RATES["24h"])
    return {"analytics": {
        "total_prompt_tokens": tokens_in, "total_completion_tokens": tokens_out, "total_reasoning_tokens": 0,
        "total_tokens": tokens_in + tokens_out, "avg_duration_ms": 900, "avg_ttfb_ms": 120,
        "total_cost": round((tokens_in * rate_in + tokens_out * rate_out) / 1e6, 8),
        "total_list_cost": round((tokens_in * LIST_RATES[0] + tokens_out * LIST_RATES[1]) / 1e6, 8)}}


DIALECT = openai_style("doubleword", batch_id=_uuid, windows=("24h", "1h"), extras=_analytics)

PREFIX = "/doubleword/v1"

PROVIDER = EmulatedProvider(
    dialect=DIALECT,
    routes=lambda: routes(DIALECT, PREFIX),
    finalizable=lambda emu, now: finalizable(emu, now, DIALECT),
    base_path=PREFIX,
    rank=7,
)
