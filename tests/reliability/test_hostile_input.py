"""Hostile input: bad submit files, a provider that answers garbage, and model output full of
terminal escapes. batchdeck refuses cleanly (one sentence naming the line, exit 2, nothing
half-submitted), never crashes, and stores and prints text literally."""

from __future__ import annotations

import json
import threading
import time

import pytest

from adapters.emulator.testing import running_emulator
from tests.reliability.helpers import cli, cli_bytes, cli_env, openai_rows, rows


@pytest.fixture
def emu():
    with running_emulator(seed=5) as server:
        yield server


def _good(i: int) -> str:
    return json.dumps(openai_rows(i + 1, "ok")[i])


def _corpus() -> dict[str, tuple[bytes, int | None]]:
    """name -> (file bytes, the line the error must name; None: the whole file)."""
    good = [_good(i).encode() for i in range(3)]
    deep = b'{"custom_id": "deep", "body": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    huge = json.dumps({**json.loads(_good(1)), "body": {"model": "gpt-6-luna", "max_tokens": 5, "messages": [
        {"role": "user", "content": "x" * 11_000_000}]}}).encode()
    return {
        "empty": (b"", None),
        "only blank lines": (b"\n\n   \n", None),
        "binary": (good[0] + b"\n" + bytes(range(256)) * 4 + b"\n" + good[2], 2),
        "not utf-8": (good[0] + b"\n" + _good(1).replace("Summarise", "R\xe9sum\xe9").encode("latin-1"), 2),
        "huge line": (good[0] + b"\n" + huge, 2),
        "deep nesting": (good[0] + b"\n" + good[1] + b"\n" + deep, 3),
        "duplicate id": (good[0] + b"\n" + good[1] + b"\n" + good[1], 3),
        "missing id": (good[0] + b"\n" + json.dumps({"method": "POST", "url": "/v1/chat/completions",
                                                     "body": json.loads(_good(1))["body"]}).encode(), 2),
        "wrong endpoint": (good[0] + b"\n"
                           + _good(1).replace("/v1/chat/completions", "/v1/images/generations").encode(), 2),
        "not an object": (good[0] + b"\n[1, 2, 3]", 2),
    }


CORPUS = _corpus()


@pytest.mark.parametrize("name", list(CORPUS))
def test_a_bad_submit_file_is_refused_naming_the_line_and_nothing_is_sent(name, tmp_path, emu):
    data, line = CORPUS[name]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(data)
    db = tmp_path / "h.db"
    done = cli(["submit", str(path), "--provider", "openai"], cli_env(tmp_path, emu), db)
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    assert done.stderr.startswith("batchdeck: ") and done.stderr.count("\n") == 1, done.stderr[-500:]
    assert "Traceback" not in done.stderr and len(done.stderr) < 1000
    if line is not None:
        assert f"line {line}" in done.stderr, done.stderr
    assert rows(db, "SELECT count(*) FROM batches")[0][0] == 0
    assert emu.state()["batches"] == [] and emu.state()["files"] == []


