"""`make screenshots`: one SVG per main screen, from the seeded demo store at the frozen clock.

    python -m tests.render_screenshots [--out screenshots]

Deterministic: same seed, same clock (2025-06-12 03:00 UTC), same size (100x32; the
needs-attention list 132x32, wide enough for its reasons column), and Rich's SVG ids are
content hashes, so an unchanged screen rewrites the same bytes.

The store is the seeded demo fleet plus what a syncing process leaves: a lease and a finished
pass, written through the store's own lease API at the frozen instant, so the header reads its
heartbeat ("synced 6s ago") as it would on a live console.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from tests.console.support import build_template, make_app, open_copy, press, settle

SIZE = (100, 32)
WIDE = (132, 32)
"""The needs-attention list: at this width each row shows why it needs the operator."""
SYNCER = {"holder": "screenshots", "who": "ops@ops-host", "host": "ops-host", "pid": 4242}
"""The syncing process the screenshots' store has (another host's service, as on call)."""


async def wait_for(pilot, name: str) -> None:
    for _ in range(200):
        if type(pilot.app.screen).__name__ == name:
            break
        await pilot.pause(0.02)
    await settle(pilot)


def heartbeat(store, now: float, *, last_pass_ago: float = 6.0) -> None:
    """A sync service holds the store's lease and finished a pass `last_pass_ago` seconds
    before `now`: the header's "synced 6s ago"."""
    from console.engine.lease import LEASE_TTL

    lease = store.take_lease(**SYNCER, now=now - 40, ttl=LEASE_TTL)
    store.take_lease(**SYNCER, now=now - last_pass_ago, ttl=LEASE_TTL)  # renewed on its last pass
    store.record_sync_pass(holder=lease.holder, now=now - last_pass_ago)


async def render(store, out: Path) -> list[Path]:
    app = make_app(store)
    heartbeat(store, app.clock.now())
    written: list[Path] = []

    def shot(name: str) -> None:
        written.append(Path(app.save_screenshot(filename=f"{name}.svg", path=str(out))))

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shot("batches")
        app.open_batch(1)
        await settle(pilot)
        shot("batch-detail")
        await press(pilot, "escape")
        app.open_batch(8)
        await settle(pilot)
        await press(pilot, "down", "down", "down", "enter")
        shot("item-inspector")
        await press(pilot, "escape", "escape")
        app.open_batch(3)
        await settle(pilot)
        await pilot.press("p")
        await wait_for(pilot, "PromoteScreen")
        shot("promote")
        await press(pilot, "escape", "escape")
        await press(pilot, "2")
        shot("savings")
        await press(pilot, "3")
        shot("audit-log")
        await press(pilot, "1", "question_mark")
        shot("help")
    # Needs-attention mode, wide enough that every row says why; then the same list once an
    # account has failed for three minutes (the heartbeat turns to a warning).
    app = make_app(store)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        shot("needs-attention")
        store.record_profile_calls("openai", "default", now=app.clock.now() - 180, ok=False,
                                   error="Connection error.")
        app.refresh_now()
        await settle(pilot)
        shot("heartbeat-warning")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description="Render the README screenshots.")
    parser.add_argument("--out", default="screenshots")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        template = build_template(Path(tmp) / "template")
        store = open_copy(template, Path(tmp) / "copy")
        try:
            for path in asyncio.run(render(store, out)):
                print(path)
        finally:
            store.close()


if __name__ == "__main__":
    main()
