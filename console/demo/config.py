"""Reading the demo fleet's configuration example, console/demo/fleet.toml.

That file is the one place the demo names providers: which batches go to which provider, and
the few facts about a provider the registry has no use for (the shape of its batch ids, its
raw status words, the shape of its results lines), all as data. The demo code asks here or the
adapters registry, and never branches on a provider.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

FLEET_FILE = Path(__file__).with_name("fleet.toml")
H = 3600.0

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def seconds(value: object) -> float:
    """A duration from the fleet file: a number of seconds, or "30h", "20m", "22h40m", "30s"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.fullmatch(str(value).replace(" ", ""))
    if not match or not any(match.groups()):
        raise ValueError(f"{FLEET_FILE.name}: {value!r} is not a duration (write 30h, 20m, 22h40m or 30s)")
    h, m, s = (int(g or 0) for g in match.groups())
    return h * H + m * 60.0 + s


@cache
def fleet_file() -> dict[str, Any]:
    """The parsed fleet file (read once)."""
    with FLEET_FILE.open("rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True, slots=True)
class ProviderFacts:
    """What the seeded store writes in a provider's name (its `[providers.*]` table)."""

    batch_id: str
    """The shape of its batch ids (`{n}`: the local id)."""
    statuses: dict[str, str]
    """Normalized status -> the provider's raw status word."""
    results: str | None
    """The shape of its results lines (a `[results.*]` table), None: none written."""


@cache
def provider_facts() -> dict[str, ProviderFacts]:
    return {name: ProviderFacts(table["batch_id"], dict(table["statuses"]), table.get("results"))
            for name, table in fleet_file()["providers"].items()}


def result_templates(shape: str) -> dict[str, str]:
    """The JSON templates of one results-line shape, by outcome."""
    return dict(fleet_file()["results"][shape])
