"""Fixtures for engine tests: a real emulator over a socket, a real store file, an engine
wired to both, and a sleep that records backoff waits instead of waiting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.emulator.testing import running_emulator


class RecordingSleep:
    """Stands in for asyncio.sleep: remembers every wait, returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        import asyncio

        self.waits.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    for var in ("BATCHDECK_DB", "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY",
                "ANTHROPIC_BASE_URL", "BATCHDECK_CRASH_AT"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def emulator() -> Any:
    with running_emulator(seed=7) as emu:
        yield emu


@pytest.fixture
def store(tmp_path: Path) -> Any:
    from store import Store

    s = Store.open(tmp_path / "batchdeck.db")
    yield s
    s.close()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


def make_engine(store: Any, emulator: Any, sleep: Any = None, **kw: Any) -> Any:
    """An Engine whose adapters talk to `emulator` and whose clock is the emulator's."""
    import adapters
    from console.engine.service import Engine

    def factory(provider: str, profile: str | None) -> Any:
        return adapters.get_adapter(provider, api_key="test-key", base_url=emulator.base_url_for(provider))

    engine = Engine(store, None, adapter_factory=factory, clock=emulator.emulator.now,
                    sleep=sleep or RecordingSleep(), actor="tester@host", **kw)
    return engine


@pytest.fixture
async def engine(store: Any, emulator: Any, sleep: RecordingSleep) -> Any:
    eng = make_engine(store, emulator, sleep)
    yield eng
    await eng.aclose()


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    with open(path, "w") as f:
        for row in rows:
            f.write((row if isinstance(row, str) else json.dumps(row)) + "\n")
    return path


def openai_lines(n: int, model: str = "gpt-6-luna", prefix: str = "req") -> list[dict[str, Any]]:
    return [{"custom_id": f"{prefix}-{i}", "method": "POST", "url": "/v1/chat/completions",
             "body": {"model": model, "messages": [{"role": "user", "content": f"Summarise item {i} " * 5}],
                      "max_tokens": 64}} for i in range(n)]


def anthropic_lines(n: int, model: str = "claude-haiku-5-5", prefix: str = "req") -> list[dict[str, Any]]:
    return [{"custom_id": f"{prefix}-{i}",
             "params": {"model": model, "max_tokens": 64,
                        "messages": [{"role": "user", "content": f"Summarise item {i} " * 5}]}}
            for i in range(n)]
