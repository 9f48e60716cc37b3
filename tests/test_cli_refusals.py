"""The command line refuses what it must, in one sentence with exit 2 (issue 15, items 2, 7, 8c).

Every test runs the real `batchdeck` in its own process on a real SQLite file; where a
provider is involved it is the emulator on a socket.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

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


# ---- item 8c: smaller refusals --------------------------------------------------------------
@pytest.fixture(scope="module")
def fleet(tmp_path_factory, emu):
    """A store with one submitted OpenAI batch (still validating at the emulator)."""
    tmp = tmp_path_factory.mktemp("fleet")
    env = cli_env(tmp, emu)
    db = tmp / "fleet.db"
    path = write_jsonl(tmp / "in.jsonl", openai_rows(5, "f"))
    done = cli(["submit", str(path), "--provider", "openai"], env, db)
    assert done.returncode == 0, done.stderr
    return tmp, env, db, path


def test_export_of_a_missing_batch_leaves_an_existing_file_untouched(fleet):
    tmp, env, db, _ = fleet
    keep = tmp / "keep.jsonl"
    keep.write_text("precious\n")
    err = _one_sentence(cli(["export", "999", "-o", str(keep)], env, db))
    assert "no batch '999'" in err
    assert keep.read_text() == "precious\n"
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith(".keep")) == []  # no temp left
    err = _one_sentence(cli(["export", "1", "-o", str(tmp)], env, db))
    assert "is a directory" in err


@pytest.mark.parametrize("deadline,why", [("+99999999999999d", "years away"), ("+1e400d", "not an ISO"),
                                          ("2001-01-01T00:00Z", "in the past"), ("+0s", "in the past")])
def test_an_absurd_or_past_deadline_is_refused(fleet, deadline, why):
    _tmp, env, db, path = fleet
    for command in ("estimate", "submit"):
        err = _one_sentence(cli([command, str(path), "--provider", "openai", "--deadline", deadline], env, db))
        assert why in err and deadline in err, err
    assert rows(db, "SELECT count(*) FROM batches")[0][0] == 1


@pytest.mark.parametrize("args,needle", [
    (["promote", "1", "--concurrency", "-5", "--yes"], "--concurrency -5"),
    (["promote", "1", "--concurrency", "0", "--yes"], "--concurrency 0"),
    (["show", "1", "--limit", "-1"], "--limit -1"),
    (["show", "9" * 40], "no batch"),
    (["export", "9" * 400], "no batch"),
    (["cancel", "9" * 30, "--yes"], "no batch"),
    (["show", "x" * 5000], "no batch"),
])
def test_out_of_range_numbers_and_ids_are_one_sentence(fleet, args, needle):
    _tmp, env, db, _ = fleet
    err = _one_sentence(cli(args, env, db))
    assert needle in err and len(err) < 400, err


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/v1", "http://127.0.0.1:0/v1", "http://127.0.0.1:port/v1",
                                 "ftp://127.0.0.1/v1"])
def test_a_base_url_with_a_bad_port_or_scheme_is_one_sentence(tmp_path, url):
    env = cli_env(tmp_path, None, OPENAI_BASE_URL=url)
    path = write_jsonl(tmp_path / "in.jsonl", openai_rows(2, "p"))
    for args in (["submit", str(path), "--provider", "openai"], ["track", "openai", "--all"]):
        err = _one_sentence(cli(args, env, tmp_path / "p.db"))
        assert "base URL" in err and url in err, err


def test_track_all_keeps_the_total_of_our_own_validating_batch(tmp_path, emu):
    env = cli_env(tmp_path, emu)
    db = tmp_path / "t.db"
    path = write_jsonl(tmp_path / "in.jsonl", openai_rows(7, "t"))
    assert cli(["submit", str(path), "--provider", "openai"], env, db).returncode == 0
    [(status, total)] = rows(db, "SELECT status, total FROM batches")
    assert (status, total) == ("validating", 7)
    done = cli(["track", "openai", "--all"], env, db)
    assert done.returncode == 0, done.stderr
    assert [tuple(r) for r in rows(db, "SELECT status, total FROM batches WHERE provider_batch_id IS NOT NULL"
                                       " AND tracked = 0")] == [("validating", 7)]


@pytest.mark.skipif(shutil.which("chattr") is None, reason="needs chattr")
@pytest.mark.parametrize("args", [["ls"], ["sync", "--once"], ["cancel", "1", "--yes"]], ids=lambda a: a[0])
def test_a_read_only_database_file_is_one_sentence(tmp_path, args):
    env = cli_env(tmp_path, None)
    db = tmp_path / "ro.db"
    assert cli(["sync", "--once"], env, db).returncode == 0
    # chmod is not enough when the tests run as root (root may write anything); an immutable
    # file refuses even root, and for any other user chmod 0400 is the same refusal.
    os.chmod(db, 0o400)
    locked = subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode == 0
    if os.geteuid() == 0 and not locked:
        pytest.skip("running as root on a file system without chattr +i")
    try:
        err = _one_sentence(cli(args, env, db))
        assert "read-only" in err and str(db) in err, err
    finally:
        if locked:
            subprocess.run(["chattr", "-i", str(db)], check=True)
