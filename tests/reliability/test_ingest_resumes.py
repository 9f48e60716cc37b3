"""An interrupted ingest resumes where it stopped (issue 15, 8c): it once started over from the
top each time, so a process killed more often than a whole ingest takes never got anywhere.

Real `batchdeck sync --once` processes on a real SQLite file, the emulator on a socket. Each
run dies like `kill -9` at the 7,000th result line it writes (tests/reliability/crashpoint.py,
5,000-row chunks): started over, every run would die at the same line for ever; resumed, each
run keeps the chunk it committed, so the runs make progress and the last one finishes. Then the
store holds exactly the emulator's outcome for every item, counted once.
"""

from __future__ import annotations

import random

import pytest

from adapters.emulator.testing import running_emulator
from tests.reliability.crashpoint import EXIT_CRASHED
from tests.reliability.helpers import (
    check_store_matches_emulator,
    cli,
    cli_crashing_at,
    cli_env,
    cli_killed_after,
    openai_rows,
    rows,
    setup_batches,
)

N = 20_000


@pytest.fixture
def emu():
    with running_emulator(seed=43) as server:
        yield server


def _settled(db, batch_id: int) -> int:
    return rows(db, "SELECT count(*) FROM items WHERE batch_id = ? AND status != 'pending'", (batch_id,))[0][0]


async def test_an_ingest_killed_again_and_again_resumes_and_ends_exact(tmp_path, emu):
    db = tmp_path / "resume.db"
    env = cli_env(tmp_path, emu)
    emu.set_faults(error_rate=0.2)
    [batch] = await setup_batches(db, emu, [("openai", openai_rows(N, "big"))], end=False)
    emu.advance(30 * 3600)
    progress = [0]
    for _ in range(8):
        done = cli_crashing_at("ingest_results:during:7000", ["sync", "--once"], env, db)
        assert done.returncode in (EXIT_CRASHED, 0), done.stderr
        if done.returncode == 0:
            break
        settled = _settled(db, batch)
        assert settled > progress[-1], f"no progress after a kill: {progress} then {settled}"
        progress.append(settled)
    else:
        pytest.fail(f"the ingest never finished: settled items after each kill {progress}")
    assert len(progress) >= 3, progress  # it was really interrupted, more than once
    assert rows(db, "SELECT ingested_at IS NOT NULL FROM batches WHERE id = ?", (batch,))[0][0] == 1
    assert _settled(db, batch) == N
    assert check_store_matches_emulator(db, emu) == []
    assert rows(db, "SELECT sum(items) FROM savings_rollup WHERE batch_id = ?", (batch,))[0][0] == N
    assert tuple(rows(db, "SELECT total, succeeded + errored FROM batches WHERE id = ?", (batch,))[0]) == (N, N)


async def test_an_ingest_killed_at_random_moments_ends_exact(tmp_path, emu):
    db = tmp_path / "random.db"
    env = cli_env(tmp_path, emu)
    emu.set_faults(error_rate=0.3)
    [batch] = await setup_batches(db, emu, [("openai", openai_rows(N, "r"))], end=False)
    emu.advance(30 * 3600)
    rng = random.Random(15)
    for _ in range(6):
        cli_killed_after(["sync", "--once"], env, db, delay=rng.uniform(0.3, 1.5))
    done = cli(["sync", "--once"], env, db)
    assert done.returncode == 0, done.stderr
    assert _settled(db, batch) == N
    assert check_store_matches_emulator(db, emu) == []
    assert rows(db, "SELECT sum(items) FROM savings_rollup WHERE batch_id = ?", (batch,))[0][0] == N
    # whole: a later re-run starts from the top
    assert [tuple(r) for r in rows(db, "SELECT ingested_to, ingested_lines FROM result_files"
                                       " WHERE batch_id = ?", (batch,))] == [(0, 0)]
