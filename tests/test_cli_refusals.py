"""The command line refuses what it must, in one sentence with exit 2 (issue 15, items 2, 7, 8c).

Every test runs the real `batchdeck` in its own process on a real SQLite file; where a
provider is involved it is the emulator on a socket.
"""

from __future__ import annotations

import os
import stat

import pytest

from adapters.emulator.testing import running_emulator
from tests.reliability.helpers import cli, cli_env, openai_rows, rows, write_jsonl


@pytest.fixture(scope="module")
def emu():
    with running_emulator(seed=15) as server:
        yield server


def _one_sentence(done, code: int = 2) -> str:
    assert done.returncode == code, (done.returncode, done.stdout[-300:], done.stderr[-1000:])
    assert done.stderr.startswith("batchdeck: ") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr, done.stderr
    return done.stderr


def _config(tmp_path, body: str, mode: int = 0o600):
    path = tmp_path / "xdg-config" / "batchdeck" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    os.chmod(path, mode)
    return path


# ---- item 2: read_only = true in the config stops the command line and the console ---------
def test_read_only_in_the_config_refuses_every_spending_command_without_the_flag(tmp_path, emu):
    env = cli_env(tmp_path, emu)
    db = tmp_path / "ro.db"
    path = write_jsonl(tmp_path / "in.jsonl", openai_rows(4, "ro"))
    sent = cli(["submit", str(path), "--provider", "openai", "--format", "json"], env, db)
    assert sent.returncode == 0, sent.stderr
    emu.advance(30 * 3600)
    assert cli(["sync", "--once"], env, db).returncode == 0
    config = _config(tmp_path, "read_only = true\n")
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    batches_before = emu.state()["batches"]
    refused = {
        "cancel": ["cancel", "1", "--yes"],
        "resubmit": ["resubmit", "1", "--yes", "--include-permanent"],
        "promote": ["promote", "1", "--yes"],
        "submit": ["submit", str(path), "--provider", "openai", "--yes"],
    }
    for action, args in refused.items():
        err = _one_sentence(cli(args, env, db))
        assert f"{action} is refused in read-only mode" in err, err
    assert emu.state()["batches"] == batches_before
    assert rows(db, "SELECT count(*) FROM batches")[0][0] == 1
    # Reading still works.
    assert cli(["ls"], env, db).returncode == 0


def test_the_console_built_by_tui_run_is_read_only_from_the_config(tmp_path, monkeypatch):
    from console.engine.types import ReadOnly
    from console.tui import run as tui_run

    _config(tmp_path, "read_only = true\n")
    seen = {}

    def fake_app(store, *, read_only, engine, **_):  # stands in for the Textual app only
        seen["read_only"] = read_only
        seen["engine"] = engine() if callable(engine) else engine
        return 0

    monkeypatch.setattr(tui_run, "run", fake_app)
    assert tui_run.main(str(tmp_path / "c.db"), read_only=False, utc=False) == 0
    assert seen["read_only"] is True and seen["engine"].read_only is True
    for action in ("submit", "resubmit", "promote", "cancel"):
        with pytest.raises(ReadOnly):
            seen["engine"].require_writable(action)


# ---- item 7: nonsense arguments and a missing --db ------------------------------------------
def test_ls_with_an_unknown_status_or_provider_names_the_valid_values(tmp_path):
    env = cli_env(tmp_path, None)
    db = tmp_path / "ls.db"
    assert cli(["sync", "--once"], env, db).returncode == 0  # a write command creates the store
    err = _one_sentence(cli(["ls", "--status", "bogus"], env, db))
    assert "'bogus'" in err and "in_progress" in err and "completed" in err, err
    err = _one_sentence(cli(["ls", "--provider", "nope"], env, db))
    assert "'nope'" in err and "openai" in err and "anthropic" in err, err
    assert cli(["ls", "--status", "completed", "--provider", "openai"], env, db).returncode == 0


@pytest.mark.parametrize("args", [["ls"], ["show", "1"], ["savings"], ["export", "1"]],
                         ids=lambda a: a[0])
def test_a_read_command_on_a_missing_db_says_so_and_creates_nothing(tmp_path, args):
    db = tmp_path / "typo.db"
    err = _one_sentence(cli(args, cli_env(tmp_path, None), db))
    assert str(db) in err and "no batchdeck database" in err, err
    assert not db.exists() and sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("typo")) == []


def test_a_write_command_may_create_the_db(tmp_path):
    db = tmp_path / "fresh.db"
    assert cli(["sync", "--once"], cli_env(tmp_path, None), db).returncode == 0
    assert db.exists()
