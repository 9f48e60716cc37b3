"""Unbounded and invalid request files (issue 15, item 8): refused at once or line by line,
one sentence, exit 2, nothing sent; a file that changes while it is submitted never changes
what is sent. Real `batchdeck` processes, the emulator on a socket, real files."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest

from adapters.emulator.testing import running_emulator
from tests.reliability.helpers import ROOT, anthropic_rows, cli, cli_env, openai_rows, rows


@pytest.fixture(scope="module")
def emu():
    with running_emulator(seed=8) as server:
        yield server


def _refused(done, *needles: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout[-300:], done.stderr[-1000:])
    assert done.stderr.startswith("batchdeck: ") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr, done.stderr
    for needle in needles:
        assert needle in done.stderr, done.stderr
    return done.stderr


# ---- not a regular file: refused at once ----------------------------------------------------
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory"])
@pytest.mark.parametrize("command", ["estimate", "submit"])
def test_a_path_that_is_not_a_regular_file_is_refused_at_once(tmp_path, emu, kind, command):
    if kind == "fifo":
        path = tmp_path / "pipe.jsonl"
        os.mkfifo(path)  # nobody ever writes: reading it would wait forever
    elif kind == "dev-zero":
        path = "/dev/zero"  # reading it would grow without end
    else:
        path = tmp_path / "folder"
        path.mkdir()
    done = cli([command, str(path), "--provider", "openai"], cli_env(tmp_path, emu), tmp_path / "f.db",
               timeout=30)
    _refused(done, str(path), "not a regular file")
    assert emu.state()["files"] == []


def test_a_huge_line_is_refused_without_reading_it_into_memory(tmp_path, emu):
    # 3 GB of one line (sparse: nothing on disk) under a 1 GB address-space limit: read whole,
    # as it once was, it cannot fit; read in bounded chunks it is refused by number.
    good = json.dumps(openai_rows(1, "ok")[0]).encode() + b"\n"
    path = tmp_path / "huge.jsonl"
    with open(path, "wb") as f:
        f.write(good)
        f.truncate(len(good) + 3 * 1024**3)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))

    done = subprocess.run([sys.executable, "-m", "console.cli", "--db", str(tmp_path / "h.db"), "estimate",
                           str(path), "--provider", "openai"], cwd=ROOT, env=cli_env(tmp_path, emu),
                          capture_output=True, text=True, timeout=120, preexec_fn=limit)
    _refused(done, "line 2", "over the 10,000,000-byte limit")


# ---- a bad value in a body: a line error ----------------------------------------------------
def _openai(body_extra: dict | None = None, raw: str | None = None) -> str:
    row = openai_rows(1, "bad")[0]
    row["body"].update(body_extra or {})
    text = json.dumps(row)
    return text.replace('"max_tokens": 64', raw) if raw else text


def _anthropic(params_extra: dict | None = None, raw: str | None = None) -> str:
    row = anthropic_rows(1, "bad")[0]
    row["params"].update(params_extra or {})
    text = json.dumps(row)
    return text.replace('"max_tokens": 64', raw) if raw else text


BAD_VALUES = {
    "NaN": dict(raw='"max_tokens": 64, "temperature": NaN'),
    "Infinity": dict(raw='"max_tokens": 64, "temperature": Infinity'),
    "-Infinity": dict(raw='"max_tokens": 64, "top_p": -Infinity'),
    "1e400": dict(raw='"max_tokens": 64, "temperature": 1e400'),
    "max_tokens negative": dict(raw='"max_tokens": -5'),
    "max_tokens zero": dict(raw='"max_tokens": 0'),
    "max_tokens 1e30": dict(raw='"max_tokens": 1e30'),
    "max_tokens absurd int": dict(raw='"max_tokens": 50000000'),
    "max_tokens true": dict(raw='"max_tokens": true'),
    "max_tokens string": dict(raw='"max_tokens": "64"'),
    "model 5": dict(body_extra={"model": 5}),
    "lone surrogate": dict(raw='"max_tokens": 64, "system": "x\\udc00y"'),
}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("name", list(BAD_VALUES))
def test_a_bad_value_in_a_body_is_a_line_error_and_nothing_is_sent(tmp_path, emu, provider, name):
    make, good = ((_openai, openai_rows(3, "g")) if provider == "openai" else (_anthropic, anthropic_rows(3, "g")))
    spec = BAD_VALUES[name]
    bad = make(spec.get("body_extra"), spec.get("raw"))
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([json.dumps(good[0]), json.dumps(good[1]), bad, json.dumps(good[2])]) + "\n")
    db = tmp_path / "v.db"
    before = len(emu.state()["batches"])
    env = cli_env(tmp_path, emu)
    for command in ("estimate", "submit"):
        _refused(cli([command, str(path), "--provider", provider], env, db), "line 3")
    assert len(emu.state()["batches"]) == before
    assert rows(db, "SELECT count(*) FROM batches")[0][0] == 0


def test_a_lone_surrogate_in_a_custom_id_is_a_line_error(tmp_path, emu):
    row = json.dumps(openai_rows(1, "s")[0]).replace('"s-0"', '"s-\\udc00"')
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(openai_rows(1, "ok")[0]) + "\n" + row + "\n")
    _refused(cli(["submit", str(path), "--provider", "openai"], cli_env(tmp_path, emu), tmp_path / "s.db"),
             "line 2", "surrogate")


def test_sane_token_limits_still_pass(tmp_path, emu):
    row = openai_rows(1, "ok")[0]
    row["body"]["max_tokens"] = 32_000
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps(row) + "\n")
    done = cli(["estimate", str(path), "--provider", "openai"], cli_env(tmp_path, emu), tmp_path / "ok.db")
    assert done.returncode == 0, done.stderr
