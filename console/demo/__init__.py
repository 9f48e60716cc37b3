"""`batchdeck demo`: the console on a live demo fleet (emulator + engine), or a seeded store.

`main(args)` is the entry point the command line calls; the heavy imports happen inside.
"""

from __future__ import annotations

from typing import Any


def main(args: Any = None) -> int:
    """Run the live demo (see console/demo/live.py); returns an exit code."""
    from console.demo.live import run_demo

    return run_demo(args)
