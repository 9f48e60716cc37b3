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


async def test_promote_preview_says_which_items_have_no_ceiling_and_json_carries_both_figures(tmp_path, emu, env):
    """A request without max_tokens has no ceiling: the preview says so in words (never the
    256-token guess priced as a bound), and the JSON result carries both figures."""
    db = tmp_path / "n.db"
    lines = openai_rows(4, "n")
    del lines[3]["body"]["max_tokens"]
    [batch] = await setup_batches(db, emu, [("openai", lines)], end=False)
    declined = cli(["promote", str(batch), "--tier", "standard"], env, db)
    assert declined.returncode == 2
    assert "ceiling: none for 1 of 4 items (no max_tokens); $" in declined.stderr
    [row] = [line for line in declined.stderr.splitlines() if line.startswith("   ceiling   ")]
    assert row.split()[1] == "none" and "for 1 of 4 items (no max_tokens); $" in row and row.endswith(
        "for the other 3, at standard")
    done = cli(["promote", str(batch), "--items", "n-0,n-1", "--tier", "standard", "--yes", "--format", "json"],
               env, db)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["promoted"] == 2 and data["priced_at"] == "standard"
    assert data["ceiling_unbounded"] == 0 and data["ceiling_reasons"] == {}
    assert data["ceiling_cost"] == data["ceiling_bounded_cost"] and data["ceiling_cost"] >= data["cost"] > 0
    assert data["expected_cost"] > 0 and "output tokens per item" in data["expected_basis"]
    rest = cli(["promote", str(batch), "--tier", "standard", "--yes", "--format", "json"], env, db)
    data = json.loads(rest.stdout)
    assert data["ceiling_cost"] is None and data["ceiling_unbounded"] == 1  # no bound: null, never a guess
    assert data["ceiling_reasons"] == {"no max_tokens": 1} and data["ceiling_bounded_cost"] > 0


async def test_submit_and_resubmit_json_carry_expected_and_ceiling(tmp_path, emu, env):
    db = tmp_path / "s.db"
    path = tmp_path / "s.jsonl"
    lines = openai_rows(3, "s")
    del lines[0]["body"]["max_tokens"]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    done = cli(["submit", str(path), "--provider", "openai", "--format", "json"], env, db)
    assert done.returncode == 0, done.stderr
    assert "at batch prices: expected $" in done.stderr
    assert "ceiling: none for 1 of 3 requests (no max_tokens); $" in done.stderr
    data = json.loads(done.stdout)
    assert data["priced_at"] == "batch" and data["expected_cost"] > 0
    assert data["ceiling_cost"] is None and data["ceiling_unbounded"] == 1 and data["ceiling_bounded_cost"] > 0
    assert set(data) >= {"expected_basis", "ceiling_reasons", "batch_ids", "summary"}
    [batch] = await setup_batches(tmp_path / "r.db", emu, [("openai", openai_rows(6, "r"))], end=False)
    emu.batch_faults(rows(tmp_path / "r.db", "SELECT provider_batch_id FROM batches")[0][0], error_rate=0.5,
                     retryable_share=1.0)
    emu.advance(30 * 3600)
    assert cli(["sync", "--once"], env, tmp_path / "r.db").returncode == 0
    again = cli(["resubmit", str(batch), "--yes", "--format", "json"], env, tmp_path / "r.db")
    assert again.returncode == 0, again.stderr
    data = json.loads(again.stdout)
    assert data["priced_at"] == "batch" and data["ceiling_unbounded"] == 0
    assert data["ceiling_cost"] is not None and data["ceiling_cost"] >= data["expected_cost"] > 0
