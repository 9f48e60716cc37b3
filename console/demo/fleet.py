"""What the live demo submits: a realistic fleet, as JSONL files the engine sends for real.

The batches are listed in console/demo/fleet.toml (`[[live.*]]`); no provider is named here.

Two live waves. "Yesterday" is submitted at the start of an emulated day-old clock and left to
finish (one completed batch with a day of history, one that will expire with items still
unfinished about an hour after the console opens). "Tonight" goes in when the console opens:
every provider the emulator serves, several models, 10 to 50,000 items, failures of both
kinds, one batch close to the operator's deadline. Request lines are written through each
provider's own format (the neutral chat form).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters import registry
from adapters.neutral import NeutralChat, Turn
from console.demo.config import H, fleet_file, seconds
from console.demo.lines import TOPICS

__all__ = ["H", "TONIGHT", "YESTERDAY", "DemoBatch", "live_wave", "write_requests"]


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


def _live(entry: dict[str, Any]) -> DemoBatch:
    faults = {k: seconds(v) if isinstance(v, str) else v for k, v in entry.get("faults", {}).items()}
    deadline = entry.get("deadline_in")
    return DemoBatch(entry["label"], entry["provider"], entry["model"], int(entry["size"]), faults,
                     seconds(deadline) if deadline is not None else None)


def live_wave(name: str) -> tuple[DemoBatch, ...]:
    """One wave of the live demo (`yesterday`, `tonight`), in the file's order."""
    return tuple(_live(entry) for entry in fleet_file()["live"][name])


YESTERDAY = live_wave("yesterday")
TONIGHT = live_wave("tonight")


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
