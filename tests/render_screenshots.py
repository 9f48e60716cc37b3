"""`make screenshots`: one SVG per main screen, from the seeded demo store at the frozen clock.

    python -m tests.render_screenshots [--out screenshots]

Deterministic: same seed, same clock (2025-06-12 03:00 UTC), same size (100x32), and Rich's SVG
ids are content hashes, so an unchanged screen rewrites the same bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from tests.console.support import build_template, make_app, open_copy, press, settle

SIZE = (100, 32)


async def wait_for(pilot, name: str) -> None:
    for _ in range(200):
        if type(pilot.app.screen).__name__ == name:
            break
        await pilot.pause(0.02)
    await settle(pilot)


async def render(store, out: Path) -> list[Path]:
    app = make_app(store)
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
        # live-fleet-14: the heartbeat turned warning (an account failing for 3 minutes) and
        # needs-attention mode, with why the batch under the cursor needs the operator.
        now = app.clock.now()
        lease = store.take_lease(holder="svc", who="ops@ops-host", host="ops-host", pid=4242,
                                 now=now - 30, ttl=90)
        store.record_sync_pass(holder=lease.holder, now=now - 6)
        store.record_profile_calls("openai", "default", now=now - 180, ok=False, error="Connection error.")
        await press(pilot, "escape")
        app.refresh_now()
        await settle(pilot)
        await press(pilot, "n")
        shot("needs-attention")
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
