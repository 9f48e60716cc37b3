"""Results files are written once to a spool directory and served as static bytes (with Range)."""

from __future__ import annotations

import asyncio
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import openai
import pytest

from adapters import download as dl
from adapters.emulator import results
from adapters.emulator.core import BrokenDownload, break_after
from adapters.emulator.testing import running_emulator
from tests.emulator.helpers import DAY, START, anthropic_requests, openai_batch

AUTH = {"Authorization": "Bearer test"}


def _generated(emulator, batch_id: str, kind: str) -> bytes:
    """What the generator produces for this batch now (the bytes served before the spool)."""
    emu = emulator.emulator
    b = emu.state.batches[batch_id]
    v = b.view(emu.now())
    chunks = results.anthropic_results(b, v) if kind == "results" else results.openai_file(b, v, kind)
    return b"".join(chunks)


def _ended_openai(emulator, oai, n: int = 300, **metadata: str):
    b = openai_batch(oai, n, metadata={"emulator_error_rate": "0.2", "emulator_expire": "0.1", **metadata})
    emulator.advance(DAY + 60)
    b = oai.batches.retrieve(b.id)
    assert b.status == "expired" and b.output_file_id and b.error_file_id
    return b


def _spooled(emulator) -> list[Path]:
    d = emulator.emulator.spool.path
    return sorted(d.iterdir()) if d is not None else []


