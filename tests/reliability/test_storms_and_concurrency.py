"""Fault storms and concurrency.

Storms: 30% of provider calls answered 429/500/529, slow answers, downloads that break, a batch
stuck in `finalizing`. Every `batchdeck` command finishes (retries are bounded), a throttled
poll never fails a batch or an item, and the fleet converges to exactly what the provider has.

Concurrency: two `sync` engines on one store at once while a reader reads it: no lock errors,
no duplicates, the same end state as one engine alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from adapters.emulator.testing import running_emulator
from tests.reliability.helpers import (
    ROOT,
    anthropic_rows,
    check_store_matches_emulator,
    cli,
    cli_env,
    openai_rows,
    rows,
    setup_batches,
)

HOUR = 3600.0


@pytest.fixture
def emu():
    with running_emulator(seed=23) as server:
        yield server


def failed_anything(db) -> list:
    return [tuple(r) for r in rows(db, "SELECT id, status, raw_status FROM batches WHERE status = 'failed'")] + \
        [tuple(r) for r in rows(db, "SELECT batch_id, custom_id, error_type FROM items WHERE status = 'errored'")]


async def test_a_storm_of_429_500_529_slow_calls_and_broken_downloads_converges_without_false_failures(tmp_path, emu):
    db = tmp_path / "storm.db"
    env = cli_env(tmp_path, emu)
    emu.set_faults(broken_download=0.5, broken_download_times=2)
    ids = await setup_batches(db, emu, [("openai", openai_rows(300, "o1")), ("openai", openai_rows(40, "o2")),
                                        ("anthropic", anthropic_rows(200, "a1")),
                                        ("anthropic", anthropic_rows(30, "a2"))], end=False)
    stuck = ids[1]
    [stuck_pid] = [r[0] for r in rows(db, "SELECT provider_batch_id FROM batches WHERE id = ?", (stuck,))]
    emu.batch_faults(stuck_pid, stuck_finalizing=True)  # stays `finalizing` for 12 h
    emu.advance(6 * HOUR)
    emu.set_faults(http_429_rate=0.1, http_500_rate=0.1, http_529_rate=0.1, retry_after=0.05,
                   slow_rate=0.1, slow_ms=300)
    passes = []
    for _ in range(8):  # bounded: the fleet must converge well within this
        t = time.perf_counter()
        # --no-discover: the storm's faults are drawn by call number (seeded); the account
        # listing's calls would shift every draw this test was tuned on (live-fleet-14).
        done = cli(["sync", "--once", "--no-discover", "--format", "json"], env, db, timeout=120)
        passes.append(time.perf_counter() - t)
        assert done.returncode in (0, 1), done.stderr
        assert "Traceback" not in done.stderr
        assert failed_anything(db) == [], "a throttled or broken call was shown as a failure"
        ingested = {r[0] for r in rows(db, "SELECT id FROM batches WHERE ingested_at IS NOT NULL")}
        if ingested == set(ids) - {stuck}:
            break
    assert ingested == set(ids) - {stuck}, f"not converged after {len(passes)} passes"
    assert max(passes) < 60, passes
    [(status,)] = [tuple(r) for r in rows(db, "SELECT status FROM batches WHERE id = ?", (stuck,))]
    assert status == "finalizing"
    # The stuck batch finishes eventually; the storm goes on.
    emu.advance(13 * HOUR)
    for _ in range(6):
        cli(["sync", "--once"], env, db, timeout=120)
        if rows(db, "SELECT ingested_at IS NOT NULL FROM batches WHERE id = ?", (stuck,))[0][0]:
            break
    emu.set_faults(http_429_rate=0.0, http_500_rate=0.0, http_529_rate=0.0, slow_rate=0.0)
    assert check_store_matches_emulator(db, emu) == []
    assert {r[0] for r in rows(db, "SELECT id FROM batches WHERE ingested_at IS NOT NULL")} == set(ids)
    assert rows(db, "SELECT count(*) FROM items WHERE status = 'succeeded'")[0][0] == 300 + 40 + 200 + 30
    downloads = {b["id"]: b["downloads"] for b in emu.state()["batches"]}
    assert max(downloads.values()) >= 2, downloads  # the broken downloads were really retried


def test_a_provider_that_refuses_everything_still_lets_every_command_finish(tmp_path, emu):
    db = tmp_path / "refuse.db"
    env = cli_env(tmp_path, emu)
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in openai_rows(5, "x")) + "\n")
    assert cli(["submit", str(path), "--provider", "openai"], env, db).returncode == 0
    emu.set_faults(http_429_rate=1.0, retry_after=0.05)
    for args in (["sync", "--once", "--format", "json"], ["promote", "1", "--yes"], ["cancel", "1", "--yes"],
                 ["track", "openai", "--all"]):
        t = time.perf_counter()
        done = cli(args, env, db, timeout=120)
        assert time.perf_counter() - t < 60, args
        assert done.returncode in (0, 1), (args, done.stderr)
        assert "Traceback" not in done.stderr
        if done.returncode == 1:  # says why: an error sentence, or promote's summary of what was left
            assert done.stderr.splitlines()[-1].startswith("batchdeck: ") or "could not be sent" in done.stdout, \
                (done.stdout, done.stderr)
    assert failed_anything(db) == []
    assert dict(rows(db, "SELECT status, count(*) FROM items GROUP BY status")) == {"pending": 5}


def _two_engines_and_a_reader(db, env, ids):
    """Run two `sync --once` engines at once while a thread keeps reading with ls/show/savings."""
    reader_errors: list[str] = []
    reads = 0
    stop = threading.Event()

    def reader() -> None:
        nonlocal reads
        while not stop.is_set():
            for args in (["ls", "--format", "json"], ["show", str(ids[0]), "--limit", "50"], ["savings"]):
                done = cli(args, env, db, timeout=60)
                reads += 1
                if done.returncode != 0 or "locked" in done.stderr:
                    reader_errors.append(f"{args}: {done.returncode} {done.stderr.strip()}")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        engines = [subprocess.Popen([sys.executable, "-m", "console.cli", "--db", str(db), "sync", "--once",
                                     "--format", "json"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=180) for p in engines]
    finally:
        stop.set()
        thread.join(timeout=120)
    for p, (out, err) in zip(engines, outs, strict=False):
        assert p.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err, err
        assert json.loads(out)["errors"] == {}
    assert reader_errors == [] and reads >= 3
    return [json.loads(out) for out, _ in outs]


async def test_two_engines_polling_one_store_while_a_reader_reads_never_lock_or_duplicate(tmp_path, emu):
    db = tmp_path / "shared.db"
    env = cli_env(tmp_path, emu)
    ids = await setup_batches(db, emu, [("openai" if i % 2 else "anthropic",
                                         openai_rows(20 + i, f"s{i}") if i % 2 else anthropic_rows(20 + i, f"s{i}"))
                                        for i in range(12)], end=False)
    emu.advance(0.5 * HOUR)  # in flight: both engines poll all twelve and write their status
    reports = _two_engines_and_a_reader(db, env, ids)
    assert [r["polled"] for r in reports] == [12, 12]
    emu.advance(30 * HOUR)
    assert json.loads(cli(["sync", "--once", "--format", "json"], env, db).stdout)["errors"] == {}
    assert check_store_matches_emulator(db, emu) == []
    history = rows(db, "SELECT batch_id, status, count(*) FROM batch_status_history GROUP BY 1, 2 HAVING count(*) > 1")
    assert [tuple(r) for r in history] == [], "the same status change was recorded twice"


async def test_an_engine_held_just_before_joining_a_download_survives_another_engine_ingesting_it(tmp_path, emu):
    db = tmp_path / "race.db"
    env = cli_env(tmp_path, emu)
    [batch] = await setup_batches(db, emu, [("openai", openai_rows(50, "race"))], end=False)
    emu.advance(30 * HOUR)
    held = subprocess.Popen([sys.executable, "-m", "tests.reliability.crashpoint", "--db", str(db), "sync", "--once"],
                            cwd=ROOT, env={**env, "BATCHDECK_TEST_PAUSE": "adapters.download:_join:4"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = tmp_path / "results" / str(batch)
    deadline = time.monotonic() + 30
    while not list(results.glob("*.part*.ok")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(results.glob("*.part*.ok")), "the held engine never finished downloading"
    other = cli(["sync", "--once", "--format", "json"], env, db)  # runs while the first one is held
    out, err = held.communicate(timeout=120)
    assert other.returncode == 0, other.stderr
    assert held.returncode == 0, err
    assert check_store_matches_emulator(db, emu) == []
