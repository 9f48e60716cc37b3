"""`make demo` syncs like any console: under the store's lease, with a live heartbeat in the
header, although its emulated clock runs 60x; a dead emulator turns the header to a warning;
quitting ends the loop and releases the lease (issue 14).

The real demo path (console/demo/live.py: emulator in this process, engine, submissions, the
console's background task) on a small fleet, driven with Pilot."""

from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import replace

from console.demo.fleet import TONIGHT, YESTERDAY
from console.demo.live import demo_session
from console.engine.freshness import STALE_AFTER
from console.engine.lease import LEASE_TTL
from tests.console.test_live_sync import status_line

SMALL_YESTERDAY = (replace(YESTERDAY[0], size=3),)
SMALL_TONIGHT = tuple(replace(spec, size=3) for spec in TONIGHT[:3])


HEARTBEAT = re.compile(r"· synced (just now|\d+s ago)( ·|$)")
"""The live heartbeat in the status line (not "not synced yet", not a warning)."""


def live(app) -> bool:
    return HEARTBEAT.search(status_line(app)) is not None


async def wait_until(pilot, predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        await pilot.pause(0.1)
    return predicate()


def test_the_demo_console_syncs_under_the_lease_and_warns_when_the_emulator_dies(tmp_path):
    # Synchronous: the demo's set-up runs its own event loop (yesterday's wave), as `make demo`.
    with demo_session(tmp_path, speed=60.0, yesterday_wave=SMALL_YESTERDAY, tonight_wave=SMALL_TONIGHT) as demo:
        asyncio.run(drive(demo))
        assert demo.store.read_lease() is None  # the loop ended its pass and released the lease


async def drive(demo) -> None:
        app = demo.app(utc=True)
        store = demo.store
        async with app.run_test(size=(100, 30)) as pilot:
            assert await wait_until(pilot, lambda: live(app), 30), status_line(app)
            lease = store.read_lease()
            assert lease is not None and lease.who == "demo@batchdeck" and lease.pid == os.getpid()
            # Real seconds, not the emulated clock's (hours behind and running 60x).
            assert abs(demo.clock.now() - time.time()) > 3600
            assert lease.last_pass_at is not None and abs(lease.last_pass_at - time.time()) < 10
            assert lease.expires_at - lease.heartbeat_at == LEASE_TTL
            # Several real seconds are minutes of emulated time: with the lease and the staleness
            # threshold compared in emulated seconds the header would flap to a warning here.
            assert 5 * 60 > LEASE_TTL and 5 * 60 > STALE_AFTER
            start = time.monotonic()
            while time.monotonic() - start < 5:
                await pilot.pause(0.25)
                line = status_line(app)
                assert HEARTBEAT.search(line), line
            assert len(store.list_batches()) == len(SMALL_YESTERDAY) + len(SMALL_TONIGHT)

            demo.emulator.stop()  # the provider dies: the header says so, as a warning
            # Within a minute (issue 14), the emulator's own shutdown included.
            assert await wait_until(pilot, lambda: "unreachable" in status_line(app), 60), status_line(app)
            assert "⚠" in status_line(app)
            quit_started = time.monotonic()
        assert time.monotonic() - quit_started < 10  # quit is prompt even mid-failure
