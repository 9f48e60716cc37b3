"""The command line contract: commands, JSON shapes, exit codes, one-sentence errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.emulator.testing import running_emulator
from tests.engine.conftest import anthropic_lines, openai_lines, write_jsonl

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def emu():
    with running_emulator(seed=3) as server:
        yield server


@pytest.fixture
def cli(tmp_path, emu, monkeypatch, capsys):
    """Run the command line in this process (same code path as the console script)."""
    from console.cli import main

    db = tmp_path / "cli.db"
    for key in list(os.environ):
        if key.startswith(("OPENAI_", "ANTHROPIC_", "BATCHDECK_")):
            monkeypatch.delenv(key)
    for key, value in dict(OPENAI_API_KEY="sk-test-secret-key-123456", OPENAI_BASE_URL=emu.base_url_openai,
                           ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=emu.base_url_anthropic,
                           XDG_DATA_HOME=str(tmp_path / "data"),
                           XDG_CONFIG_HOME=str(tmp_path / "config")).items():
        monkeypatch.setenv(key, value)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        try:
            code = main(["--db", str(db), *args])
        except SystemExit as exc:
            code = exc.code
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, captured.out, captured.err)

    return run


def test_help_and_version_answer_without_touching_a_store(tmp_path):
    # How fast is measured by the benchmark suite (`make bench`, "--help"), not here.
    for args in (["--help"], ["--version"]):
        done = subprocess.run([sys.executable, "-m", "console.cli", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=30, env={**os.environ, "XDG_DATA_HOME": str(tmp_path)})
        assert done.returncode == 0, done.stderr
        assert "promote" in done.stdout or done.stdout.startswith("batchdeck ")
    assert not any(tmp_path.iterdir())


def test_submit_sync_show_export_round_trip(cli, emu, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", openai_lines(6))
    sub = cli("submit", str(path), "--provider", "openai", "--label", "nightly",
              "--deadline", "2030-01-01T00:00:00Z", "--format", "json")
    assert sub.returncode == 0, sub.stderr
    out = json.loads(sub.stdout)
    assert out["requests"] == 6 and out["provider"] == "openai" and len(out["batch_ids"]) == 1
    batch_id = out["batch_ids"][0]
    emu.advance(6 * 3600)
    sync = cli("sync", "--once", "--format", "json")
    assert sync.returncode == 0, sync.stderr
    assert json.loads(sync.stdout)["ingested"] == {str(batch_id): 6}
    ls = json.loads(cli("ls", "--format", "json").stdout)
    [row] = ls["batches"]
    assert row["status"] == "completed" and row["label"] == "nightly"
    assert row["counts"] == {"total": 6, "succeeded": 6, "errored": 0, "expired": 0, "canceled": 0,
                             "processing": 0}
    assert row["deadline"] == 1893456000.0
    show = json.loads(cli("show", out["provider_batch_ids"][0], "--format", "json").stdout)
    assert show["batch"]["id"] == batch_id and len(show["items"]) == 6
    assert show["items"][0]["usage"]["output_tokens"] > 0
    exported = cli("export", str(batch_id)).stdout.splitlines()
    assert [json.loads(line)["custom_id"] for line in exported] == [f"req-{i}" for i in range(6)]
    table = cli("ls").stdout
    assert "completed" in table and "6/6" in table
    savings = json.loads(cli("savings", "--by", "model", "--format", "json").stdout)
    assert savings["rows"][0]["key"] == "gpt-6-luna" and savings["rows"][0]["savings"] > 0


def test_show_failed_gives_each_failure_the_providers_own_message(cli, emu, tmp_path):
    emu.set_faults(error_rate=0.5)
    path = write_jsonl(tmp_path / "f.jsonl", openai_lines(20))
    batch_id = json.loads(cli("submit", str(path), "--provider", "openai", "--format", "json").stdout)["batch_ids"][0]
    emu.advance(6 * 3600)
    assert cli("sync", "--once").returncode == 0
    failed = json.loads(cli("show", str(batch_id), "--failed", "--format", "json").stdout)["items"]
    assert failed and all(item["error_message"] for item in failed)
    shown = cli("show", str(batch_id), "--failed").stdout.splitlines()
    rows = shown[shown.index(next(line for line in shown if line.startswith("#"))):]
    # Items are numbered as in the console's # column (their place in the file), not store ids.
    assert rows[0].split() == ["#", "CUSTOM", "ID", "STATUS", "ERROR", "CLASS", "MESSAGE"]
    assert [int(row.split()[0]) for row in rows[1:]] == [item["seq"] for item in failed]
    # Not a terminal: each message whole, on its item's line.
    assert [row.split()[1] for row in rows[1:]] == [item["custom_id"] for item in failed]
    assert all(row.endswith(item["error_message"]) for row, item in zip(rows[1:], failed, strict=False))


def test_a_table_cuts_only_its_last_column_to_fit_a_terminal(capsys):
    from console.cli.io import table

    table(["ID", "MESSAGE"], [["a1", "m" * 50], ["b2", "short"]], width=20)
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["ID  MESSAGE", "a1  mmmmmmmmmmmmmm…", "b2  short"]
    table(["ID", "MESSAGE"], [["a1", "m" * 50]], width=None)
    assert capsys.readouterr().out.splitlines()[1] == "a1  " + "m" * 50


class _Terminal:
    """A stdin that is a terminal, where the operator types `answer`."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return self.answer + "\n"


