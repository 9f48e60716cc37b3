"""What the alert tests deliver to: a real HTTP receiver on 127.0.0.1 (apprise's json:// posts to
it) and a real command (an exec target) that appends each alert it reads on stdin to a file."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class Receiver:
    """A threaded http.server that keeps every JSON body posted to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length") or 0)
                receiver.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                receiver.paths.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/"

    def titles(self) -> list[str]:
        return [b.get("title", "") for b in self.bodies]


@contextmanager
def receiving() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


SINK = textwrap.dedent("""
    import sys
    data = sys.stdin.read()
    with open(sys.argv[1], "a") as fh:
        fh.write(data.replace("\\n", " ") + "\\n")
""")


def exec_sink(tmp_path: Path) -> tuple[str, Path]:
    """(`exec:` target, file it appends each alert to)."""
    script = tmp_path / "sink.py"
    script.write_text(SINK)
    out = tmp_path / "exec-alerts.jsonl"
    return f"exec:{sys.executable} {script} {out}", out


def exec_alerts(out: Path) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def write_config(tmp_path: Path, body: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(body))
    os.chmod(path, mode)
    return path
