"""Throughput of the provider emulator (not collected by pytest: no test_ prefix).

    .venv/bin/python -m tests.emulator.bench_emulator [size] [--thread]

`run(size)` returns a dict of figures: batches created per second (OpenAI upload+create and
Anthropic create, small batches, one keep-alive client), concurrent retrieves per second, and
result lines served per second for a `size`-line results file (OpenAI output file and
Anthropic results, streamed over the socket; the first download includes writing the file to
the spool, `openai_results_again_s` is a second download of the written file).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx

from adapters.emulator.testing import running_emulator

HEADERS = {"Authorization": "Bearer bench"}


def _openai_jsonl(n: int, prefix: str = "r") -> bytes:
    line = ('{"custom_id":"%s%d","method":"POST","url":"/v1/chat/completions",'
            '"body":{"model":"gpt-6-luna","messages":[{"role":"user","content":"Summarize ticket %d in one line."}],'
            '"max_tokens":200}}')
    return "\n".join(line % (prefix, i, i) for i in range(n)).encode()


def _anthropic_body(n: int) -> bytes:
    reqs = [{"custom_id": f"a{i}", "params": {"model": "claude-haiku-5-5", "max_tokens": 200,
                                               "messages": [{"role": "user", "content": f"Classify ticket {i}."}]}}
            for i in range(n)]
    return json.dumps({"requests": reqs}).encode()


def _create_openai(c: httpx.Client, n: int, metadata: dict[str, str] | None = None) -> str:
    f = c.post("/v1/files", files={"file": ("in.jsonl", _openai_jsonl(n))}, data={"purpose": "batch"}).json()
    body = {"input_file_id": f["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    if metadata:
        body["metadata"] = metadata
    return c.post("/v1/batches", json=body).json()["id"]


async def _retrieves(port: int, batch_id: str, total: int, concurrency: int) -> float:
    """Concurrent keep-alive GET /v1/batches/{id} with a minimal HTTP/1.1 client (so the figure
    is the server's capacity, not the client's: httpx's async pool tops out far lower)."""
    req = (f"GET /v1/batches/{batch_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Authorization: Bearer bench\r\n\r\n").encode()

    async def worker(n: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(n):
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head[:40]
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))
            await reader.readexactly(length)
        writer.close()

    t = time.perf_counter()
    await asyncio.gather(*(worker(total // concurrency) for _ in range(concurrency)))
    return (total // concurrency * concurrency) / (time.perf_counter() - t)


def run(size: int = 100_000, use_subprocess: bool = True) -> dict[str, float]:
    """Figures for a `size`-line results file; the server runs in a child process by default."""
    out: dict[str, float] = {}
    with running_emulator(seed=1, faults={"max_requests": max(size, 50_000)}, use_subprocess=use_subprocess) as emu:
        with httpx.Client(base_url=emu.base_url, headers=HEADERS, timeout=120) as c:
            n = 200
            t = time.perf_counter()
            for _ in range(n):
                _create_openai(c, 10)
            out["openai_batches_created_per_s"] = n / (time.perf_counter() - t)
            body = _anthropic_body(10)
            t = time.perf_counter()
            for _ in range(n):
                c.post("/v1/messages/batches", content=body,
                       headers={"content-type": "application/json"}).raise_for_status()
            out["anthropic_batches_created_per_s"] = n / (time.perf_counter() - t)

            small = _create_openai(c, 100)
            out["retrieves_per_s_64_connections"] = asyncio.run(_retrieves(emu.port, small, 6400, 64))
            sdk = emu.openai_client()
            sdk.batches.retrieve(small)
            t = time.perf_counter()
            for _ in range(300):
                sdk.batches.retrieve(small)
            out["sdk_sequential_retrieves_per_s"] = 300 / (time.perf_counter() - t)
            sdk.close()

            t = time.perf_counter()
            big = _create_openai(c, size)
            out["openai_create_s_for_size"] = time.perf_counter() - t
            body = _anthropic_body(min(size, 100_000))
            t = time.perf_counter()
            ab = c.post("/v1/messages/batches", content=body, headers={"content-type": "application/json"}).json()["id"]
            out["anthropic_create_s_for_size"] = time.perf_counter() - t
            emu.advance(30 * 3600)  # everything ends (no expiry faults)

            t = time.perf_counter()
            b = c.get(f"/v1/batches/{big}").json()
            out["openai_retrieve_first_s"] = time.perf_counter() - t
            fid = b["output_file_id"]
            t = time.perf_counter()
            lines = 0
            nbytes = 0
            with c.stream("GET", f"/v1/files/{fid}/content") as r:
                for chunk in r.iter_bytes():
                    lines += chunk.count(b"\n")
                    nbytes += len(chunk)
            dt = time.perf_counter() - t
            out["openai_result_lines"] = lines
            out["openai_results_s"] = dt
            out["openai_result_lines_per_s"] = lines / dt
            out["openai_results_mb"] = nbytes / 1e6
            # The first download wrote the file to the spool; later ones only stream it.
            t = time.perf_counter()
            with c.stream("GET", f"/v1/files/{fid}/content") as r:
                for _ in r.iter_bytes():
                    pass
            out["openai_results_again_s"] = time.perf_counter() - t

            t = time.perf_counter()
            url = c.get(f"/v1/messages/batches/{ab}").json()["results_url"]
            lines = 0
            with c.stream("GET", url) as r:
                for chunk in r.iter_bytes():
                    lines += chunk.count(b"\n")
            dt = time.perf_counter() - t
            out["anthropic_result_lines"] = lines
            out["anthropic_results_s"] = dt
            out["anthropic_result_lines_per_s"] = lines / dt
    return out


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    in_thread = "--thread" in sys.argv
    for key, value in run(size, use_subprocess=not in_thread).items():
        print(f"{key:36s} {value:12.2f}")
