"""Running the emulator: uvicorn on 127.0.0.1 in a background thread, a subprocess, or the
foreground (the CLI), plus small helpers that drive the admin endpoints over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from .app import build_app
from .core import Emulator
from .faults import parse_spec


class _ClosingServer(uvicorn.Server):
    """uvicorn that closes its emulator (removes the spool directory) as it shuts down. A
    `finally` after `run()` would not do: on SIGTERM (how `EmulatorServer.stop` ends the
    subprocess) uvicorn re-raises the signal once shut down, which ends the process there."""

    def __init__(self, config: uvicorn.Config, emulator: Emulator) -> None:
        super().__init__(config)
        self.emulator = emulator

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().shutdown(sockets)
        finally:
            self.emulator.close()


class _Server(_ClosingServer):
    """uvicorn for the in-thread emulator: a 10 ms main-loop tick (instead of 100 ms) and a
    prompt shutdown (open keep-alive connections are closed, in-flight tasks cancelled), so
    that a test suite starting one emulator per test does not pay ~0.2 s per stop."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        await asyncio.sleep(0.01)
        for task in list(self.server_state.tasks):
            task.cancel()
        self.emulator.close()

    async def main_loop(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864_000
            await asyncio.sleep(0.01)
            should_exit = await self.on_tick(counter)


class EmulatorServer:
    """One emulator on a real socket.

    >>> with EmulatorServer(seed=7, speed=0).start() as emu:
    ...     client = openai.OpenAI(base_url=emu.base_url_openai, api_key="test")

    `port=0` picks a free ephemeral port. `speed` is emulated seconds per real second
    (0 freezes the clock; move it with `advance()`). `faults` is a knob mapping or a spec
    string (see the package docstring). `start_time` pins the emulated clock's start (epoch
    seconds; default: now). `use_subprocess=True` runs it as `python -m adapters.emulator`
    in a child process instead of a thread of this one.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, seed: int = 0, speed: float = 1.0,
                 faults: Mapping[str, Any] | str | None = None, start_time: float | None = None,
                 use_subprocess: bool = False) -> None:
        self.host = host
        self.requested_port = port
        self.seed = seed
        self.speed = speed
        self.faults = parse_spec(faults)
        self.start_time = start_time
        self.use_subprocess = use_subprocess
        self.port: int | None = None
        self.emulator: Emulator | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._sock: socket.socket | None = None
        self._http: httpx.Client | None = None

    # --- addresses ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("emulator not started")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url_openai(self) -> str:
        """For `openai.OpenAI(base_url=...)`: ends with /v1."""
        return self.base_url + "/v1"

    @property
    def base_url_anthropic(self) -> str:
        """For `anthropic.Anthropic(base_url=...)`: no /v1."""
        return self.base_url

    def base_url_for(self, provider: str) -> str:
        """The base URL batchdeck's adapter for `provider` takes, pointed here."""
        from .providers import base_path

        return self.base_url + base_path(provider)

    @property
    def base_url_gemini(self) -> str:
        """For `genai.Client(http_options={"base_url": ...})`: the host root (the SDK adds the version)."""
        return self.base_url + "/"

    @property
    def base_url_mistral(self) -> str:
        """For `mistralai.Mistral(server_url=...)`: the emulator's Mistral mount (no /v1)."""
        return self.base_url + "/mistral"

    @property
    def admin_url(self) -> str:
        return self.base_url + "/_emulator"

    # --- lifecycle ---------------------------------------------------------------------------

    def _config(self, app: Any) -> uvicorn.Config:
        return uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                              timeout_graceful_shutdown=1, timeout_keep_alive=30, backlog=4096)

    def _bind(self) -> socket.socket:
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP, and without it every response waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.requested_port))
        sock.listen(4096)
        sock.set_inheritable(True)
        return sock

    def start(self) -> EmulatorServer:
        if self.use_subprocess:
            return self._start_subprocess()
        self.emulator = Emulator(seed=self.seed, speed=self.speed, start=self.start_time, faults=self.faults)
        self._sock = self._bind()
        self.port = self._sock.getsockname()[1]
        self._server = _Server(self._config(build_app(self.emulator)), self.emulator)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name=f"batchdeck-emulator:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.005)
        return self

    def _start_subprocess(self) -> EmulatorServer:
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        cmd = [sys.executable, "-m", "adapters.emulator", "--host", self.host, "--port", str(self.requested_port),
               "--seed", str(self.seed), "--speed", str(self.speed), "--faults", json.dumps(self.faults)]
        if self.start_time is not None:
            cmd += ["--start-time", str(self.start_time)]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            if line.startswith("admin:"):
                url = line.split(None, 1)[1].strip()
                self.port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
                break
        if self.port is None:
            self._proc.kill()
            raise RuntimeError("the emulator subprocess did not start")
        return self

    def serve_forever(self) -> None:
        """Serve in the foreground until Ctrl-C (used by the CLI; prints nothing itself)."""
        self.emulator = Emulator(seed=self.seed, speed=self.speed, start=self.start_time, faults=self.faults)
        self._sock = self._bind()
        self.port = self._sock.getsockname()[1]
        self._server = _ClosingServer(self._config(build_app(self.emulator)), self.emulator)
        try:
            self._server.run(sockets=[self._sock])
        finally:
            self.emulator.close()

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout:
                self._proc.stdout.close()
            self._proc = None
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True  # do not wait for idle keep-alive clients
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._server = None
            self._thread = None
        if self.emulator is not None:
            self.emulator.close()  # also when the server thread did not end in time
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> EmulatorServer:
        if self.port is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- admin helpers (HTTP, so they work for the subprocess too) ----------------------------

    def _admin(self, method: str, path: str, body: Mapping[str, Any] | None = None, timeout: float = 30) -> Any:
        if self._http is None:
            self._http = httpx.Client(timeout=30)
        r = self._http.request(method, self.admin_url + path, json=dict(body) if body is not None else None,
                               timeout=timeout)
        r.raise_for_status()
        return r.json()

    def now(self) -> float:
        """Emulated now (epoch seconds)."""
        return self._admin("GET", "/clock")["now"]

    def advance(self, seconds: float) -> float:
        """Move the emulated clock forward; returns the new now."""
        return self._admin("POST", "/clock", {"advance": seconds})["now"]

    def set_time(self, when: float) -> float:
        return self._admin("POST", "/clock", {"set": when})["now"]

    def set_speed(self, speed: float) -> None:
        self._admin("POST", "/clock", {"speed": speed})

    def set_faults(self, reset: bool = False, **knobs: Any) -> dict[str, Any]:
        """Change server-wide knobs (they apply to batches created afterwards, and to calls)."""
        return self._admin("POST", "/faults", {**knobs, "reset": reset})

    def batch_faults(self, batch_id: str, **knobs: Any) -> dict[str, Any]:
        """Override knobs for one existing batch (its outcomes are re-planned). A resource name
        (Gemini's `batches/<id>`) is taken too: batches are keyed by the id after its last slash."""
        return self._admin("POST", f"/batches/{batch_id.rsplit('/', 1)[-1]}/faults", knobs)

    def finalize(self) -> dict[str, int]:
        """Write the results file of every batch that has ended at the emulated now, as a
        provider does while finalizing; later downloads of them only stream bytes. Returns
        {"files": N, "bytes": B, "generated": files written by this call}."""
        return self._admin("POST", "/finalize", {}, timeout=600)  # a 1M-line file is ~1 GB

    def state(self) -> dict[str, Any]:
        return self._admin("GET", "/state")

    def reset(self) -> None:
        self._admin("POST", "/reset", {})

    # --- SDK clients -------------------------------------------------------------------------

    def openai_client(self, **kwargs: Any) -> Any:
        """An `openai.OpenAI` pointed here (api_key "test" unless given)."""
        import openai

        kwargs.setdefault("api_key", "test")
        return openai.OpenAI(base_url=self.base_url_openai, **kwargs)

    def anthropic_client(self, **kwargs: Any) -> Any:
        """An `anthropic.Anthropic` pointed here (api_key "test" unless given)."""
        import anthropic

        kwargs.setdefault("api_key", "test")
        return anthropic.Anthropic(base_url=self.base_url_anthropic, **kwargs)


    def gemini_client(self, api_version: str | None = None, **kwargs: Any) -> Any:
        """A `google.genai.Client` pointed here (api_key "test" unless given). Left alone, the
        SDK sends its own default version (`v1`, see gemini.routes.GENAI_DEFAULT_API_VERSION);
        `api_version="v1beta"` pins the one reference §4.1 documents. The emulator serves both."""
        from google import genai
        from google.genai.types import HttpOptionsDict

        kwargs.setdefault("api_key", "test")
        options: HttpOptionsDict = {"base_url": self.base_url_gemini}
        if api_version is not None:
            options["api_version"] = api_version
        return genai.Client(http_options=options, **kwargs)

    def mistral_client(self, **kwargs: Any) -> Any:
        """A `mistralai.Mistral` pointed here (api_key "test" unless given)."""
        from mistralai.client import Mistral

        kwargs.setdefault("api_key", "test")
        return Mistral(server_url=self.base_url_mistral, **kwargs)


def start_emulator(**kwargs: Any) -> EmulatorServer:
    """`EmulatorServer(**kwargs).start()`: remember to `.stop()` it (or use `with`)."""
    return EmulatorServer(**kwargs).start()
