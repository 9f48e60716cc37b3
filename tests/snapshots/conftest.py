"""Fixtures for the snapshot tests: the same seeded demo store as the console tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.console.support import build_template, make_app, open_copy


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own database, config and colours never leak into a test."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("BATCHDECK_DB", "BATCHDECK_CONFIG", "NO_COLOR", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                 "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("demo-template"))


@pytest.fixture
def store(demo_template: Path, tmp_path: Path):
    s = open_copy(demo_template, tmp_path / "store")
    yield s
    s.close()


@pytest.fixture
def app(store):
    return make_app(store)