def test_a_million_lines_with_one_bad_line_near_the_end_is_refused_whole(tmp_path, emu):
    path = tmp_path / "million.jsonl"
    line = ('{"custom_id":"m%d","body":{"model":"gpt-6-luna","max_tokens":8,'
            '"messages":[{"role":"user","content":"hi %d"}]}}\n')
    with open(path, "w") as f:
        for i in range(1_000_000):
            f.write('{"custom_id":"m999990","body":oops}\n' if i == 999_989 else line % (i, i))
    db = tmp_path / "m.db"
    done = cli(["submit", str(path), "--provider", "openai"], cli_env(tmp_path, emu), db, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "line 999990" in done.stderr and "bad JSON" in done.stderr, done.stderr
    assert rows(db, "SELECT count(*) FROM batches")[0][0] == 0
    assert rows(db, "SELECT count(*) FROM items")[0][0] == 0
    assert emu.state()["batches"] == [] and emu.state()["files"] == []


# ---- a provider that answers garbage ------------------------------------------------------
class HostileProvider:
    """A tiny OpenAI-shaped server on 127.0.0.1 whose answers are wrong in chosen ways.

    GET /v1/batches/{id} answers by id: `batch_ok_*` a well-formed in_progress batch the
    first time and then whatever `self.after` says; `batch_malformed` a body that is not
    JSON; `batch_types` wrong types; `batch_fields` missing fields; `batch_status` an
    unknown status; `batch_done_*` a completed batch whose output file is `self.output`.
    """

    def __init__(self) -> None:
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse, Response, StreamingResponse
        from starlette.routing import Route

        self.after: str = "malformed"
        self.output: bytes | None = None
        self.output_chunks: tuple[bytes, int] | None = None
        self.seen: dict[str, int] = {}
        now = time.time()

        def batch(bid: str, status: str = "in_progress", **extra):
            return {"id": bid, "object": "batch", "endpoint": "/v1/chat/completions", "errors": None,
                    "input_file_id": "file-in", "completion_window": "24h", "status": status,
                    "output_file_id": None, "error_file_id": None, "created_at": int(now),
                    "in_progress_at": int(now), "expires_at": int(now) + 86400, "metadata": {},
                    "request_counts": {"total": 3, "completed": 0, "failed": 0}, **extra}

        def hostile(kind: str, bid: str):
            if kind == "malformed":
                return Response('{"id": "' + bid + '", "status": "in_progr', media_type="application/json")
            if kind == "types":
                return JSONResponse({**batch(bid), "status": 42, "request_counts": "many",
                                     "created_at": "yesterday", "metadata": ["x"]})
            if kind == "fields":
                return JSONResponse({"id": bid, "object": "batch"})
            if kind == "status":
                return JSONResponse(batch(bid, "teleporting"))
            if kind == "html":
                return Response("<html><body>502 Bad Gateway</body></html>", status_code=200,
                                media_type="text/html")
            return JSONResponse(batch(bid))

        async def retrieve(request):
            bid = request.path_params["bid"]
            self.seen[bid] = self.seen.get(bid, 0) + 1
            if bid.startswith("batch_ok_"):
                return JSONResponse(batch(bid)) if self.seen[bid] == 1 else hostile(self.after, bid)
            if bid.startswith("batch_done_"):
                return JSONResponse(batch(bid, "completed", output_file_id="file-out", completed_at=int(now),
                                          request_counts={"total": 3, "completed": 3, "failed": 0}))
            return hostile(bid.removeprefix("batch_"), bid)

        async def content(request):
            if self.output_chunks is not None:
                chunk, times = self.output_chunks

                async def gen():
                    for _ in range(times):
                        yield chunk

                return StreamingResponse(gen(), media_type="application/octet-stream")
            return Response(self.output or b"", media_type="application/octet-stream")

        async def listing(request):
            return JSONResponse({"object": "list", "data": [], "has_more": False})

        app = Starlette(routes=[Route("/v1/batches/{bid}", retrieve), Route("/v1/batches", listing),
                                Route("/v1/files/{fid}/content", content)])
        import socket

        import uvicorn

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        self.sock = sock

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def hostile():
    server = HostileProvider()
    yield server
    server.stop()


def _hostile_env(tmp_path, hostile):
    return cli_env(tmp_path, None, OPENAI_BASE_URL=hostile.base_url, ANTHROPIC_BASE_URL="http://127.0.0.1:9")


def _clean_failure_or_success(done) -> None:
    assert done.returncode in (0, 1, 2), done
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    if done.returncode:
        assert done.stderr.startswith("batchdeck: ") and done.stderr.count("\n") == 1, done.stderr[-2000:]


@pytest.mark.parametrize("kind", ["malformed", "types", "fields", "status", "html"])
def test_tracking_a_batch_the_provider_describes_in_garbage_fails_cleanly_or_keeps_it_unknown(kind, tmp_path, hostile):
    db = tmp_path / "t.db"
    done = cli(["track", "openai", f"batch_{kind}"], _hostile_env(tmp_path, hostile), db, timeout=60)
    _clean_failure_or_success(done)
    statuses = [r[0] for r in rows(db, "SELECT status FROM batches")] if db.exists() else []
    assert all(s not in ("failed", "completed", "expired", "canceled") for s in statuses), statuses
    if kind == "status" and done.returncode == 0:
        assert statuses == ["unknown"]


@pytest.mark.parametrize("kind", ["malformed", "types", "fields", "status", "html"])
def test_a_poll_answered_in_garbage_never_fails_the_batch_or_its_items(kind, tmp_path, hostile):
    db = tmp_path / "p.db"
    env = _hostile_env(tmp_path, hostile)
    assert cli(["track", "openai", f"batch_ok_{kind}"], env, db, timeout=60).returncode == 0
    hostile.after = kind
    done = cli(["sync", "--once", "--format", "json"], env, db, timeout=60)
    _clean_failure_or_success(done)
    [(status,)] = [tuple(r) for r in rows(db, "SELECT status FROM batches")]
    assert status in ("in_progress", "unknown"), status
    assert rows(db, "SELECT count(*) FROM items WHERE status NOT IN ('pending')")[0][0] == 0


def test_an_enormous_results_line_does_not_crash_the_engine(tmp_path, hostile):
    """Stands for the 2 GB results file: 48 MB on one line, no newline, streamed."""
    db = tmp_path / "big.db"
    env = _hostile_env(tmp_path, hostile)
    hostile.output_chunks = (b"x" * (1 << 20), 48)
    assert cli(["track", "openai", "batch_done_big"], env, db, timeout=60).returncode == 0
    done = cli(["sync", "--once"], env, db, timeout=120)
    _clean_failure_or_success(done)
    assert rows(db, "SELECT count(*) FROM items WHERE status = 'succeeded'")[0][0] == 0


# ---- model output that tries to drive the terminal ------------------------------------------
NASTY = ("[bold red]markup[/] \x1b[2J\x1b[31mred\x1b[0m \x1b]52;c;ZXZpbA==\x07 \x1b]8;;http://evil/\x1b\\link"
         "\x1b]8;;\x1b\\ bell\x07 back\x08space \u202eRTL-override\u202c \u200fmark \x9b31m c1 "
         + "long " * 20_000)


def _nasty_line(cid: str, text: str, status: int = 200) -> bytes:
    body = {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-6-luna",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}}
    if status != 200:
        body = {"error": {"message": text[:300], "type": "invalid_request_error"}}
    return (json.dumps({"id": "r-" + cid, "custom_id": cid, "response": {"status_code": status, "body": body},
                        "error": None}) + "\n").encode()


def test_model_output_with_escapes_is_stored_and_exported_literally_and_never_reaches_the_terminal(tmp_path, hostile):
    db = tmp_path / "n.db"
    env = _hostile_env(tmp_path, hostile)
    hostile.output = (_nasty_line("plain", NASTY) + _nasty_line("ctl-\x1b[31mid\x07", "short \x1b[5mblink")
                      + _nasty_line("err", "\x1b]0;pwned title\x07 bad request \x1b[2J", status=400))
    assert cli(["track", "openai", "batch_done_nasty"], env, db, timeout=60).returncode == 0
    assert cli(["sync", "--once"], env, db, timeout=60).returncode == 0
    exported = cli(["export", "1"], env, db)
    assert exported.returncode == 0, exported.stderr
    texts = {row["custom_id"]: row for row in map(json.loads, exported.stdout.splitlines())}
    assert texts["plain"]["text"] == NASTY  # stored and exported literally, every byte
    assert texts["ctl-\x1b[31mid\x07"]["text"] == "short \x1b[5mblink"
    # Through a pipe, export is byte-exact (scripts get what the model said).
    piped = cli_bytes(["export", "1", "--format", "csv"], env, db)
    assert NASTY.encode() in piped.stdout


def on_a_terminal(args, env, db) -> bytes:
    """Run `batchdeck --db DB ARGS` with stdout and stderr on a pseudo-terminal; all it wrote."""
    import os
    import pty
    import subprocess
    import sys

    from tests.reliability.helpers import ROOT

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "console.cli", "--db", str(db), *args], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=30)
    os.close(master)
    return out


def test_nothing_printed_to_a_terminal_can_drive_it(tmp_path, hostile):
    db = tmp_path / "n.db"
    env = _hostile_env(tmp_path, hostile)
    hostile.output = (_nasty_line("plain", NASTY) + _nasty_line("ctl-\x1b[31mid\x07", "short \x1b[5mblink")
                      + _nasty_line("err", "\x1b]0;pwned title\x07 bad request \x1b[2J", status=400))
    assert cli(["track", "openai", "batch_done_nasty"], env, db, timeout=60).returncode == 0
    assert cli(["sync", "--once"], env, db, timeout=60).returncode == 0
    outputs = {" ".join(args): on_a_terminal(args, env, db) for args in (
        ["show", "1"], ["show", "1", "--failed"], ["show", "1", "--format", "json"], ["ls"],
        ["export", "1"], ["export", "1", "--format", "csv"])}
    assert all(len(out) > 100 for out in outputs.values())
    raw = {name: [c for c in (b"\x1b", b"\x07", b"\x08", b"\xc2\x9b") if c in out] for name, out in outputs.items()}
    assert {name: found for name, found in raw.items() if found} == {}, "raw control bytes reach the terminal"
