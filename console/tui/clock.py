"""The console's sense of time: injectable, so tests and screenshots can freeze it.

Every row renderer takes `now` as an argument; the app asks its `Clock` once per refresh and
passes the value down, so one frozen clock makes a whole screen deterministic. How a time is
written (the short clock, the UTC minute) is console/format/times.py, shared with the CLI.
"""

from __future__ import annotations

import time

DEMO_NOW = 1749697200.0
"""2025-06-12 03:00:00 UTC: the frozen instant of the seeded demo store (3 a.m., on call)."""


class Clock:
    """Seconds since the epoch, either live or frozen at one instant.

    Args:
        frozen: a fixed epoch time; None follows the wall clock.
    """

    def __init__(self, frozen: float | None = None) -> None:
        self.frozen = frozen

    def now(self) -> float:
        return self.frozen if self.frozen is not None else time.time()

    def wall(self) -> float:
        """Real time at `now()`, for the sync lease and heartbeat (the header's "synced 8s ago").
        The same as `now()` here; a clock that runs emulated time (the demo's) answers real time
        (see Engine.heartbeat_clock)."""
        return self.now()

    __call__ = now

