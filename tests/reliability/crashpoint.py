"""Run the batchdeck command line and die like `kill -9` at a named point (test harness).

    BATCHDECK_TEST_CRASH="attach_remote:before:1" python -m tests.reliability.crashpoint --db X submit ...

The spec is `<Store method>:<before|after|during>:<n>`: die on the n-th call of that `Store`
method, just before it runs or just after it returned; `during` (for `ingest_results` only)
dies when the n-th result line is about to be written, in the middle of an ingest. Dying is
`os._exit(137)`: no `finally`, no flush, no atexit, no rollback by Python — only what SQLite
and the file system made durable survives, exactly as after SIGKILL. Nothing here changes
what the command does before it dies.

`BATCHDECK_TEST_PAUSE="module:function:seconds"` instead holds the process for that long
before each call of a module-level function (e.g. `adapters.download:_join:4`), so a
test can run another process in exactly that window.
"""

from __future__ import annotations

import os
import sys

EXIT_CRASHED = 137


def _die() -> None:
    os._exit(EXIT_CRASHED)


def install(spec: str) -> None:
    from store.store import Store

    name, when, nth_text = spec.split(":")
    nth = int(nth_text)
    if when not in ("before", "after", "during"):
        raise SystemExit(f"bad crash spec {spec!r}")
    original = getattr(Store, name)
    calls = 0
    results_seen = 0

    def dying(results):
        nonlocal results_seen
        for r in results:
            results_seen += 1
            if results_seen == nth:
                _die()
            yield r

    def wrapper(self, *args, **kwargs):
        nonlocal calls
        calls += 1
        if when == "during":
            if "results" in kwargs:
                kwargs["results"] = dying(kwargs["results"])
            else:
                args = (args[0], dying(args[1]), *args[2:])
            return original(self, *args, **kwargs)
        if when == "before" and calls == nth:
            _die()
        result = original(self, *args, **kwargs)
        if when == "after" and calls == nth:
            _die()
        return result

    setattr(Store, name, wrapper)


def install_pause(spec: str) -> None:
    """`module:function:seconds`: sleep that long before every call of a module-level function
    (to hold one process at a chosen point while another runs). Only delays; changes nothing."""
    import importlib
    import time

    module_name, func_name, seconds = spec.split(":")
    module = importlib.import_module(module_name)
    original = getattr(module, func_name)

    def paused(*args, **kwargs):
        time.sleep(float(seconds))
        return original(*args, **kwargs)

    setattr(module, func_name, paused)


def main() -> int:
    # Chunks of 5,000 result rows (not 20,000) so that a test batch of a few thousand items
    # has chunks that commit before the crash; every write path stays the production one.
    import store.result_rows

    store.result_rows.INGEST_CHUNK = 5_000
    spec = os.environ.get("BATCHDECK_TEST_CRASH")
    if spec:
        install(spec)
    pause = os.environ.get("BATCHDECK_TEST_PAUSE")
    if pause:
        install_pause(pause)
    from console.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
