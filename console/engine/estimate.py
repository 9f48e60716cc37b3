"""Estimate a JSONL file before submitting: tokens, cost per route, split, and the cheapest
route that meets a deadline.

Tokens ≈ characters of prompt text / 4; output = `max_tokens` (an upper bound) or 256.
Routes and their time assumptions (say so in `route_reason`):
  batch     — guaranteed only within the provider's window (24 h; Gemini 48 h; most finish
              within an hour);
  flex      — realtime, best-effort: minutes for a file (OpenAI only);
  standard  — realtime at list price; priority — fastest, about 2× list.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from console.engine import pricing, providers
from console.engine import requests as reqs
from console.engine.ceiling import CeilingTally
from console.engine.types import FileEstimate, TierCost
from store.model import PriceTier

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from adapters.base import Capabilities
    from console.engine.service import Engine

EXPECTED_OUTPUT_TOKENS = 256
"""Output tokens expected of a request without max_tokens. UNCONFIRMED: a round guess for short
answers; such a request has no ceiling (console.engine.ceiling), and the preview says so."""
BATCH_WINDOW = 24 * 3600.0
"""The window when a provider names none (`Capabilities.windows`)."""
REALTIME_CONCURRENCY = 32
SECONDS_PER_CALL = {"flex": 20.0, "standard": 6.0, "priority": 3.0}
"""Rough seconds per realtime call (flex waits for spare capacity)."""

NOTES = {
    "batch": "{window} window, usually under an hour; half price",
    "flex": "realtime, best-effort, about the batch price",
    "standard": "realtime at list price",
    "priority": "realtime, fastest, about twice list price",
}


def estimate_file(engine: Engine, path: Path, *, provider: str, model: str | None,
                  deadline: float | None, endpoint: str | None) -> FileEstimate:
    cls = providers.spec(provider)
    caps = cls.capabilities
    scanned = reqs.scan(path, cls, model=model, endpoint=endpoint)
    chunks = reqs.plan(scanned.lines, caps)
    tally = token_tally(engine, provider, model, scanned.lines)
    in_tok, out_tok = tally.input_tokens, tally.output_tokens
    totals = {t.value: tally.total(t) for t in PriceTier}
    costs = [TierCost("batch", totals["batch"], NOTES["batch"].format(window=window_words(caps)))]
    for t in (PriceTier.FLEX, PriceTier.STANDARD, PriceTier.PRIORITY):
        costs.append(TierCost(t.value, totals[t.value], NOTES[t.value], available=t in caps.tiers))
    route, reason = choose_route(len(scanned.lines), deadline, engine.clock(), caps, totals)
    models = sorted({li.model for li in scanned.lines if li.model})
    unpriced = tally.unpriced_models()
    summary = (f"{len(scanned.lines)} requests, ~{in_tok:,} input and ≤{out_tok:,} output tokens; "
               f"batch cost {pricing.about(totals['batch'])} in {len(chunks)} batch{'es' if len(chunks) != 1 else ''}; "
               f"route: {route} ({reason})")
    if unpriced:
        summary += f"; {pricing.unpriced_note(provider, unpriced)}"
    return FileEstimate(path=str(path), provider=provider, model=model or (models[0] if len(models) == 1 else None),
                        endpoint=scanned.endpoint or cls.default_endpoint, requests=len(scanned.lines),
                        input_tokens=in_tok, output_tokens=out_tok, batches=reqs.split_plans(chunks),
                        costs=costs, route=route, route_reason=reason, deadline=deadline, summary=summary,
                        unpriced_models=unpriced)


EXPECTED_BASIS = f"input as characters / 4, output each request's max_tokens or {EXPECTED_OUTPUT_TOKENS}"
"""How `token_tally` reaches the expected cost of request lines, said beside the figure."""


def token_tally(engine: Engine, provider: str, model: str | None,
                lines: Iterable[reqs.LineInfo]) -> pricing.TokenTally:
    """Estimated tokens of scanned request lines, summed per model (`--model` for lines without)."""
    tally = pricing.TokenTally(engine.store, provider)
    for li in lines:
        tally.add(li.model or model, pricing.estimate_tokens(li.input_chars), li.max_output or EXPECTED_OUTPUT_TOKENS)
    return tally


def ceiling_tally(engine: Engine, provider: str, model: str | None,
                  lines: Iterable[reqs.LineInfo]) -> CeilingTally:
    """The cost ceilings of scanned request lines (console.engine.ceiling), summed per model."""
    tally = CeilingTally(engine.store, provider)
    for li in lines:
        tally.add(li.model or model, li.ceiling, li.no_ceiling)
    return tally


def choose_route(n: int, deadline: float | None, now: float, caps: Capabilities,
                 totals: dict[str, float | None]) -> tuple[str, str]:
    """The cheapest route whose expected duration fits before the deadline."""
    if deadline is None:
        return "batch", "no deadline given: batch is cheapest"
    left = deadline - now
    if left <= 0:
        return "priority" if PriceTier.PRIORITY in caps.tiers else "standard", "the deadline has passed: fastest route"
    window = window_seconds(caps)
    if left >= window:
        return "batch", f"the deadline is beyond the {window_words(caps)} batch window"
    for tier in ("flex", "standard", "priority"):
        if PriceTier(tier) not in caps.tiers:
            continue
        duration = SECONDS_PER_CALL[tier] * -(-n // REALTIME_CONCURRENCY)
        if duration <= left:
            return tier, (f"the deadline is {_dur(left)} away, sooner than the {window_words(caps)} a batch may take; "
                          f"{tier} needs about {_dur(duration)} at concurrency {REALTIME_CONCURRENCY}")
    fastest = "priority" if PriceTier.PRIORITY in caps.tiers else "standard"
    return fastest, f"no route is expected to finish in {_dur(left)}; {fastest} is the fastest"


_UNIT_SECONDS = {"m": 60.0, "h": 3600.0, "d": 86400.0}


def window_seconds(caps: Capabilities) -> float:
    """The provider's batch window in seconds (its first `windows` entry: "24h", "48h", "7d"),
    so that a Gemini batch is given its 48 h, not 24 h."""
    windows = getattr(caps, "windows", None) or ()
    text = str(windows[0]).strip().lower() if windows else ""
    try:
        return float(text[:-1]) * _UNIT_SECONDS[text[-1]]
    except (KeyError, ValueError, IndexError):
        return BATCH_WINDOW


def window_words(caps: Capabilities) -> str:
    return f"{window_seconds(caps) / 3600:g} h"


def _dur(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
