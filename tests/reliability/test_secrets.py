"""Secrets: a planted API key never reaches the database, the audit log, results files,
exports, stdout/stderr (with or without --debug, on success or failure); files batchdeck
creates are private; a config file others can read is refused while it holds a key."""

from __future__ import annotations

import json
import os
import stat

import pytest

from adapters.emulator.testing import running_emulator
from tests.reliability.helpers import (
    PLANTED,
    PLANTED_PROFILE_KEY,
    anthropic_rows,
    cli,
    cli_env,
    openai_rows,
    write_jsonl,
)


@pytest.fixture
def emu():
    with running_emulator(seed=9) as server:
        yield server


def _everything_written(tmp_path) -> dict[str, bytes]:
    """Every file under tmp_path batchdeck could have written (DB, WAL, results, exports...)."""
    out = {}
    for root, _dirs, files in os.walk(tmp_path):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, tmp_path)] = f.read()
    return out


def _leaks(blob: bytes | str) -> list[str]:
    data = blob.encode("utf-8", "surrogateescape") if isinstance(blob, str) else blob
    found = []
    for key in PLANTED:
        for form in (key, key[-12:], key[:24]):
            if form.encode() in data:
                found.append(form)
    return found


def test_a_planted_key_appears_in_no_output_and_no_file_after_every_command(tmp_path, emu):
    env = cli_env(tmp_path, emu)
    db = tmp_path / "xdg-data" / "batchdeck" / "batchdeck.db"  # the default location
    a = write_jsonl(tmp_path / "a.jsonl", openai_rows(6, "a"))
    b = write_jsonl(tmp_path / "b.jsonl", anthropic_rows(5, "b"))
    emu.set_faults(error_rate=0.4, retryable_share=1.0)
    transcript = []

    def run(*args, expect=None, debug=False):
        done = cli([*(["--debug"] if debug else []), *args], env, None)
        transcript.append((args, done))
        if expect is not None:
            assert done.returncode == expect, (args, done.stderr)
        return done

    first = json.loads(run("submit", str(a), "--provider", "openai", "--format", "json", expect=0).stdout)
    assert db.exists()  # so the store scanned below is the one the commands wrote
    run("submit", str(b), "--provider", "anthropic", "--label", "secret-test", expect=0)
    run("estimate", str(a), "--provider", "openai", "--deadline", "+1h", "--format", "json", expect=0)
    run("promote", "2", "--items", "b-0", "--yes", "--tier", "standard", expect=0)
    emu.advance(30 * 3600)
    run("sync", "--once", "--format", "json", expect=0)
    run("--debug", "ls", "--format", "json", expect=0)
    run("show", str(first["batch_ids"][0]), "--format", "json", expect=0)
    run("savings", "--by", "model", expect=0)
    run("export", "1", "--format", "csv", "-o", str(tmp_path / "out.csv"), expect=0)
    run("export", "2", expect=0)
    run("resubmit", "1", "--yes", "--format", "json", expect=0)
    run("cancel", "3", "--yes")
    run("track", "openai", "batch_does_not_exist", debug=True)
    # Failures with --debug: the provider refusing every call, then unreachable.
    emu.set_faults(error_rate=0.0, http_500_rate=1.0)
    run("track", "anthropic", "--all", debug=True)
    emu.set_faults(http_500_rate=0.0, http_429_rate=1.0, retry_after=0.01)
    run("sync", "--once", debug=True)
    emu.set_faults(http_429_rate=0.0)
    dead = {**env, "OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
    for args in (["--debug", "track", "openai", "batch_x"],):
        done = cli(args, dead, None, timeout=120)
        transcript.append((args, done))
        assert done.returncode == 1, done.stderr
    assert len(transcript) >= 15
    failures = [args for args, done in transcript if done.returncode != 0]
    assert len(failures) >= 3, "the failure paths must have been exercised"
    assert any("Traceback" in done.stderr for _, done in transcript), "--debug tracebacks were exercised"
    for args, done in transcript:
        assert _leaks(done.stdout + done.stderr) == [], args
    files = _everything_written(tmp_path)
    assert any(name.endswith("batchdeck.db") for name in files) and any("results" in n for n in files)
    written_by_us = {n: data for n, data in files.items() if not n.endswith(".jsonl") or "results" in n}
    assert {n: _leaks(data) for n, data in written_by_us.items() if _leaks(data)} == {}


def _modes_after_a_round_trip(tmp_path, emu, db):
    env = cli_env(tmp_path, emu)
    a = write_jsonl(tmp_path / "a.jsonl", openai_rows(3, "a"))
    assert cli(["submit", str(a), "--provider", "openai"], env, db).returncode == 0
    assert cli(["promote", "1", "--items", "a-0", "--yes"], env, db).returncode == 0
    emu.advance(30 * 3600)
    assert cli(["sync", "--once"], env, db).returncode == 0
    data_dir = (db or tmp_path / "xdg-data" / "batchdeck" / "batchdeck.db").parent
    modes = {}
    for root, dirs, files in os.walk(data_dir):
        for name in dirs + files:
            path = os.path.join(root, name)
            modes[os.path.relpath(path, data_dir)] = stat.S_IMODE(os.stat(path).st_mode)
    return data_dir, modes


def test_the_default_data_directory_and_database_are_private(tmp_path, emu):
    os.umask(0o022)
    data_dir, modes = _modes_after_a_round_trip(tmp_path, emu, None)
    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
    assert modes["batchdeck.db"] == 0o600
    assert any(name.startswith("results/") and name.endswith(".jsonl") for name in modes)


def test_results_beside_a_db_in_a_shared_directory_are_private_too(tmp_path, emu):
    os.umask(0o022)
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    _, modes = _modes_after_a_round_trip(tmp_path, emu, shared / "ops.db")
    assert modes["ops.db"] == 0o600
    readable_by_others = {name: oct(mode) for name, mode in modes.items()
                          if mode & 0o077 and not name.endswith(".jsonl.input")}
    assert readable_by_others == {}


def _config(tmp_path, mode: int, body: str):
    path = tmp_path / "xdg-config" / "batchdeck" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    os.chmod(path, mode)
    return path


PROFILE = '[profiles.prod]\nprovider = "openai"\napi_key = "{key}"\nbase_url = "{url}"\n'


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_config_others_can_read_is_refused_while_it_holds_a_key(tmp_path, emu, mode):
    path = _config(tmp_path, mode, PROFILE.format(key=PLANTED_PROFILE_KEY, url=emu.base_url_openai))
    env = cli_env(tmp_path, emu)
    for args in (["--profile", "prod", "ls"], ["--profile", "prod", "sync", "--once"]):
        done = cli(args, env, tmp_path / "c.db")
        assert done.returncode != 0
        assert done.stderr.startswith("batchdeck: ") and done.stderr.count("\n") == 1, done.stderr
        assert str(path) in done.stderr and "chmod 600" in done.stderr
        assert "Traceback" not in done.stderr and _leaks(done.stderr) == []
    assert oct(stat.S_IMODE(os.stat(path).st_mode)) == oct(mode)  # we never "fix" it silently


def test_a_private_config_with_a_key_in_a_profile_is_used_and_the_key_never_leaks(tmp_path, emu):
    _config(tmp_path, 0o600, PROFILE.format(key=PLANTED_PROFILE_KEY, url=emu.base_url_openai))
    env = cli_env(tmp_path, None)
    db = tmp_path / "p.db"
    a = write_jsonl(tmp_path / "a.jsonl", openai_rows(3, "a"))
    done = cli(["--profile", "prod", "submit", str(a), "--provider", "openai", "--format", "json"], env, db)
    assert done.returncode == 0, done.stderr
    assert _leaks(done.stdout + done.stderr) == []
    with open(db, "rb") as f:
        assert _leaks(f.read()) == []
