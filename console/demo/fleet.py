"""What the live demo submits: a realistic fleet, as JSONL files the engine sends for real.

Two waves. "Yesterday" is submitted at the start of an emulated day-old clock and left to
finish (one completed batch with a day of history, one that will expire with items still
unfinished about an hour after the console opens). "Tonight" goes in when the console opens:
every provider the emulator serves (OpenAI, Anthropic, Groq, Together, Doubleword, Gemini,
Mistral), several
models, 10 to 50,000 items, failures of both kinds, one batch close to the operator's deadline.
Request lines are written through each provider's own format (the neutral chat form).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from adapters import registry
from adapters.neutral import NeutralChat, Turn
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
    DemoBatch("faq-rewrites", "groq", "openai/gpt-oss-120b", 1500, {"error_rate": 0.03}),
    DemoBatch("intent-tags", "together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", 800,
              {"error_rate": 0.05, "retryable_share": 0.6}),
    DemoBatch("screenshot-captions", "doubleword", "Qwen3-VL-30B-A3B-Instruct-FP8", 600, {"duration": 2 * H}),
    # Gemini's window is 48 h: a long run with its deadline inside it; Mistral's output file holds failures.
    DemoBatch("catalog-rewrite", "gemini", "gemini-2.5-flash", 2000,
              {"error_rate": 0.05, "retryable_share": 0.3, "duration": 30 * H}, deadline_in=20 * H),
    DemoBatch("tickets-fr", "mistral", "mistral-small-latest", 1500, {"error_rate": 0.08, "retryable_share": 0.3}),
)


def write_requests(spec: DemoBatch, folder: Path) -> Path:
    """The batch's requests as the provider's JSONL (what an operator would `submit`)."""
    path = folder / f"{spec.label}.jsonl"
    fmt = registry.get(spec.provider).requests
    with path.open("w", encoding="utf-8") as out:
        for i in range(spec.size):
            prompt = f"Ticket #{i}: the customer reports {TOPICS[i % len(TOPICS)]}. Classify and reply."
            chat = NeutralChat(model=spec.model, turns=(Turn("user", prompt),), max_output_tokens=200)
            _, body = fmt.from_neutral(chat)
            line = {"custom_id": f"{spec.label}-{i:06d}", "body": body}
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
    return path
