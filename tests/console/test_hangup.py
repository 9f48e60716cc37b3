"""A console whose terminal goes away (an SSH link drops, tmux kills the pane) exits, instead
of living on with a dead terminal, spinning on end-of-file and holding the sync lease."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from console.tui.hangup import terminal_gone
from tests.reliability.helpers import ROOT


def test_a_terminal_is_gone_once_its_other_end_hangs_up():
    master, slave = os.openpty()
    try:
        assert not terminal_gone(slave)
        os.close(master)
        assert terminal_gone(slave)
    finally:
        os.close(slave)
    read_end, write_end = os.pipe()
    assert terminal_gone(read_end)  # not a terminal at all
    os.close(read_end)
    os.close(write_end)


def test_the_console_exits_when_its_terminal_hangs_up_without_a_sighup(tmp_path):
    """No SIGHUP here (the console runs in its own session, the pty is not its controlling
    terminal): only noticing the dead terminal can end it."""
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="24", HOME=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "console.cli", "--db", str(tmp_path / "x.db")], cwd=ROOT,
                            env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    try:
        drawn = b""
        deadline = time.monotonic() + 60
        while b"batches" not in drawn and time.monotonic() < deadline and proc.poll() is None:
            try:
                drawn += os.read(master, 65536)
            except OSError:
                break
        assert b"batches" in drawn, drawn[-500:]
        os.close(master)
        master = -1
        assert proc.wait(timeout=30) is not None
    finally:
        if master >= 0:
            os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
