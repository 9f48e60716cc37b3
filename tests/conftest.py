"""Fixtures shared by every test folder. Keep this file small: one job per fixture."""

from __future__ import annotations

import os

import pytest

_CLEARED_PREFIXES = ("OPENAI_", "ANTHROPIC_")
_CLEARED = ("BATCHDECK_DB", "BATCHDECK_CONFIG")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Keep the developer's own files and keys out of every test.

    XDG data and config dirs point into tmp_path; BATCHDECK_DB / BATCHDECK_CONFIG and every
    OPENAI_* / ANTHROPIC_* variable are removed.
    """
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    for name in list(os.environ):
        if name in _CLEARED or name.startswith(_CLEARED_PREFIXES):
            monkeypatch.delenv(name)


@pytest.fixture
def store(tmp_path):
    """A fresh Store on a real SQLite file in tmp_path (shipped price book only)."""
    from store.prices import PriceBook
    from store.store import Store

    opened = Store.open(tmp_path / "batchdeck.db", price_book=PriceBook.shipped())
    yield opened
    opened.close()
