"""Test helpers for the whole suite: a running emulator in one line.

    from adapters.emulator.testing import running_emulator

    @pytest.fixture
    def emulator():
        with running_emulator(seed=7) as emu:
            yield emu

    def test_something(emulator):
        client = emulator.openai_client(max_retries=0)       # or openai.OpenAI(base_url=emulator.base_url_openai, ...)
        ...
        emulator.advance(3600)                              # jump the emulated clock one hour
        emulator.batch_faults(batch_id, error_rate=0.2)     # per-batch knobs (Anthropic too)
        emulator.set_faults(http_429_rate=1.0)              # server-wide knobs
        emulator.finalize()                                 # write every ended batch's results file now

The emulator listens on 127.0.0.1 on a free port, in a thread of the test process.
Defaults favour deterministic tests: the clock is frozen (`speed=0`) and moves only when a
test advances it; realtime calls answer in about a millisecond.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .server import EmulatorServer

__all__ = ["running_emulator", "EmulatorServer", "HOUR", "DAY"]

HOUR = 3600.0
DAY = 86_400.0


@contextmanager
def running_emulator(seed: int = 0, speed: float = 0.0, faults: Mapping[str, Any] | str | None = None,
                     start_time: float | None = None, realtime_latency_ms: float = 1.0,
                     use_subprocess: bool = False) -> Iterator[EmulatorServer]:
    """Start an emulator, yield its `EmulatorServer`, stop it afterwards.

    seed        same seed, same batch ids and per-item outcomes
    speed       emulated seconds per real second; 0 (default) freezes the clock
    faults      server-wide fault knobs (mapping or "k=v,k=v" spec); see `adapters.emulator`
    start_time  epoch seconds the emulated clock starts at (default: real now)
    realtime_latency_ms  base latency of realtime calls (unless `faults` sets it)
    use_subprocess  run the server in a child process (benchmarks: the emulator then does not
                share this process's GIL with the code under test)
    """
    knobs: dict[str, Any] = {"realtime_latency_ms": realtime_latency_ms}
    if isinstance(faults, str):
        from .faults import parse_spec

        knobs.update(parse_spec(faults))
    elif faults:
        knobs.update(faults)
    server = EmulatorServer(seed=seed, speed=speed, faults=knobs, start_time=start_time,
                            use_subprocess=use_subprocess).start()
    try:
        yield server
    finally:
        server.stop()