def test_submit_shows_its_cost_first_and_on_a_terminal_asks(cli, emu, tmp_path, monkeypatch):
    path = write_jsonl(tmp_path / "s.jsonl", openai_lines(3))
    scripted = cli("submit", str(path), "--provider", "openai")  # a script is never asked
    assert scripted.returncode == 0
    # Changed on purpose (branch ceilings): the preview names the expected cost and the ceiling.
    assert scripted.stderr.startswith("submit 3 requests to openai as 1 batch at batch prices: expected $")
    assert "; ceiling $" in scripted.stderr.splitlines()[0]
    monkeypatch.setattr("sys.stdin", _Terminal("n"))
    declined = cli("submit", str(path), "--provider", "openai")
    assert declined.returncode == 0 and "Submit 3 requests? [y/N] nothing sent" in declined.stderr
    assert len(json.loads(cli("ls", "--format", "json").stdout)["batches"]) == 1
    monkeypatch.setattr("sys.stdin", _Terminal("y"))
    assert cli("submit", str(path), "--provider", "openai").returncode == 0
    monkeypatch.setattr("sys.stdin", _Terminal("n"))
    yes = cli("submit", str(path), "--provider", "openai", "--yes")  # not asked, so not declined
    assert yes.returncode == 0 and "[y/N]" not in yes.stderr
    assert len(json.loads(cli("ls", "--format", "json").stdout)["batches"]) == 3


def test_bad_input_exits_2_with_one_sentence(cli, tmp_path):
    bad = write_jsonl(tmp_path / "bad.jsonl", ["{oops", json.dumps(openai_lines(1)[0])])
    done = cli("submit", str(bad), "--provider", "openai")
    assert done.returncode == 2
    assert done.stderr.startswith("batchdeck: ") and "line 1: bad JSON" in done.stderr
    assert "Traceback" not in done.stderr
    one_more = cli("estimate", str(write_jsonl(tmp_path / "two.jsonl", ["{oops", "[1]"])), "--provider", "openai")
    assert one_more.returncode == 2 and one_more.stderr.rstrip().endswith("(and 1 more bad line)")
    missing = cli("show", "nope")
    assert missing.returncode == 2 and missing.stderr.strip() == (
        "batchdeck: no batch 'nope' in this store (use our id or the provider's id)")
    usage = cli("promote")
    assert usage.returncode == 2


def test_a_bad_file_is_reported_line_by_line_on_stdout_and_in_one_sentence_on_stderr(cli, tmp_path, emu):
    good = [json.dumps(line) for line in openai_lines(3)]
    bad = write_jsonl(tmp_path / "bad.jsonl", [good[0], "{oops", good[0], "[1, 2]", good[1],
                                               '{"custom_id": "x\u001b[31m", "body": 5}'])
    for command in (["submit", str(bad), "--provider", "openai"], ["estimate", str(bad), "--provider", "openai"]):
        done = cli(*command)
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and "line 2: bad JSON" in done.stderr
        assert "(and 3 more bad lines)" in done.stderr
        listed = done.stdout.splitlines()
        assert [line.split(": ", 1)[0] for line in listed] == [f"{bad}:{n}" for n in (2, 3, 4, 6)]
        assert "duplicate custom_id" in listed[1] and "first on line 1" in listed[1]
        assert "\x1b" not in done.stdout  # text from the file is shown, never sent to the terminal
    report = cli("submit", str(bad), "--provider", "openai", "--format", "json")
    assert report.returncode == 2
    data = json.loads(report.stdout)
    assert data["path"] == str(bad) and data["total_lines"] == 6 and data["bad_lines"] == 4
    assert [p["line"] for p in data["problems"]] == [2, 3, 4, 6]
    assert data["problems"][1]["custom_id"] == "req-0"
    assert emu.state()["batches"] == []


def test_provider_failures_exit_1_without_leaking_the_key(cli, emu, tmp_path):
    emu.set_faults(http_500_rate=1.0)
    done = cli("track", "openai", "batch_missing")
    assert done.returncode in (1, 2)
    assert "sk-test-secret" not in done.stderr and "Traceback" not in done.stderr
    emu.set_faults(http_500_rate=0.0)
    debug = cli("--debug", "show", "nope")
    assert debug.returncode == 2 and "Traceback" in debug.stderr


