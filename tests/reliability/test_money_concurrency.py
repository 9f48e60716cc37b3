"""Money is spent once, with real processes racing on one store (issue 15, items 0 and 1).

Every test starts real `batchdeck` command-line processes at the same moment against one SQLite
file and the emulator, then checks what the provider was asked to do: no item is bought or sent
twice, whoever wins a race.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from adapters.emulator.testing import running_emulator
from tests.reliability.helpers import (
    ROOT,
    _cmd,
    anthropic_rows,
    backdate_intents,
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
    with running_emulator(seed=59) as server:
        yield server


@pytest.fixture
def env(tmp_path, emu):
    return cli_env(tmp_path, emu)


def together(commands: list[list[str]], env: dict[str, str], db: Path, *, timeout: float = 120
             ) -> list[subprocess.CompletedProcess[str]]:
    """Start every command at once (each its own `batchdeck` process) and wait for them all."""
    procs = [subprocess.Popen(_cmd(args, db), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True) for args in commands]
    done = []
    for args, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=timeout)
        done.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return done


async def failed_parent(db: Path, emu: Any, prefix: str, n: int = 400) -> tuple[int, list[str]]:
    emu.set_faults(error_rate=0.5, retryable_share=1.0)
    [parent] = await setup_batches(db, emu, [("openai", openai_rows(n, prefix))], end=True)
    emu.set_faults(error_rate=0.0)
    failed = [r[0] for r in rows(db, "SELECT custom_id FROM items WHERE batch_id = ? AND status = 'errored'",
                                 (parent,))]
    assert len(failed) > 5
    return parent, failed


async def test_two_resubmits_at_once_put_each_failed_item_in_exactly_one_child_batch(tmp_path, emu, env):
    for trial in range(3):
        db = tmp_path / f"race{trial}.db"
        parent, failed = await failed_parent(db, emu, f"two{trial}")
        results = together([["resubmit", str(parent), "--yes", "--format", "json"]] * 2, env, db)
        for r in results:
            assert r.returncode in (0, 2), r.stderr
            assert "Traceback" not in r.stderr
        held = rows(db, "SELECT i.custom_id, count(*) FROM items i JOIN batches b ON b.id = i.batch_id "
                        "WHERE b.parent_id = ? GROUP BY i.custom_id", (parent,))
        twice = [cid for cid, n in held if n > 1]
        assert twice == [], f"trial {trial}: {len(twice)} failed items are in two child batches"
        assert sorted(cid for cid, _ in held) == sorted(failed)


async def test_resubmit_beside_promote_never_both_promotes_and_replaces_an_item(tmp_path, emu, env):
    emu.set_faults(realtime_latency_ms=20)
    for trial in range(2):
        db = tmp_path / f"race{trial}.db"
        parent, failed = await failed_parent(db, emu, f"mix{trial}")
        results = together([["resubmit", str(parent), "--yes", "--format", "json"],
                            ["promote", str(parent), "--items", ",".join(failed), "--yes", "--format", "json",
                             "--concurrency", "4"]], env, db)
        for r in results:
            assert r.returncode in (0, 2), r.stderr
            assert "Traceback" not in r.stderr
        both = rows(db, "SELECT p.custom_id FROM items p WHERE p.batch_id = ? AND p.status = 'promoted' AND "
                        "EXISTS (SELECT 1 FROM items c JOIN batches b ON b.id = c.batch_id "
                        "WHERE b.parent_id = p.batch_id AND c.custom_id = p.custom_id)", (parent,))
        assert both == [], f"trial {trial}: {len(both)} items were both promoted and resubmitted"
        replaced_and_promoted = rows(db, "SELECT count(*) FROM items WHERE batch_id = ? AND status = 'promoted' "
                                         "AND replaced_by IS NOT NULL", (parent,))[0][0]
        assert replaced_and_promoted == 0
        settled = rows(db, "SELECT count(*) FROM items WHERE batch_id = ? AND status IN ('promoted', 'resubmitted')",
                       (parent,))[0][0]
        assert settled == len(failed)  # every failed item went one way or the other


async def test_promote_beside_a_sync_ingest_buys_no_item_already_succeeded(tmp_path, emu, env):
    db = tmp_path / "race.db"
    concurrency = 2
    [batch] = await setup_batches(db, emu, [("openai", openai_rows(400, "ing"))], end=False)
    emu.set_faults(realtime_latency_ms=30)
    promote = subprocess.Popen(_cmd(["promote", str(batch), "--yes", "--format", "json",
                                     "--concurrency", str(concurrency)], db),
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # let it buy a few first
        if rows(db, "SELECT count(*) FROM items WHERE batch_id = ? AND status = 'promoted'", (batch,))[0][0] >= 10:
            break
        time.sleep(0.05)
    emu.advance(30 * HOUR)  # the batch ends; a sync stores its results while the promote runs
    synced = cli(["sync", "--once"], env, db)
    assert synced.returncode == 0, synced.stderr
    out, err = promote.communicate(timeout=120)
    assert promote.returncode == 0, err
    [ingested_at] = [r[0] for r in rows(db, "SELECT ingested_at FROM batches WHERE id = ?", (batch,))]
    assert ingested_at is not None
    # Bought after the batch's own result was stored: at most the calls already in flight then.
    late = rows(db, "SELECT count(*) FROM items WHERE batch_id = ? AND status = 'promoted' "
                    "AND result_status = 'succeeded' AND updated_at > ?", (batch, ingested_at + 0.5))[0][0]
    assert late <= concurrency, f"{late} items were bought after their batch result was stored"
    report = json.loads(out)
    assert report["promoted"] < 400 and report["skipped"], report  # the ingest landed mid-run


async def test_two_syncs_send_each_aged_intent_exactly_once(tmp_path, emu, env):
    """An ambiguous submission left an intent; once it is older than the grace period, two
    `sync --once` processes started together must send it once between them. 20 trials: four
    races of two processes, each over five intents (both providers, distinct sizes). Most of
    the run time is the two processes starting (the Anthropic SDK's import alone is ~1 s)."""
    from console.engine import submit
    from store import Store
    from tests.engine.conftest import make_engine

    db = tmp_path / "race.db"
    trials = 0
    for race in range(4):
        intents = []
        with Store.open(db) as store:
            engine = make_engine(store, emu)
            for k, provider in enumerate(("openai", "anthropic", "openai", "anthropic", "openai")):
                n = 3 + k
                prefix = f"r{race}i{k}"
                lines = openai_rows(n, prefix) if provider == "openai" else anthropic_rows(n, prefix)
                body = "body" if provider == "openai" else "params"
                endpoint = "/v1/chat/completions" if provider == "openai" else "/v1/messages"
                intent, _ = submit.record(engine, provider=provider, profile=None, endpoint=endpoint,
                                          model=None, label=None, deadline=None, job_id=prefix, parent_id=None,
                                          items=[(r["custom_id"], json.dumps(r[body])) for r in lines])
                intents.append(intent)
        backdate_intents(db, 2 * HOUR)
        before = len(emu.state()["batches"])
        results = together([["sync", "--once"]] * 2, env, db)
        for r in results:
            assert r.returncode == 0, r.stderr
        sent = len(emu.state()["batches"]) - before
        assert sent == len(intents), f"race {race}: {sent} provider batches for {len(intents)} intents"
        for intent in intents:
            [attached] = [r[0] for r in rows(db, "SELECT provider_batch_id FROM batches WHERE id = ?", (intent,))]
            assert attached is not None, f"race {race}: intent {intent} was not sent"
            trials += 1
    assert trials == 20
    assert check_store_matches_emulator(db, emu, allow_unsent_intents=False) == []