def test_served_bytes_are_identical_to_the_generator(emulator, oai, anth):
    b = _ended_openai(emulator, oai)
    a = anth.messages.batches.create(requests=anthropic_requests(200))
    emulator.batch_faults(a.id, error_rate=0.3)
    emulator.advance(DAY)
    for kind, fid in (("output", b.output_file_id), ("error", b.error_file_id)):
        want = _generated(emulator, b.id, kind)
        assert oai.files.content(fid).read() == want
        assert oai.files.retrieve(fid).bytes == len(want)
    r = httpx.get(f"{emulator.base_url}/v1/messages/batches/{a.id}/results", headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-jsonl"
    assert r.content == _generated(emulator, a.id, "results")
    assert r.headers["content-length"] == str(len(r.content))
    assert emulator.emulator.spool.generated == 3
    assert len(_spooled(emulator)) == 3 and not any(p.name.endswith(".part") for p in _spooled(emulator))


def test_range_requests_return_the_tail_or_416(emulator, oai, anth):
    b = _ended_openai(emulator, oai)
    url = f"{emulator.base_url_openai}/files/{b.output_file_id}/content"
    full = _generated(emulator, b.id, "output")
    size = len(full)
    with httpx.Client(headers=AUTH) as c:
        whole = c.get(url)
        assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
        assert whole.headers["content-type"] == "application/octet-stream"
        for start in (1, 777, size - 1):
            r = c.get(url, headers={"Range": f"bytes={start}-"})
            assert r.status_code == 206
            assert r.headers["content-range"] == f"bytes {start}-{size - 1}/{size}"
            assert r.content == full[start:]
        r = c.get(url, headers={"Range": "bytes=10-19"})
        assert r.status_code == 206 and r.content == full[10:20]
        r = c.get(url, headers={"Range": "bytes=-25"})
        assert r.status_code == 206 and r.content == full[-25:]
        for start in (size, size + 10):
            r = c.get(url, headers={"Range": f"bytes={start}-"})
            assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{size}"
            assert r.json()["error"]["message"].startswith("Requested range not satisfiable")
        assert c.get(url, headers={"Range": "bytes=0-1,5-9"}).content == full  # several ranges: all of it
    # The OpenAI SDK passes the header through and reads the 206.
    with oai.files.with_streaming_response.content(b.output_file_id, extra_headers={"Range": "bytes=100-"}) as resp:
        assert resp.status_code == 206 and resp.read() == full[100:]

    a = anth.messages.batches.create(requests=anthropic_requests(50))
    emulator.advance(DAY)
    aurl = f"{emulator.base_url}/v1/messages/batches/{a.id}/results"
    afull = _generated(emulator, a.id, "results")
    r = httpx.get(aurl, headers={**AUTH, "Range": "bytes=300-"})
    assert r.status_code == 206 and r.content == afull[300:]
    assert r.headers["content-type"] == "application/x-jsonl"
    r = httpx.get(aurl, headers={**AUTH, "Range": f"bytes={len(afull)}-"})
    assert r.status_code == 416 and r.json()["error"]["type"] == "invalid_request_error"


def test_the_engine_downloader_resumes_a_partial_part_with_range(emulator, oai, tmp_path):
    b = _ended_openai(emulator, oai)
    full = _generated(emulator, b.id, "output")
    client = openai.AsyncOpenAI(base_url=emulator.base_url_openai, api_key="test", max_retries=0)

    @asynccontextmanager
    async def open_stream(headers):  # as adapters/openai_batch.py opens a results file
        async with client.files.with_streaming_response.content(b.output_file_id, extra_headers=headers) as resp:
            yield resp

    part = tmp_path / "out.jsonl.part0"
    part.write_bytes(full[:12345])
    fetched, resumed = asyncio.run(dl.fetch_part(open_stream, part, wrap=lambda exc: exc))
    assert resumed and fetched == len(full) - 12345
    assert part.read_bytes() == full


def test_broken_download_cuts_as_before_and_the_next_attempt_resumes(emulator, oai):
    b = _ended_openai(emulator, oai, emulator_broken_download="0.5", emulator_broken_download_times="1")
    url = f"{emulator.base_url_openai}/files/{b.output_file_id}/content"
    full = _generated(emulator, b.id, "output")
    ok_lines = full.count(b"\n")
    want = b""
    with pytest.raises(BrokenDownload):
        for chunk in break_after(results.openai_file(*_batch_view(emulator, b.id), "output"), ok_lines, 0.5):
            want += chunk
    got = b""
    with httpx.Client(headers=AUTH) as c:
        with pytest.raises(httpx.HTTPError):
            with c.stream("GET", url, headers={"Range": "bytes=5-"}) as r:  # ignored: a plain 200 that breaks
                assert r.status_code == 200 and "content-range" not in r.headers
                for chunk in r.iter_raw():
                    got += chunk
        assert got == want and 0 < len(got) < len(full)
        rest = c.get(url, headers={"Range": f"bytes={len(got)}-"})
        assert rest.status_code == 206 and got + rest.content == full


def _batch_view(emulator, batch_id):
    emu = emulator.emulator
    b = emu.state.batches[batch_id]
    return b, b.view(emu.now())


def test_finalize_writes_every_ended_batch_and_downloads_do_not_regenerate(emulator, oai, anth, monkeypatch):
    ended = _ended_openai(emulator, oai)
    a = anth.messages.batches.create(requests=anthropic_requests(120))
    emulator.advance(DAY)
    running = openai_batch(oai, 10)
    spool = emulator.emulator.spool
    assert spool.path is None  # nothing is written before it is needed
    want = {k: _generated(emulator, ended.id, k) for k in ("output", "error")}
    want["results"] = _generated(emulator, a.id, "results")
    report = emulator.finalize()
    assert report == {"files": 3, "bytes": sum(len(x) for x in want.values()), "generated": 3}
    assert spool.generated == 3 and len(_spooled(emulator)) == 3
    assert oai.batches.retrieve(running.id).status == "validating"  # not ended: not written

    def no_more(*args, **kwargs):
        raise AssertionError("results regenerated")

    monkeypatch.setattr(results, "openai_file", no_more)
    monkeypatch.setattr(results, "anthropic_results", no_more)
    assert oai.files.content(ended.output_file_id).read() == want["output"]
    assert oai.files.content(ended.error_file_id).read() == want["error"]
    assert oai.files.retrieve(ended.error_file_id).bytes == len(want["error"])
    assert httpx.get(f"{emulator.base_url}/v1/messages/batches/{a.id}/results", headers=AUTH).content == want["results"]
    assert emulator.finalize() == {**report, "generated": 0}
    assert spool.generated == 3


def test_concurrent_first_downloads_share_one_write(emulator, oai):
    b = _ended_openai(emulator, oai, n=5000)
    url = f"{emulator.base_url_openai}/files/{b.output_file_id}/content"
    full = _generated(emulator, b.id, "output")
    barrier = threading.Barrier(6)
    bodies: list[bytes] = []

    def fetch() -> None:
        with httpx.Client(headers=AUTH, timeout=60) as c:
            barrier.wait()
            bodies.append(c.get(url).content)

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(bodies) == 6 and all(body == full for body in bodies)
    assert emulator.emulator.spool.generated == 1 and len(_spooled(emulator)) == 1


def test_changed_views_drop_their_spooled_files(emulator, oai, anth):
    b = _ended_openai(emulator, oai)
    before = oai.files.content(b.output_file_id).read()
    [old] = [p for p in _spooled(emulator) if ".output." in p.name]
    emulator.batch_faults(b.id, error_rate=0.6)  # re-planned: other outcomes, other bytes
    assert not old.exists()
    b = oai.batches.retrieve(b.id)
    after = oai.files.content(b.output_file_id).read()
    assert after != before and after == _generated(emulator, b.id, "output")
    oai.files.content(b.error_file_id).read()
    oai.files.delete(b.error_file_id)
    assert not any(".error." in p.name for p in _spooled(emulator))

    a = anth.messages.batches.create(requests=anthropic_requests(30))
    emulator.advance(DAY)
    list(anth.messages.batches.results(a.id))
    assert any(".results." in p.name for p in _spooled(emulator))
    anth.messages.batches.delete(a.id)
    assert not any(".results." in p.name for p in _spooled(emulator))
    emulator.reset()
    assert _spooled(emulator) == []


@pytest.mark.parametrize("use_subprocess", [False, True])
def test_the_spool_directory_is_removed_when_the_server_stops(use_subprocess):
    with running_emulator(seed=3, start_time=START, use_subprocess=use_subprocess) as emu:
        oai = emu.openai_client(max_retries=0)
        b = openai_batch(oai, 50)
        emu.advance(DAY)
        assert emu.finalize()["files"] == 1
        spool_dir = Path(emu.state()["spool_dir"])
        assert spool_dir.is_dir() and len(list(spool_dir.iterdir())) == 1
        assert len(oai.files.content(oai.batches.retrieve(b.id).output_file_id).read()) > 0
        oai.close()
    assert not spool_dir.exists()
