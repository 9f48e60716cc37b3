"""`batchdeck alerts`, `alerts test`, `alerts check`; alert targets are secrets everywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests import test_cli as cli_fixtures
from tests.engine.alert_fixtures import exec_alerts, exec_sink, receiving, write_config

cli = cli_fixtures.cli  # the command line run in this process, over an emulator
emu = cli_fixtures.emu

TOKEN = "hunter2-webhook-token-9f8e7d"


@pytest.fixture
def receiver():
    with receiving() as r:
        yield r


def config(tmp_path, monkeypatch, text: str, mode: int = 0o600):
    path = write_config(tmp_path, text, mode)
    monkeypatch.setenv("BATCHDECK_CONFIG", str(path))
    return path


def test_alerts_test_says_which_target_worked_and_exits_1_when_one_failed(cli, tmp_path, monkeypatch, receiver):
    target, out = exec_sink(tmp_path)
    # The third target is refused (nothing listens on port 9) and carries a token in its path.
    config(tmp_path, monkeypatch, f"""
        [alerts]
        targets = ["{receiver.url}", "{target}", "json://127.0.0.1:9/{TOKEN}"]
        """)
    done = cli("alerts", "test")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "target 1 (json) ok" and lines[1] == "target 2 (exec) ok"
    assert lines[2].startswith("target 3 (json) failed")
    assert TOKEN not in done.stdout + done.stderr
    assert receiver.bodies[0]["title"] == "batchdeck TEST: test alert"
    assert exec_alerts(out)[0]["event"] == "test"
    assert TOKEN not in (tmp_path / "cli.db").read_bytes().decode("latin-1")


def test_alerts_test_exit_0_when_every_target_worked(cli, tmp_path, monkeypatch, receiver):
    target, out = exec_sink(tmp_path)
    config(tmp_path, monkeypatch, f'[alerts]\ntargets = ["{receiver.url}", "{target}"]\n')
    done = cli("alerts", "test", "--format", "json")
    assert done.returncode == 0
    assert json.loads(done.stdout) == [{"target": "target 1 (json)", "ok": True, "error": None},
                                       {"target": "target 2 (exec)", "ok": True, "error": None}]


def test_a_failing_exec_target_is_reported_with_its_secrets_blanked(cli, tmp_path, monkeypatch):
    config(tmp_path, monkeypatch, f"""
        [alerts]
        targets = ["exec:sh -c 'echo bad token {TOKEN} >&2; exit 3'"]
        """)
    done = cli("alerts", "test")
    assert done.returncode == 1
    assert done.stdout.startswith("target 1 (exec) failed: exited with status 3")
    assert TOKEN not in done.stdout and "***" in done.stdout


def test_an_env_target_keeps_the_url_out_of_the_file(cli, tmp_path, monkeypatch, receiver):
    # env: targets may live in a file others can read: the file holds no secret.
    config(tmp_path, monkeypatch, '[alerts]\ntargets = ["env:ONCALL_URL"]\n', mode=0o644)
    done = cli("alerts", "test")
    assert done.returncode == 1 and "environment variable ONCALL_URL is not set" in done.stdout
    monkeypatch.setenv("ONCALL_URL", receiver.url)
    done = cli("alerts", "test")
    assert (done.returncode, done.stdout.strip()) == (0, "target 1 ($ONCALL_URL) ok")


def test_a_literal_target_in_a_shared_config_file_is_refused(cli, tmp_path, monkeypatch):
    config(tmp_path, monkeypatch, f'[alerts]\ntargets = ["ntfy://{TOKEN}@ntfy.example/x"]\n', mode=0o644)
    done = cli("alerts")
    assert done.returncode == 2
    assert "contains an alert target but is readable by other users" in done.stderr
    assert TOKEN not in done.stderr


def test_alerts_lists_rules_state_and_last_sent(cli, tmp_path, monkeypatch, receiver):
    target, out = exec_sink(tmp_path)
    config(tmp_path, monkeypatch, f"""
        [alerts]
        targets = ["{receiver.url}", "{target}"]
        [alerts.rules.heartbeat_stale]
        minutes = 5
        """)
    assert cli("sync", "--once").returncode == 0
    assert cli("alerts", "check").stdout.startswith("0 condition(s) hold; 0 alert(s) sent")
    done = cli("alerts")
    assert done.returncode == 0
    assert "targets: target 1 (json), target 2 (exec)" in done.stdout
    rows = [line.split() for line in done.stdout.splitlines()]
    assert ["heartbeat_stale", "heartbeat_stale", "minutes=5", "all", "yes"] in rows
    assert ["retryable_failures", "retryable_failures", "count=10,", "percent=5", "all", "yes"] in rows
    assert "deadline guard: off" in done.stdout
    assert done.stdout.rstrip().endswith("no alerts yet")
    data = json.loads(cli("alerts", "--format", "json").stdout)
    assert data["configured"] is True and data["last_sync_pass"] is not None
    assert {r["name"] for r in data["rules"]} >= {"batch_failed", "provider_down", "heartbeat_stale"}
    assert receiver.url not in json.dumps(data)


def test_alerts_without_an_alerts_table_says_they_are_off(cli):
    done = cli("alerts")
    assert done.returncode == 0 and done.stdout.startswith("alerts are off")


def test_help_stays_light_with_alerts(tmp_path):
    # apprise is imported only when an alert is sent.
    code = ("import sys; from console.cli.main import build_parser; build_parser().format_help(); "
            "import console.engine.alerts, console.cli.alerts; print('apprise' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ})
    assert done.stdout.strip() == "False", done.stderr
