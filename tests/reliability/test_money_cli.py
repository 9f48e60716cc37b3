"""The command line's side of issue 15 (items 0, 5, 6): an empty --items is an error, promote
shows the expected cost and the ceiling and offers to cancel the batch, a declined question is
an audit event."""

from __future__ import annotations

import json

import pytest

from adapters.emulator.testing import running_emulator
from tests.reliability.helpers import cli, cli_env, openai_rows, rows, setup_batches


@pytest.fixture
def emu():
    with running_emulator(seed=61) as server:
        yield server


@pytest.fixture
def env(tmp_path, emu):
    return cli_env(tmp_path, emu)


@pytest.mark.parametrize("command", ["promote", "resubmit"])
async def test_an_empty_items_list_is_an_error_never_all(tmp_path, emu, env, command):
    db = tmp_path / "b.db"
    [batch] = await setup_batches(db, emu, [("openai", openai_rows(5, "e"))], end=False)
    calls = emu.state()["calls"]
    done = cli([command, str(batch), "--items", "", "--yes"], env, db)
    assert done.returncode == 2, done.stderr
    assert "--items names no ids" in done.stderr
    assert emu.state()["calls"] == calls
    assert rows(db, "SELECT count(*) FROM items WHERE status <> 'pending'")[0][0] == 0


async def test_promote_names_expected_and_ceiling_and_cancels_the_batch_when_asked(tmp_path, emu, env):
    db = tmp_path / "p.db"
    [batch] = await setup_batches(db, emu, [("openai", openai_rows(4, "c"))], end=False)
    declined = cli(["promote", str(batch)], env, db)  # no terminal, no --yes: refused, nothing sent
    assert declined.returncode == 2 and "pass --yes" in declined.stderr
    assert "expected cost $" in declined.stderr and "ceiling $" in declined.stderr
    assert "   expected  " in declined.stderr and "   ceiling   " in declined.stderr
    assert "keep running at the provider and are billed too" in declined.stderr
    [event] = [json.loads(r[0]) for r in rows(db, "SELECT details FROM events WHERE action = 'promote.declined'")]
    assert event["items"] == 4 and "non-interactive" in event["reason"]
    partial = cli(["promote", str(batch), "--items", "c-0", "--cancel-batch", "--yes"], env, db)
    assert partial.returncode == 2 and "--cancel-batch" in partial.stderr
    done = cli(["promote", str(batch), "--cancel-batch", "--yes", "--format", "json"], env, db)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["promoted"] == 4
    assert rows(db, "SELECT status FROM batches WHERE id = ?", (batch,))[0][0] in ("canceling", "canceled")
