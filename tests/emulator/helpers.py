"""Building batch inputs for the emulator tests."""

from __future__ import annotations

import json
from typing import Any

DAY = 86_400
HOUR = 3_600
START = 1_800_000_000.0  # 2027-01-15T08:00:00Z: the pinned emulated start, so timestamps are exact


def chat_line(i: int, model: str = "gpt-6-luna", prompt: str | None = None, **body: Any) -> dict[str, Any]:
    return {
        "custom_id": f"req-{i}",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": model, "messages": [{"role": "user", "content": prompt or f"Summarize ticket {i}."}],
                 "max_tokens": 400, **body},
    }


def jsonl(lines: list[dict[str, Any]] | list[str]) -> bytes:
    return "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines).encode()


def openai_batch(oai, n: int = 20, *, metadata: dict[str, str] | None = None, lines=None,
                 endpoint: str = "/v1/chat/completions", **kwargs: Any):
    """Upload `lines` (default: n chat lines) and create a batch; returns the SDK Batch."""
    data = jsonl(lines if lines is not None else [chat_line(i) for i in range(n)])
    f = oai.files.create(file=("input.jsonl", data), purpose="batch")
    extra = {"metadata": metadata} if metadata else {}
    return oai.batches.create(input_file_id=f.id, endpoint=endpoint, completion_window="24h", **extra, **kwargs)


def anthropic_requests(n: int, model: str = "claude-haiku-5-5", prefix: str = "item") -> list[dict[str, Any]]:
    return [
        {"custom_id": f"{prefix}-{i}",
         "params": {"model": model, "max_tokens": 300,
                    "messages": [{"role": "user", "content": f"Classify support ticket number {i}."}]}}
        for i in range(n)
    ]


def lines_of(content) -> list[dict[str, Any]]:
    return [json.loads(x) for x in content.text.splitlines() if x.strip()]
