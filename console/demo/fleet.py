"""What the live demo submits: a realistic fleet, as JSONL files the engine sends for real.

Two waves. "Yesterday" is submitted at the start of an emulated day-old clock and left to
finish (one completed batch with a day of history, one that will expire with items still
unfinished about an hour after the console opens). "Tonight" goes in when the console opens:
OpenAI and Anthropic, several models, 10 to 50,000 items, failures of both kinds, one batch
close to the operator's deadline; a Gemini batch on its 48 h window and a Mistral job whose
output file holds failures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from console.demo.lines import TOPICS

H = 3600.0


@dataclass(frozen=True)
class DemoBatch:
    label: str
    provider: str
    model: str
    size: int
    faults: dict[str, object] = field(default_factory=dict)
    """Emulator knobs for this batch (error_rate, retryable_share, expire, duration)."""
    deadline_in: float | None = None
    """Seconds from submission to the operator's deadline."""


YESTERDAY = (
    DemoBatch("support-triage", "anthropic", "claude-sonnet-5-5", 1200,
              {"error_rate": 0.04, "retryable_share": 0.8}),
    DemoBatch("doc-summaries", "anthropic", "claude-haiku-4-5", 2000, {"expire": 0.3}),
)
TONIGHT = (
    DemoBatch("nightly-evals", "openai", "gpt-4o-mini", 5000,
              {"error_rate": 0.02, "retryable_share": 0.9}, deadline_in=8 * H),
    DemoBatch("labels-q2", "openai", "gpt-6-luna", 50000, {"duration": 10 * H}, deadline_in=3 * H),
    DemoBatch("support-triage-eu", "anthropic", "claude-sonnet-5-5", 3000,
              {"error_rate": 0.1, "retryable_share": 0.5}),
    DemoBatch("ticket-summaries", "anthropic", "claude-haiku-4-5", 10),
    DemoBatch("classify-small", "openai", "gpt-6-luna", 10, {"error_rate": 0.3}),
    DemoBatch("embeddings-backfill", "openai", "gpt-4o-mini", 8000, {"duration": 4 * H}),
    DemoBatch("catalog-rewrite", "gemini", "gemini-2.5-flash", 2000,
              {"error_rate": 0.05, "retryable_share": 0.3, "duration": 30 * H}, deadline_in=20 * H),
    DemoBatch("tickets-fr", "mistral", "mistral-small-latest", 1500, {"error_rate": 0.08, "retryable_share": 0.3}),
)


def _native_body(spec: DemoBatch, prompt: str) -> dict[str, object]:
    from adapters import registry
    from adapters.neutral import NeutralChat, Turn

    chat = NeutralChat(model=spec.model, turns=(Turn("user", prompt),), max_output_tokens=200)
    return registry.get(spec.provider).requests.from_neutral(chat)[1]


def write_requests(spec: DemoBatch, folder: Path) -> Path:
    """The batch's requests as the provider's JSONL (what an operator would `submit`)."""
    path = folder / f"{spec.label}.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(spec.size):
            prompt = f"Ticket #{i}: the customer reports {TOPICS[i % len(TOPICS)]}. Classify and reply."
            body = {"model": spec.model, "max_tokens": 200,
                    "messages": [{"role": "user", "content": prompt}]}
            cid = f"{spec.label}-{i:06d}"
            if spec.provider == "openai":
                line = {"custom_id": cid, "method": "POST", "url": "/v1/chat/completions", "body": body}
            elif spec.provider == "anthropic":
                line = {"custom_id": cid, "params": body}
            else:  # any other provider: its own body shape, from the neutral chat form
                line = {"custom_id": cid, "body": _native_body(spec, prompt)}
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
    return path
