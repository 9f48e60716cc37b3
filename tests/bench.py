"""`make bench`: every benchmark against the emulator, one table, one JSON file.

    .venv/bin/python -m tests.bench                  # full sizes (several minutes)
    .venv/bin/python -m tests.bench --quick          # tiny sizes, a smoke run
    .venv/bin/python -m tests.bench --skip-test-time # without timing `make test`
    .venv/bin/python -m tests.bench --only ingest,sync

The measuring is done by the rooms' own benchmark functions, imported here:
`tests.engine.bench_engine` (end-to-end ingest, sync, promote against the emulator),
`tests.store.bench_store` (store-only ingest, aggregate refresh), and
`tests.console.bench_console` when it exists. This file only runs each case in a fresh
Python process (so one case's memory never inflates another's: each child reports its own
peak RSS, VmHWM), checks each figure against its target, computes how cost grows
with size, prints the table and writes it as JSON under `bench-results/` (not committed).

Benchmarks are never timed assertions inside `make test`; `tests/test_bench_smoke.py` runs
every case once at a tiny size so that none of them can rot.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench-results"

FULL_SIZES = {
    "ingest": [10_000, 100_000, 1_000_000],
    "ingest_ceiling": [100_000],
    "sync": [100, 1_000, 10_000],
    "promote": [1_000],
    "store_ingest": [100_000],
    "aggregate": [10_000_000],
    "console": [10, 1_000_000],
    "result_lines": [200_000],
    "discovery": [10_000],
}
QUICK_SIZES = {
    "ingest": [500, 1_000, 2_000],
    "ingest_ceiling": [2_000],
    "sync": [5, 10, 20],
    "promote": [40],
    "store_ingest": [2_000],
    "aggregate": [20_000],
    "console": [10],
    "result_lines": [5_000],
    "discovery": [50],
}
HELP_RUNS_FULL, HELP_RUNS_QUICK = 7, 3
TEST_TIME_TARGET = "green, well under CI's 15 min (< 10 min)"


# ---- the cases (each runs inside a fresh child process) --------------------------------
def case_ingest(n: int) -> dict[str, Any]:
    """End to end: emulator results file -> download -> parse -> store (engine's `sync --once`)."""
    from tests.engine.bench_engine import bench_ingest

    return bench_ingest(n)


def case_ingest_ceiling(n: int) -> dict[str, Any]:
    """The same job with every batch ingested by its own process into its own store copy, at
    once: how far this machine could go with today's per-line work, nothing shared."""
    from tests.engine.bench_engine import bench_ingest_ceiling

    return bench_ingest_ceiling(n)


def case_sync(n: int) -> dict[str, Any]:
    from tests.engine.bench_engine import bench_sync

    return bench_sync(n)


def case_discovery(n: int) -> dict[str, Any]:
    """A sync pass with account discovery over n known batches (live-fleet-14)."""
    from tests.engine.bench_discovery import bench_discovery

    return bench_discovery(n)


def case_promote(n: int) -> dict[str, Any]:
    from tests.engine.bench_engine import bench_promote

    return bench_promote(n, rate_429=0.1, concurrency=32)


def case_store_ingest(n: int) -> dict[str, Any]:
    """The store's half of ingest alone (no download, no parse)."""
    from tests.store.bench_store import bench_ingest

    return bench_ingest(n)


def case_aggregate(n: int) -> dict[str, Any]:
    from tests.store.bench_store import bench_aggregate

    if n >= 1_000_000:
        return bench_aggregate(n)
    # Tiny: two real batches of 1,000 and synthetic rollups for the rest.
    return bench_aggregate(n, real_items=2_000, batch_size=1_000, repeats=3)


def console_module() -> Any | None:
    """`tests.console.bench_console`, or None while the console room has not written it."""
    try:
        import importlib

        return importlib.import_module("tests.console.bench_console")
    except ImportError:
        return None


def case_console(n: int) -> dict[str, Any]:
    """First paint and per-page scroll of the console's item table, from the console room's
    `tests.console.bench_console.measure` (10 items: the demo fleet's small batch; 1M: its big
    store, built once under bench-results/console-1m and reused)."""
    mod = console_module()
    if mod is None or not hasattr(mod, "measure"):
        return {"available": False, "reason": "tests/console/bench_console.py does not exist yet"}
    import asyncio

    if n >= 1_000_000:
        db, batch_id = mod.big_store(False), 13
    else:
        db, batch_id = mod.build_template(Path(tempfile.mkdtemp(prefix="console-small-"))), 8
    pages = 200 if n >= 1_000_000 or n == 10 else 20
    raw = asyncio.run(mod.measure(db, batch_id, pages, memory=False))
    # A page's time is key press to the frame it causes; Pilot's round trip (it returns once the
    # process looks idle, ~40 ms of waiting per key) is kept beside it.
    frame = raw.get("page_frame_ms_mean")
    return {"available": True, "first_paint_s": raw["first_paint_ms"] / 1000,
            "scroll_page_s": (frame if frame is not None else raw["page_loop_ms_mean"]) / 1000,
            "pilot_round_trip_s": raw["page_loop_ms_mean"] / 1000, "pages": pages, "raw": raw}


def case_help(runs: int) -> dict[str, Any]:
    """`batchdeck --help` wall time in a fresh interpreter, best of `runs`."""
    exe = Path(sys.executable).with_name("batchdeck")
    cmd = [str(exe), "--help"] if exe.exists() else [sys.executable, "-m", "console.cli", "--help"]
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
        samples.append(time.perf_counter() - t)
        if done.returncode != 0:
            raise RuntimeError(f"batchdeck --help exited {done.returncode}: {done.stderr.strip()}")
    return {"runs": runs, "best_s": round(min(samples), 3), "median_s": round(sorted(samples)[len(samples) // 2], 3),
            "command": " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))}


def case_test_time(_: int = 0) -> dict[str, Any]:
    """Wall time of the whole pytest suite, as `make test` runs it."""
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                          capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - t
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    return {"seconds": round(seconds, 1), "exit_code": done.returncode, "summary": tail}


def case_result_lines(n: int) -> dict[str, Any]:
    """Realistic ~1.3 KB result lines: a naive loader, the bare msgspec decode, and batchdeck's
    ingest of a tracked and of a submitted batch, on one file (tests/providers/bench_results.py)."""
    from tests.providers.bench_results import bench_result_ingest

    return bench_result_ingest(n)


CASES = {
    "result_lines": case_result_lines,
    "ingest": case_ingest,
    "ingest_ceiling": case_ingest_ceiling,
    "sync": case_sync,
    "discovery": case_discovery,
    "promote": case_promote,
    "store_ingest": case_store_ingest,
    "aggregate": case_aggregate,
    "console": case_console,
    "help": case_help,
    "test_time": case_test_time,
}


# ---- running a case in a fresh process --------------------------------------------------
@dataclass
class CaseRun:
    case: str
    size: int
    ok: bool
    seconds: float
    figures: dict[str, Any] = field(default_factory=dict)
    process_peak_rss_mb: float | None = None
    """Peak RSS of the case's own process (the emulator, a child of it, is not counted)."""
    error: str | None = None


def run_case(case: str, size: int, *, timeout: float = 3600) -> CaseRun:
    """Run one case in a new interpreter; its figures come back as the last stdout line."""
    env = dict(os.environ)
    # Never read the developer's config or keys: a config directory with no file means defaults.
    env.pop("BATCHDECK_CONFIG", None)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [sys.executable, "-m", "tests.bench", "--case", case, "--size", str(size)]
    # The rooms' benchmarks make temporary directories they do not remove (a 1M-item ingest
    # leaves about 1 GB): give each case its own TMPDIR and delete it afterwards.
    scratch = tempfile.mkdtemp(prefix=f"batchdeck-bench-{case}-")
    env["TMPDIR"] = scratch
    env["XDG_CONFIG_HOME"] = os.path.join(scratch, "config")
    t = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            return CaseRun(case, size, False, time.perf_counter() - t, error=f"timed out after {timeout:.0f} s")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.perf_counter() - t
    # The child reports its own high-water mark (VmHWM), measured in a process that ran
    # nothing else: RUSAGE_CHILDREN would be the maximum over every child ever reaped.
    lines = [line for line in out.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        msg = (err.strip().splitlines() or ["no output"])[-1]
        return CaseRun(case, size, False, seconds, error=f"exit {proc.returncode}: {msg}")
    payload = json.loads(lines[-1])
    return CaseRun(case, size, True, seconds, figures=payload["figures"],
                   process_peak_rss_mb=payload.get("peak_rss_mb"))


def _own_peak_rss_mb() -> float:
    """This process's VmHWM (peak resident set), in MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child_main(case: str, size: int) -> None:
    figures = CASES[case](size)
    print(json.dumps({"figures": figures, "peak_rss_mb": _own_peak_rss_mb()}, default=str), flush=True)


# ---- the table ------------------------------------------------------------------------
@dataclass
class Row:
    figure: str
    value: str
    target: str
    meets: str
    """"yes", "no", "n/a" (no target) or "not available"."""
    raw: float | None = None


def _fmt_n(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


def _meets(ok: bool) -> str:
    return "yes" if ok else "no"


def _failed(figure: str, run: CaseRun, target: str) -> Row:
    return Row(figure, f"failed: {run.error}", target, "no")


def growth(points: list[tuple[int, float]]) -> dict[str, Any] | None:
    """How seconds grow with size between consecutive sizes.

    For each step, `size_ratio` is n2/n1 and `time_ratio` t2/t1; the exponent
    log(time_ratio)/log(size_ratio) is 1 for linear growth, < 1 better (fixed costs amortized),
    > 1 worse. "linear or better" allows 20% noise on the time ratio.
    """
    pts = [(n, s) for n, s in points if s and s > 0]
    if len(pts) < 2:
        return None
    steps = []
    for (n1, t1), (n2, t2) in zip(pts, pts[1:], strict=False):
        size_ratio, time_ratio = n2 / n1, t2 / t1
        exponent = math.log(time_ratio) / math.log(size_ratio) if size_ratio > 1 and time_ratio > 0 else None
        steps.append({"from": n1, "to": n2, "size_ratio": round(size_ratio, 2), "time_ratio": round(time_ratio, 2),
                      "exponent": None if exponent is None else round(exponent, 2),
                      "linear_or_better": time_ratio <= size_ratio * 1.2})
    verdict = "linear or better" if all(s["linear_or_better"] for s in steps) else "worse than linear"
    return {"steps": steps, "verdict": verdict}


def growth_text(name: str, g: dict[str, Any] | None) -> str:
    if g is None:
        return f"{name}: not enough sizes measured"
    parts = [f"{_fmt_n(s['from'])}→{_fmt_n(s['to'])}: ×{s['size_ratio']:g} size, ×{s['time_ratio']:g} time"
             for s in g["steps"]]
    return f"{name} growth: {'; '.join(parts)} — {g['verdict']}"


def build_rows(runs: dict[str, list[CaseRun]]) -> list[Row]:
    rows: list[Row] = []
    for run in runs.get("result_lines", []):
        n = _fmt_n(run.size)
        if not run.ok:
            rows.append(_failed(f"result lines {n}: batchdeck vs naive loader", run, "≥ 3x naive"))
            continue
        f = run.figures
        naive = f["naive"]["items_per_s"] or 1
        rows.append(Row(f"result lines {n} (~{f['avg_line_bytes']} B): naive json.loads + blob row (items/s)",
                        f"{naive:,}/s, peak {f['naive']['peak_rss_mb']:.0f} MB", "—", "n/a", naive))
        raw = f["naive_raw"]["items_per_s"] or 1
        rows.append(Row(f"result lines {n}: naive, row holds the line's own text (items/s)",
                        f"{raw:,}/s", "—", "n/a", raw))
        rows.append(Row(f"result lines {n}: bare msgspec decode (items/s, the parsing floor)",
                        f"{f['decode']['items_per_s']:,}/s", "—", "n/a", f["decode"]["items_per_s"]))
        for kind in ("tracked", "submitted"):
            k = f[kind]
            ratio = k["items_per_s"] / naive
            bad = "" if k["lines"] == run.size else f" (ingested {k['lines']}!)"
            rows.append(Row(f"result lines {n}: batchdeck ingest, {kind} batch (items/s)",
                            f"{k['items_per_s']:,}/s = {ratio:.1f}x naive, peak {k['peak_rss_mb']:.0f} MB{bad}",
                            "≥ 3x naive", _meets(ratio >= 3 and not bad), k["items_per_s"]))
    for run in runs.get("ingest", []):
        label = f"ingest {_fmt_n(run.size)} items, end to end (items/s)"
        mem_label = f"ingest {_fmt_n(run.size)} items, engine peak memory"
        if not run.ok:
            rows += [_failed(label, run, "≥ 100,000/s"), _failed(mem_label, run, "< 200 MB")]
            continue
        f = run.figures
        rate, rss = f.get("items_per_s") or 0, f.get("peak_rss_mb")
        bad = "" if f.get("lines") == run.size and not f.get("errors") else f" (ingested {f.get('lines')}!)"
        rows.append(Row(label, f"{rate:,}/s{bad}", "≥ 100,000/s", _meets(rate >= 100_000 and not bad), rate))
        rows.append(Row(mem_label, f"{rss:.0f} MB" if rss is not None else "?", "< 200 MB",
                        _meets(rss is not None and rss < 200), rss))
    for run in runs.get("ingest_ceiling", []):
        label = f"ingest {_fmt_n(run.size)} items, each batch alone in its own process and store (items/s)"
        target = "— (the ceiling for the row above)"
        if not run.ok:
            rows.append(_failed(label, run, target))
            continue
        f = run.figures
        rate = f.get("items_per_s") or 0
        bad = "" if f.get("lines") == run.size else f" (ingested {f.get('lines')}!)"
        rows.append(Row(label, f"{rate:,}/s over {f.get('processes')} processes on {f.get('cpus')} CPUs{bad}",
                        target, "n/a", rate))
    for run in runs.get("store_ingest", []):
        label = f"store-only ingest {_fmt_n(run.size)} items (items/s)"
        if not run.ok:
            rows.append(_failed(label, run, "≥ 100,000/s"))
            continue
        rate = run.figures.get("ingest_items_per_s") or 0
        rows.append(Row(label, f"{rate:,}/s (peak {run.figures.get('peak_rss_mb', 0):.0f} MB)", "≥ 100,000/s",
                        _meets(rate >= 100_000), rate))
    for run in runs.get("sync", []):
        label = f"sync --once over {_fmt_n(run.size)} in-flight batches"
        target = "< 3 s" if run.size == 1_000 else "—"
        if not run.ok:
            rows.append(_failed(label, run, target))
            continue
        s = run.figures["seconds"]
        bad = "" if run.figures.get("polled") == run.size and not run.figures.get("errors") else \
            f" (polled {run.figures.get('polled')}, {run.figures.get('errors')} errors)"
        meets = _meets(s < 3 and not bad) if run.size == 1_000 else ("n/a" if not bad else "no")
        rows.append(Row(label, f"{s:.2f} s{bad}", target, meets, s))
    for run in runs.get("discovery", []):
        label = f"sync pass with discovery, {_fmt_n(run.size)} known batches + 3 new"
        target = "lists only what is new (1 list call)"
        if not run.ok:
            rows.append(_failed(label, run, target))
            continue
        f = run.figures
        shown = (f"{f['seconds']:.3f} s, {f['list_calls']} list call, {f['discovered']} discovered "
                 f"(first listing: {f['first_list_calls']} calls, {f['first_listing_s']:.2f} s)")
        rows.append(Row(label, shown, target,
                        _meets(f["list_calls"] == 1 and f["discovered"] == 3 and not f["errors"]), f["seconds"]))
    for run in runs.get("promote", []):
        label = f"promote {_fmt_n(run.size)} items, concurrency 32, 10% 429s"
        if not run.ok:
            rows.append(_failed(label, run, "< 5 s"))
            continue
        f = run.figures
        s = f["seconds"]
        note = f" ({f['promoted']} promoted, {f['failed']} failed, {f['retries']} retries)"
        rows.append(Row(label, f"{s:.2f} s{note}", "< 5 s", _meets(s < 5 and f["failed"] == 0), s))
    for run in runs.get("console", []):
        for kind, target, limit in (("first paint", "< 0.2 s", 0.2), ("scroll one page", "< 50 ms", 0.05)):
            label = f"console {kind}, {_fmt_n(run.size)} items"
            if not run.ok:
                rows.append(_failed(label, run, target))
                continue
            if not run.figures.get("available"):
                rows.append(Row(label, "not available", target, "not available"))
                continue
            value = _console_figure(run.figures, "paint" if kind == "first paint" else "scroll")
            if value is None:
                rows.append(Row(label, "not reported", target, "not available"))
            else:
                shown = f"{value:.3f} s" if kind == "first paint" else f"{value * 1000:.1f} ms"
                if kind != "first paint" and run.figures.get("pilot_round_trip_s") is not None:
                    shown += f" (Pilot round trip {run.figures['pilot_round_trip_s'] * 1000:.1f} ms)"
                rows.append(Row(label, shown, target, _meets(value < limit), value))
    for run in runs.get("aggregate", []):
        label = f"aggregate refresh over {_fmt_n(run.size)} items (header + savings)"
        if not run.ok:
            rows.append(_failed(label, run, "< 1 s"))
            continue
        ms = run.figures["console_refresh_ms"]
        rows.append(Row(label, f"{ms:.1f} ms", "< 1 s", _meets(ms < 1000), ms / 1000))
    for run in runs.get("help", []):
        label = f"batchdeck --help start (best of {run.size})"
        if not run.ok:
            rows.append(_failed(label, run, "< 0.5 s"))
            continue
        s = run.figures["best_s"]
        rows.append(Row(label, f"{s:.3f} s", "< 0.5 s", _meets(s < 0.5), s))
    for run in runs.get("test_time", []):
        label = "make test wall time"
        if not run.ok:
            rows.append(_failed(label, run, TEST_TIME_TARGET))
            continue
        f = run.figures
        green = f["exit_code"] == 0
        rows.append(Row(label, f"{f['seconds']:.0f} s ({f['summary'] or 'exit ' + str(f['exit_code'])})",
                        TEST_TIME_TARGET, _meets(green and f["seconds"] < 600), f["seconds"]))
    return rows


def _console_figure(figures: dict[str, Any], word: str) -> float | None:
    """The console room's figure whose key mentions `word` (seconds; *_ms keys converted)."""
    for key, value in figures.items():
        if word in key and isinstance(value, (int, float)):
            return value / 1000 if key.endswith("_ms") else float(value)
    return None


def render_table(rows: list[Row]) -> str:
    headers = ("figure", "measured", "target", "meets")
    cells = [(r.figure, r.value, r.target, r.meets) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.ljust(w) for c, w in zip(cell, widths, strict=False)) + " |" for cell in cells]
    return "\n".join([line, rule, *body])


def machine() -> dict[str, Any]:
    mem_gib = None
    try:
        with open("/proc/meminfo") as f:
            mem_gib = round(int(f.readline().split()[1]) / 1024 / 1024)
    except (OSError, ValueError, IndexError):
        pass
    return {"cpus": os.cpu_count(), "memory_gib": mem_gib, "python": platform.python_version(),
            "platform": platform.platform()}


def run_all(*, quick: bool, skip_test_time: bool, only: set[str] | None = None,
            echo: Any = print) -> dict[str, Any]:
    sizes = QUICK_SIZES if quick else FULL_SIZES
    plan: list[tuple[str, int]] = []
    for case in ("result_lines", "ingest", "ingest_ceiling", "store_ingest", "sync", "discovery", "promote",
                 "console", "aggregate"):
        plan += [(case, n) for n in sizes[case]]
    plan.append(("help", HELP_RUNS_QUICK if quick else HELP_RUNS_FULL))
    if not skip_test_time:
        plan.append(("test_time", 0))
    if only:
        plan = [(c, n) for c, n in plan if c in only]
    runs: dict[str, list[CaseRun]] = {}
    for case, n in plan:
        echo(f"… {case} {_fmt_n(n) if n else ''}".rstrip(), file=sys.stderr, flush=True)
        run = run_case(case, n)
        runs.setdefault(case, []).append(run)
        if not run.ok:
            echo(f"  {case} {n}: {run.error}", file=sys.stderr, flush=True)
    rows = build_rows(runs)
    growths = {
        "ingest": growth([(r.size, r.figures.get("seconds")) for r in runs.get("ingest", []) if r.ok]),
        "sync": growth([(r.size, r.figures.get("seconds")) for r in runs.get("sync", []) if r.ok]),
    }
    return {"when": datetime.now(UTC).isoformat(timespec="seconds"), "quick": quick,
            "machine": machine(), "rows": [asdict(r) for r in rows], "growth": growths,
            "runs": {c: [asdict(r) for r in rs] for c, rs in runs.items()}}


def write_results(result: dict[str, Any], directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = result["when"].replace(":", "").replace("-", "").replace("+0000", "Z")
    path = directory / f"bench-{stamp}{'-quick' if result['quick'] else ''}.json"
    text = json.dumps(result, indent=2, default=str)
    path.write_text(text)
    (directory / ("latest-quick.json" if result["quick"] else "latest.json")).write_text(text)
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run, figures mean little)")
    p.add_argument("--skip-test-time", action="store_true", help="do not time the whole test suite")
    p.add_argument("--only", help="comma-separated cases: " + ", ".join(CASES))
    p.add_argument("--case", help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.case:
        child_main(args.case, args.size)
        return 0
    only = {c.strip() for c in args.only.split(",")} if args.only else None
    result = run_all(quick=args.quick, skip_test_time=args.skip_test_time, only=only)
    m = result["machine"]
    print(f"batchdeck benchmarks — {m['cpus']} CPUs, {m['memory_gib']} GiB, Python {m['python']}"
          f"{' (quick sizes)' if args.quick else ''}")
    print(render_table([Row(**r) for r in result["rows"]]))
    for name, g in result["growth"].items():
        if g is not None:
            print(growth_text(name, g))
    path = write_results(result)
    print(f"written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
