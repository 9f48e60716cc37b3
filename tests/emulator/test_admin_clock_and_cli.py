"""The admin endpoints, the compressed clock, the subprocess mode and the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from adapters.emulator import EmulatorServer, start_emulator
from adapters.emulator.cli import main
from adapters.emulator.faults import FaultSpecError, parse_spec
from tests.emulator.helpers import anthropic_requests

ROOT = Path(__file__).resolve().parents[2]


def test_state_lists_batches_and_the_clock_only_moves_forward(emulator, anth):
    b = anth.messages.batches.create(requests=anthropic_requests(3))
    state = emulator.state()
    assert state["seed"] == 7 and state["speed"] == 0
    assert [x["id"] for x in state["batches"]] == [b.id]
    assert state["batches"][0]["status"] == "in_progress" and state["batches"][0]["requests"] == 3
    before = emulator.now()
    assert emulator.advance(60) == pytest.approx(before + 60)
    r = httpx.post(f"{emulator.admin_url}/clock", json={"advance": -5})
    assert r.status_code == 400
    emulator.set_time(before + 3600)
    assert emulator.now() == pytest.approx(before + 3600)


def test_speed_compresses_time():
    with start_emulator(speed=1440) as emu:  # the 24 h window in one real minute
        t0 = emu.now()
        time.sleep(0.25)
        assert 300 <= emu.now() - t0 <= 1000
        emu.set_speed(0)
        frozen = emu.now()
        time.sleep(0.05)
        assert emu.now() == pytest.approx(frozen)


def test_a_batch_runs_to_the_end_on_its_own_at_high_speed():
    with start_emulator(speed=86_400) as emu:  # a day per real second
        anth = emu.anthropic_client()
        b = anth.messages.batches.create(requests=anthropic_requests(5))
        deadline = time.monotonic() + 5
        while anth.messages.batches.retrieve(b.id).processing_status != "ended":
            assert time.monotonic() < deadline
            time.sleep(0.02)


def test_server_faults_endpoint_merges_validates_and_resets(emulator):
    assert emulator.set_faults(error_rate=0.2)["error_rate"] == 0.2
    assert emulator.set_faults(http_429_rate=0.1)["error_rate"] == 0.2
    r = httpx.post(f"{emulator.admin_url}/faults", json={"nope": 1})
    assert r.status_code == 400
    assert emulator.set_faults(reset=True)["error_rate"] == 0.0


def test_fault_spec_parsing():
    assert parse_spec("error_rate=0.1, stuck_finalizing=true,expire") == {
        "error_rate": 0.1, "stuck_finalizing": 12 * 3600.0, "expire": 0.3}
    assert parse_spec('{"http_429_rate": 0.5, "emulator_max_requests": "10"}') == {
        "http_429_rate": 0.5, "max_requests": 10}
    assert parse_spec("expire=1")["expire"] == 1.0
    with pytest.raises(FaultSpecError):
        parse_spec("bogus=1")
    with pytest.raises(FaultSpecError):
        parse_spec("error_rate=lots")


def test_subprocess_mode_serves_the_same_api():
    with EmulatorServer(seed=5, speed=0, use_subprocess=True).start() as emu:
        anth = emu.anthropic_client()
        b = anth.messages.batches.create(requests=anthropic_requests(2))
        emu.advance(86_400)
        assert anth.messages.batches.retrieve(b.id).processing_status == "ended"


def test_cli_rejects_a_bad_fault_spec(capsys):
    assert main(["--faults", "nonsense_knob=1"]) == 2
    assert "unknown fault knob" in capsys.readouterr().err


def test_cli_prints_base_urls_and_serves_until_interrupted():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "adapters.emulator", "--port", "0", "--speed", "1440",
                             "--faults", "error_rate=0.1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=ROOT)
    try:
        lines = [proc.stdout.readline().strip() for _ in range(3)]
        assert lines[0].startswith("openai: http://127.0.0.1:") and lines[0].endswith("/v1")
        assert lines[1].startswith("anthropic: http://127.0.0.1:") and not lines[1].endswith("/v1")
        base = lines[1].split(" ", 1)[1]
        r = httpx.get(f"{base}/v1/messages/batches", headers={"x-api-key": "k"})
        assert r.status_code == 200 and r.json()["data"] == []
        assert httpx.get(f"{base}/_emulator/faults").json()["error_rate"] == 0.1
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()


def test_unknown_routes_answer_json_404(emulator):
    r = httpx.get(f"{emulator.base_url}/v1/nothing-here", headers={"x-api-key": "k"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_url"
