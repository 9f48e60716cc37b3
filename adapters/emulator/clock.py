"""The emulator's compressed clock: emulated time = start + real elapsed × speed (+ jumps).

`speed=1440` makes the 24 h batch window last one real minute; `speed=0` freezes time so a
test moves it only with `advance()` / `set()` (or `POST /_emulator/clock`). All provider
timestamps the emulator reports come from this clock, in epoch seconds (float).
"""

from __future__ import annotations

import threading
import time


class Clock:
    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._lock = threading.Lock()
        self._base = time.time() if start is None else float(start)
        self._anchor = time.monotonic()
        self._speed = float(speed)

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> float:
        return self._base + (time.monotonic() - self._anchor) * self._speed

    def _rebase(self) -> None:
        real = time.monotonic()
        self._base += (real - self._anchor) * self._speed
        self._anchor = real

    def set_speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        with self._lock:
            self._rebase()
            self._speed = float(speed)

    def advance(self, seconds: float) -> float:
        """Jump forward by `seconds` emulated seconds (never backwards); returns the new now."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._rebase()
            self._base += seconds
        return self.now()

    def set(self, when: float) -> float:
        """Set emulated now to the epoch time `when` (may not go backwards)."""
        with self._lock:
            self._rebase()
            if when < self._base:
                raise ValueError("the clock only moves forward")
            self._base = float(when)
        return self.now()