def test_actions_ask_first_and_scripts_pass_yes(cli, emu, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", anthropic_lines(4))
    submitted = cli("submit", str(path), "--provider", "anthropic", "--format", "json")
    batch_id = json.loads(submitted.stdout)["batch_ids"][0]
    refused = cli("cancel", str(batch_id))
    assert refused.returncode == 2 and "--yes" in refused.stderr
    promote = cli("promote", str(batch_id), "--items", "req-0,req-1", "--yes", "--format", "json")
    assert promote.returncode == 0, promote.stderr
    assert "standard" in promote.stderr and "batch" in promote.stderr  # the cost shown first
    assert json.loads(promote.stdout)["promoted"] == 2
    cancel = cli("cancel", str(batch_id), "--yes")
    assert cancel.returncode == 0 and "canceling" in cancel.stdout
    read_only = cli("--read-only", "promote", str(batch_id), "--yes")
    assert read_only.returncode == 2 and "read-only" in read_only.stderr


def test_estimate_and_track_and_resubmit_from_the_command_line(cli, emu, tmp_path):
    path = write_jsonl(tmp_path / "e.jsonl", openai_lines(10))
    est = json.loads(cli("estimate", str(path), "--provider", "openai", "--deadline", "+30m",
                         "--format", "json").stdout)
    assert est["requests"] == 10 and est["route"] == "flex"
    assert [c["tier"] for c in est["costs"]] == ["batch", "flex", "standard", "priority"]
    client = emu.anthropic_client()
    theirs = client.messages.batches.create(requests=[
        {"custom_id": r["custom_id"], "params": r["params"]} for r in anthropic_lines(5)])
    emu.batch_faults(theirs.id, error_rate=1.0, retryable_share=1.0)
    tracked = cli("track", "anthropic", theirs.id, "--format", "json")
    assert tracked.returncode == 0 and len(json.loads(tracked.stdout)["created"]) == 1
    emu.advance(6 * 3600)
    assert cli("sync", "--once").returncode == 0
    needs = cli("resubmit", theirs.id, "--yes")
    assert needs.returncode == 2 and "pass --input FILE" in needs.stderr
    original = write_jsonl(tmp_path / "orig.jsonl", anthropic_lines(5))
    done = cli("resubmit", theirs.id, "--input", str(original), "--yes", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["items"] == 5


def test_ls_and_submit_name_expiry_deadline_and_both_ids(cli, emu, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", openai_lines(3))
    sub = cli("submit", str(path), "--provider", "openai", "--deadline", "2030-01-01T00:00:00Z", "--yes")
    assert sub.returncode == 0, sub.stderr
    ours = json.loads(cli("ls", "--format", "json").stdout)["batches"][0]
    assert f"batch #{ours['id']}  openai id {ours['provider_batch_id']}" in sub.stdout
    header, row = cli("ls").stdout.splitlines()[:2]
    assert "EXPIRES" in header.split() and "DEADLINE" in header.split()
    assert "2030-01-01" in row


def test_estimate_finds_the_provider_from_the_lines_urls(cli, tmp_path):
    est = cli("estimate", str(write_jsonl(tmp_path / "in.jsonl", openai_lines(3))))
    assert est.returncode == 0, est.stderr
    assert est.stdout.startswith("provider: openai (from the lines' urls)")
    bare = write_jsonl(tmp_path / "bare.jsonl", ['{"custom_id": "a", "params": {"model": "m"}}'])
    unknown = cli("estimate", str(bare))
    assert unknown.returncode == 2 and "pass --provider" in unknown.stderr


def test_every_flag_has_help_text():
    import argparse

    from console.cli.main import build_parser

    def bare(parser: argparse.ArgumentParser, name: str) -> list[str]:
        missing = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    missing += bare(sub, sub_name)
            elif not action.help:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
        return missing

    assert bare(build_parser(), "batchdeck") == []


def test_show_and_ls_say_when_requests_not_read_yet_stop_being_downloadable(cli, emu):
    """A batch another client created, tracked but not yet read: `show` counts down to the
    provider dropping its requests (ls names the sooner date: here the batch's expiry); once
    read, show no longer says it."""
    import io

    client = emu.openai_client(max_retries=0)
    line = json.dumps(openai_lines(1)[0]) + "\n"
    uploaded = client.files.create(file=("in.jsonl", io.BytesIO(line.encode())), purpose="batch")
    theirs = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                   completion_window="24h")
    assert cli("track", "openai", "--all").returncode == 0  # tracked; read by the next sync pass
    shown = cli("show", theirs.id)
    assert "inputs: not read yet" in shown.stdout
    assert "requests downloadable" in shown.stdout and "not yet in the store" in shown.stdout
    [row] = [r for r in cli("ls").stdout.splitlines() if theirs.id in r]
    assert " inputs " not in row  # the batch's own expiry (a day away) comes first; 30 days for the file
    data = json.loads(cli("show", theirs.id, "--format", "json").stdout)["batch"]
    assert data["inputs"] == "pending" and data["inputs_until"] > data["created_at"]
    assert cli("sync", "--once").returncode == 0
    assert "requests downloadable" not in cli("show", theirs.id).stdout
