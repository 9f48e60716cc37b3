"""Benchmark (not a test): open a 10-item and a 1,000,000-item batch and page through them.

    .venv/bin/python -m tests.console.bench_console [--pages 200] [--rebuild]

Reports, per batch: time to first paint (open the detail screen until the first page of rows
is drawn), time per page (pagedown to the frame it causes, rendered to terminal text; the
same through Pilot's round trip, which waits for the process to look idle; and the UI
thread's own work: cursor move + drawing every visible line), store page reads done on the
UI thread, and memory (Python heap peak via tracemalloc while paging, and process max RSS).
The 1M-item store is built once (about a minute) under bench-results/ and reused.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any

from console.tui.screens.detail import BatchDetailScreen
from console.tui.widgets.item_table import ItemTable
from tests.console.support import build_template, make_app, settle

CACHE = Path("bench-results/console-1m")
BIG = 1_000_000


def big_store(rebuild: bool) -> Path:
    marker = CACHE / "seeded-v1"
    if rebuild and CACHE.exists():
        shutil.rmtree(CACHE)
    if not marker.exists():
        print(f"building the {BIG:,}-item demo store in {CACHE} (once; about a minute)…", flush=True)
        build_template(CACHE, big=BIG)
        marker.touch()  # build_template starts from an empty folder, so this marks a whole seed
    return CACHE / "demo.db"


async def measure(db: Path, batch_id: int, pages: int, *, memory: bool) -> dict[str, float]:
    from store.store import Store

    store = Store.open(db)
    app = make_app(store)
    out: dict[str, float] = {}
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        if memory:  # tracemalloc slows Python down about 2x: timings come from a separate run
            tracemalloc.start()
        start = time.perf_counter()
        app.open_batch(batch_id)
        table = None
        while True:
            await asyncio.sleep(0.001)  # 1 ms polls: a sleep(0) busy loop starves the workers it waits for
            screen = app.screen
            if isinstance(screen, BatchDetailScreen):
                found = screen.query(ItemTable)
                table = found.first() if found else None
                if table is not None and table.total and 0 in table.pages:
                    break
            if time.perf_counter() - start > 10:
                raise RuntimeError("first paint took over 10 s")
        out["first_paint_ms"] = (time.perf_counter() - start) * 1000
        await settle(pilot)
        assert table is not None
        if memory:
            tracemalloc.reset_peak()
            heap_before = tracemalloc.get_traced_memory()[0]
        loop_times, ui_times, frame_times = [], [], []
        reads_before = table.reads
        frames = _record_frames(app)
        for _ in range(pages):
            frames.clear()
            t = time.perf_counter()
            await pilot.press("pagedown")
            loop_times.append((time.perf_counter() - t) * 1000)
            if frames:  # key press to the last frame it caused, as text for the terminal
                frame_times.append((frames[-1] - t) * 1000)
        for _ in range(pages):  # the UI thread's own work per page, without event-loop waits
            t = time.perf_counter()
            table.action_page(1)
            for y in range(table.size.height):
                table.render_line(y)
            ui_times.append((time.perf_counter() - t) * 1000)
            await pilot.pause()
        t = time.perf_counter()
        await pilot.press("end")
        await pilot.pause()
        out["jump_to_end_ms"] = (time.perf_counter() - t) * 1000
        if frame_times:  # a batch shorter than the screen has no page to scroll to
            out["page_frame_ms_mean"] = statistics.mean(frame_times)
            out["page_frame_ms_p95"] = sorted(frame_times)[max(0, int(0.95 * len(frame_times)) - 1)]
            out["page_frames"] = len(frame_times)
        out["page_loop_ms_mean"] = statistics.mean(loop_times)
        out["page_loop_ms_p95"] = sorted(loop_times)[int(0.95 * len(loop_times)) - 1]
        out["page_ui_ms_mean"] = statistics.mean(ui_times)
        out["page_ui_ms_max"] = max(ui_times)
        out["ui_thread_reads"] = table.reads - reads_before
        if memory:
            out["heap_growth_mb"] = (tracemalloc.get_traced_memory()[0] - heap_before) / 1e6
            out["heap_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
        out["pages_cached"] = len(table.pages)
    store.close()
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _record_frames(app: Any) -> list[float]:
    """When each screen update was ready to write, rendered to the terminal's escape sequences
    as a real driver would (the headless driver skips that step, so it is done here).

    Pilot's `press` returns only once the process looks idle, which adds ~40 ms of its own
    waiting to every key; the time to the frame is what an operator sees (plus the link)."""
    from textual._compositor import CompositorUpdate

    frames: list[float] = []
    display = app._display

    def timed(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(app.console)
            frames.append(time.perf_counter())

    app._display = timed
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    big = big_store(args.rebuild)
    small = build_template(Path("bench-results/console-small"))
    rows = []
    for name, db, batch_id in (("10 items", small, 8), (f"{BIG:,} items", big, 13)):
        timed = asyncio.run(measure(db, batch_id, args.pages, memory=False))
        mem = asyncio.run(measure(db, batch_id, args.pages, memory=True))
        timed.update({k: v for k, v in mem.items() if "mb" in k and "rss" not in k})
        timed["max_rss_mb"] = mem["max_rss_mb"]
        rows.append((name, timed))
    keys = list(rows[1][1])
    print(f"{'':24}" + "".join(f"{name:>16}" for name, _ in rows))
    for key in keys:
        print(f"{key:24}" + "".join(f"{r[key]:>16.1f}" for _, r in rows))


if __name__ == "__main__":
    main()
