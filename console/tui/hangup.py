"""Leaving when the terminal goes away: an SSH link drops, tmux kills the pane.

Not every hang-up reaches the console as SIGHUP: run under `make demo`, the pane's SIGHUP
stopped `make` and left the console with a dead terminal, where Textual's input thread reads
end-of-file in a loop; the orphan kept ~40% of a core and its sync lease for as long as nobody
noticed. So the console exits on SIGHUP, and also checks every few seconds that its terminal
still answers (`tcgetattr` fails with EIO once the other end has hung up).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import termios
from collections.abc import Callable

CHECK_EVERY = 2.0
"""Seconds between checks that the terminal is still there."""


def terminal_gone(fd: int) -> bool:
    """Whether the terminal on `fd` has hung up (or is no terminal at all any more)."""
    try:
        termios.tcgetattr(fd)
    except (termios.error, OSError, ValueError):
        return True
    return False


def watch_hangup(leave: Callable[[], object],
                 every: Callable[[float, Callable[[], None]], object]) -> None:
    """Call `leave` on SIGHUP, or when a check (scheduled with `every(seconds, check)`) finds
    the terminal gone. A no-op where stdin is not a terminal to begin with."""
    stdin = sys.__stdin__
    if stdin is None or not stdin.isatty():
        return
    fd = stdin.fileno()
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, leave)
    except (NotImplementedError, RuntimeError):  # not the main thread's loop: the check still runs
        pass

    def check() -> None:
        if terminal_gone(fd):
            leave()

    every(CHECK_EVERY, check)
