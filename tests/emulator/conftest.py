"""Fixtures: a running emulator on a real socket (frozen clock) and SDK clients pointed at it."""

from __future__ import annotations

import pytest

from adapters.emulator.testing import running_emulator
from tests.emulator.helpers import START


@pytest.fixture
def emulator():
    with running_emulator(seed=7, start_time=START) as emu:
        yield emu


@pytest.fixture
def oai(emulator):
    client = emulator.openai_client(max_retries=0)
    yield client
    client.close()


@pytest.fixture
def anth(emulator):
    client = emulator.anthropic_client(max_retries=0)
    yield client
    client.close()
