"""A killed `batchdeck submit` leaves no private `.submit-*.jsonl` copy behind for long.

The copy (the exact bytes validated, beside the store) is needed only until the intents and
their items are recorded; it is deleted then, so a submit that dies later (here: right after the
provider accepted, before the batch was recorded) leaves none, and the next sync still sends
nothing twice. A submit SIGKILLed while the copy exists leaves it; the next sync or submit
removes it once nobody holds its lock and it has not been written for STALE_COPY_SECONDS.
These run `batchdeck` as real subprocesses against a running emulator.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from adapters.emulator.testing import running_emulator
from console.engine import submit
from tests.reliability.helpers import ROOT, _cmd, cli, cli_env, openai_rows, openai_tokens, rows, write_jsonl


@pytest.fixture
def emu():
    with running_emulator(seed=5) as server:
        yield server


def copies(directory: Path) -> list[Path]:
    return sorted(directory.glob(submit.COPY_GLOB))


def backdate(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_submit_dying_after_the_provider_accepted_leaves_no_copy_and_is_sent_once(tmp_path, emu):
    env = cli_env(tmp_path, emu, BATCHDECK_CRASH_AT="after_provider_accept")
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    db = store_dir / "batchdeck.db"
    path = write_jsonl(tmp_path / "job.jsonl", openai_rows(5, "a"))
    done = cli(["submit", str(path), "--provider", "openai"], env, db)
    assert done.returncode == 75, done.stderr  # died between the provider's accept and the record
    assert copies(store_dir) == []
    env.pop("BATCHDECK_CRASH_AT")
    done = cli(["sync", "--once"], env, db)
    assert done.returncode == 0, done.stderr
    # Crash-safe re-send still works from the store alone: one batch at the provider, attached.
    assert len(openai_tokens(emu)) == 1
    assert [r[0] is not None for r in rows(db, "SELECT provider_batch_id FROM batches")] == [True]


def test_a_sigkilled_submit_leaves_its_copy_until_a_later_sync_sweeps_it(tmp_path, emu):
    env = cli_env(tmp_path, emu)
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    db = store_dir / "batchdeck.db"
    path = write_jsonl(tmp_path / "job.jsonl", openai_rows(20, "big"))
    # Dies like kill -9 (os._exit: no finally, no cleanup) when it is about to record its
    # intent: validated, its copy written and locked, nothing recorded yet.
    killed = subprocess.run(_cmd(["submit", str(path), "--provider", "openai"], db, "tests.reliability.crashpoint"),
                            cwd=ROOT, env={**env, "BATCHDECK_TEST_CRASH": "record_intent:before:1"},
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert killed.returncode == 137, killed.stderr
    left = copies(store_dir)
    assert len(left) == 1, "the killed submit left no copy to sweep"

    # A fresh copy may be a submit still validating: the next sync leaves it.
    assert cli(["sync", "--once"], env, db).returncode == 0
    assert copies(store_dir) == left
    # Unlocked and untouched for long enough: it was left by a dead submit, and is swept.
    for copy in left:
        backdate(copy, submit.STALE_COPY_SECONDS + 60)
    done = cli(["sync", "--once"], env, db)
    assert done.returncode == 0, done.stderr
    assert copies(store_dir) == []


def test_a_copy_a_live_submit_holds_is_never_swept(tmp_path):
    copy = tmp_path / ".submit-live.jsonl"
    copy.write_text("{}\n")
    backdate(copy, submit.STALE_COPY_SECONDS + 60)
    with submit.holding(copy):
        assert submit.sweep_copies(tmp_path) == 0
        assert copy.exists()
    fresh = tmp_path / ".submit-fresh.jsonl"
    fresh.write_text("{}\n")
    assert submit.sweep_copies(tmp_path) == 1  # the old one, now that nobody holds it
    assert not copy.exists() and fresh.exists()
