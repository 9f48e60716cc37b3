"""One syncing engine per store, with real processes: a `batchdeck sync` service and two
consoles' background syncs on one store file; exactly one of them syncs at any time."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from adapters.emulator.testing import running_emulator
from store import Store
from tests.engine.test_discover import other_client_openai_batch
from tests.reliability.helpers import ROOT, cli_env


def holder_pid(db) -> int | None:
    with Store.open(db) as store:
        lease = store.read_lease()
        return lease.pid if lease is not None and lease.expires_at > time.time() else None


def passed_once(db) -> bool:
    with Store.open(db) as store:
        lease = store.read_lease()
        return lease is not None and lease.last_pass_at is not None


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_two_consoles_and_one_service_on_one_store_exactly_one_syncs(tmp_path):
    with running_emulator(seed=3) as emu:
        env = cli_env(tmp_path, emu)
        db = tmp_path / "shared.db"
        batch = other_client_openai_batch(emu)
        service = subprocess.Popen([sys.executable, "-m", "console.cli", "--db", str(db), "sync", "--format", "json"],
                                   cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        consoles: list[subprocess.Popen[str]] = []
        try:
            assert wait_for(lambda: holder_pid(db) == service.pid), "the service never took the lease"
            assert wait_for(lambda: passed_once(db), 60), "the service never finished a pass"
            logs = [tmp_path / f"console-{n}.log" for n in range(2)]
            consoles = [subprocess.Popen([sys.executable, "-m", "tests.engine.lease_worker", "--db", str(db),
                                          "--log", str(log)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True) for log in logs]
            # Both consoles up and standing by, naming the service as the syncer.
            assert wait_for(lambda: all(log.exists() and f"standby {service.pid}" in log.read_text()
                                        for log in logs), 60), [c.poll() for c in consoles]
            assert holder_pid(db) == service.pid
            service.send_signal(signal.SIGINT)  # a clean stop releases the lease
            out, err = service.communicate(timeout=60)
            assert service.returncode == 0, err
            passes = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
            assert passes and sum(len(p["discovered"]) for p in passes) == 1, (out, err)
            console_pids = {c.pid for c in consoles}
            assert wait_for(lambda: holder_pid(db) in console_pids), "no console took over"
            taker = holder_pid(db)
            # The taker makes a pass (seconds on a loaded host: its first pass lists the account),
            # and holds the lease throughout: the other console still stands by.
            taker_log = logs[[c.pid for c in consoles].index(taker)]
            assert wait_for(lambda: "pass" in taker_log.read_text(), 60), "the taker never made a pass"
            assert holder_pid(db) == taker
        finally:
            for proc in [service, *consoles]:
                if proc.poll() is None:
                    proc.terminate()
        for c in consoles:
            c.communicate(timeout=60)
        outputs = {c.pid: log.read_text() for c, log in zip(consoles, logs, strict=True)}
        synced = {pid: out.splitlines().count("pass") for pid, out in outputs.items()}
        assert synced[taker] >= 1 and [n for pid, n in synced.items() if pid != taker] == [0], outputs
        with Store.open(db) as store:
            assert store.get_batch(batch).tracked


def test_sync_as_a_service_stops_cleanly_on_sigterm_and_releases_the_lease(tmp_path):
    """systemd stops a service with SIGTERM: `batchdeck sync` finishes its pass, releases the
    lease (so a console takes over at once) and exits 0."""
    with running_emulator(seed=5) as emu:
        env = cli_env(tmp_path, emu)
        db = tmp_path / "svc.db"
        service = subprocess.Popen([sys.executable, "-m", "console.cli", "--db", str(db), "sync"],
                                   cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert wait_for(lambda: passed_once(db), 60), "the service never finished a pass"
            service.send_signal(signal.SIGTERM)
            _, err = service.communicate(timeout=60)
        finally:
            if service.poll() is None:
                service.kill()
        assert service.returncode == 0, err
        assert holder_pid(db) is None
