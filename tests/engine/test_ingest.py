"""The fast results parser, and downloading then ingesting a batch's results.

* `adapters.fastparse`: for every line, the fast parser's answer is the full parser's answer
  (`parse_line(json.loads(line))`, None when the line is skipped), including the exception
  it raises, on every shape we could think of and on thousands of mutated lines.
* `adapters.base.parse_results`: each result points at its line of the file (byte offsets).
* `console.engine.ingest`: every row points at its line of the results file; a download that
  breaks midway (restart or resume), an empty or absent results file, and an ingest killed
  midway then run again all end with the same rows as a clean ingest: none lost, none
  doubled. A join cut short by a crash is redone without fetching again.
* `console.engine.promote.Slots`: a retry goes ahead of first attempts.
"""

from __future__ import annotations

import asyncio
import json
import random
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from adapters import download as dl
from adapters.anthropic_batch import AnthropicBatchAdapter
from adapters.anthropic_results import parse_raw_line as anthropic_full
from adapters.errors import AdapterError, ResultsNotReady
from adapters.openai_batch import OpenAIBatchAdapter
from adapters.openai_results import parse_raw_line as openai_full
from console.engine import ingest
from store.model import BatchStatus, ItemStatus, RemoteBatch, RequestCounts
from tests.engine.conftest import RecordingSleep, openai_lines, write_jsonl

T0 = 1_795_000_000.0


# ---- lines -----------------------------------------------------------------------------------
def _usage(i: int) -> dict[str, Any]:
    return {"prompt_tokens": 20 + i, "completion_tokens": 100 + i % 7, "total_tokens": 120 + i,
            "prompt_tokens_details": {"cached_tokens": i % 3, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0}}


def openai_ok(i: int, text: str = "Fine.", **body_extra: Any) -> dict[str, Any]:
    body = {"id": f"chatcmpl-{i}", "object": "chat.completion", "created": 1795439486,
            "model": "gpt-6-luna",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text,
                                                  "refusal": None, "annotations": []},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": _usage(i), "service_tier": "default", "system_fingerprint": "fp_x"}
    body.update(body_extra)
    return {"id": f"batch_req_{i}", "custom_id": f"r{i}",
            "response": {"status_code": 200, "request_id": f"req_{i}", "body": body}, "error": None}


def openai_http_error(i: int) -> dict[str, Any]:
    return {"id": f"batch_req_{i}", "custom_id": f"r{i}",
            "response": {"status_code": 429, "request_id": f"req_{i}",
                         "body": {"error": {"message": "Rate limit", "type": "requests",
                                            "param": None, "code": "rate_limit_exceeded"}}},
            "error": None}


def openai_plain_error(i: int, code: str = "batch_expired") -> dict[str, Any]:
    return {"id": f"batch_req_{i}", "custom_id": f"r{i}", "response": None,
            "error": {"code": code, "message": "not run"}}


def anthropic_ok(i: int, text: str = "Fine.") -> dict[str, Any]:
    return {"custom_id": f"r{i}", "result": {"type": "succeeded", "message": {
        "id": f"msg_{i}", "type": "message", "role": "assistant", "model": "claude-haiku-5-5",
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10 + i, "cache_creation_input_tokens": i % 2,
                  "cache_read_input_tokens": i % 5, "output_tokens": 50 + i % 11,
                  "service_tier": "batch"}}}}


def anthropic_other(i: int, kind: str) -> dict[str, Any]:
    if kind == "errored":
        return {"custom_id": f"r{i}", "result": {"type": "errored", "error": {
            "type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}}}
    return {"custom_id": f"r{i}", "result": {"type": kind}}


def compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def spaced(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def _reorder(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _reorder(obj[k]) for k in reversed(list(obj))}
    if isinstance(obj, list):
        return [_reorder(v) for v in obj]
    return obj


HOSTILE_TEXTS = [
    'He said "usage":{"prompt_tokens":999999} and left',
    '\\"usage\\": {\\"prompt_tokens\\": 5}',
    '"}},"usage":{"prompt_tokens":1},"x":{"',
    "ünïcødé ✓ 日本語 \U0001F600 and right-to-left \u202e mark",
    "line\nbreak\ttab \\ backslash \u0001 control \u007f del",
    '\\u0022usage\\u0022',
    "}" * 50 + "{" * 50,
    '"custom_id":"other"',
]


def _openai_corpus() -> list[bytes]:
    lines: list[bytes] = []
    for i, text in enumerate(HOSTILE_TEXTS + ["plain"]):
        for render in (compact, spaced):
            lines.append(render(openai_ok(i, text)))
            lines.append(render(_reorder(openai_ok(i, text))))
    base = openai_ok(1)
    variants: list[Any] = [
        openai_http_error(2), openai_plain_error(3), openai_plain_error(4, "batch_cancelled"),
        {**base, "error": {"code": "x", "message": "both"}},
        {**base, "error": False}, {**base, "error": 0}, {**base, "error": ""},
        {k: v for k, v in base.items() if k != "error"},
        {k: v for k, v in base.items() if k != "custom_id"},
        {**base, "custom_id": 12345}, {**base, "custom_id": None}, {**base, "custom_id": "a\"b\\c"},
        {**base, "custom_id": "ü-\u2028-\ud7ff"},
        {**base, "response": {**base["response"], "status_code": 200.0}},
        {**base, "response": {**base["response"], "status_code": "200"}},
        {**base, "response": {**base["response"], "status_code": 299}},
        {**base, "response": {**base["response"], "status_code": 300}},
        {**base, "response": {**base["response"], "status_code": True}},
        {**base, "response": {**base["response"], "body": json.dumps(base["response"]["body"])}},
        {**base, "response": {**base["response"], "body": None}},
        {**base, "response": {k: v for k, v in base["response"].items() if k != "body"}},
        {**base, "response": "not an object"},
        {**base, "response": {**base["response"], "body": {**base["response"]["body"], "usage": None}}},
        {**base, "response": {**base["response"],
                              "body": {k: v for k, v in base["response"]["body"].items() if k != "usage"}}},
        {**base, "response": {**base["response"], "body": {**base["response"]["body"], "model": None}}},
        {**base, "response": {**base["response"], "body": {**base["response"]["body"], "model": 7}}},
        {**base, "response": {**base["response"], "body": {**base["response"]["body"], "model": "gpt\\u-x\"y"}}},
        {**base, "response": {**base["response"], "body": {**base["response"]["body"], "usage": {
            "input_tokens": 5, "output_tokens": 6,
            "input_tokens_details": {"cached_tokens": 2, "cache_write_tokens": 1}}}}},
        {**base, "response": {**base["response"], "body": {**base["response"]["body"], "usage": {
            "prompt_tokens": 5.7, "completion_tokens": True, "prompt_tokens_details": [1]}}}},
        {**base, "response": {**base["response"], "body": {**base["response"]["body"], "usage": "lots"}}},
        {**base, "response": {**base["response"], "body": {**base["response"]["body"], "usage": []}}},
        {**base, "response": {**base["response"],
                              "body": {"usage": {"prompt_tokens": 1}, "x": {"usage": {"prompt_tokens": 2}}}}},
        {**base, "response": {**base["response"],
                              "body": {**base["response"]["body"], "data": [[1, 2], [3.5e3, -0.0]]}}},
        {**base, "response": {**base["response"], "body": {**base["response"]["body"], "embedding": [0.1] * 300}}},
        [1, 2, 3], "a string", 42, None, {},
    ]
    for v in variants:
        lines.append(compact(v))
        lines.append(spaced(v))
    ok = compact(openai_ok(5))
    raw_extra = [
        # duplicate keys: json keeps the last one
        b'{"custom_id":"r1","custom_id":"r2","response":{"status_code":200,"body":{"usage":{"prompt_tokens":1}}},"error":null}',
        b'{"custom_id":"r1","response":{"status_code":200,"body":{"usage":{"prompt_tokens":1},"usage":{"prompt_tokens":9}}},"error":null}',
        b'{"custom_id":"r1","response":{"status_code":200,"body":{"usage":{"prompt_tokens":1}}},"response":{"status_code":500,"body":{}},"error":null}',
        b'{"custom_id":"r\\u0031","response":{"status_code":200,"body":{"usage":{"prompt_tokens":1}}},"error":null}',
        b'{"custom\\u005fid":"r1","response":{"status_code":200,"body":{"usage":{"prompt_tokens":1}}},"error":null}',
        b'{"custom_id":"r1","response":{"status_code":200,"body":{"usage":{"prompt_tokens":NaN}}},"error":null}',
        b'{"custom_id":"r1","response":{"status_code":200,"body":{"usage":{"prompt_tokens":Infinity}}},"error":null}',
        b'{"custom_id":"r1","response":{"status_code":2e2,"body":{}},"error":null}',
        b'{"custom_id":"r1","response":{"status_code":0200,"body":{}},"error":null}',
        b'\xef\xbb\xbf' + ok,                       # UTF-8 BOM
        ok.replace(b"Fine.", b"Fin\xff."),         # not UTF-8
        ok.replace(b"Fine.", b"Fin\xed\xa0\x80."),  # an encoded lone surrogate (surrogatepass)
        ok.replace(b"Fine.", b"Fin\x01."),         # raw control character in a string
        ok.replace(b"Fine.", b'Fin\\q.'),          # bad escape
        ok.replace(b"Fine.", b'Fin\\u12.'),        # short \u escape
        ok[:-1], ok + b"}", ok + b" x", ok + b",", b" \t" + ok + b" \r ",
        ok.replace(b'"error":null', b'"error":nul'), ok.replace(b":200,", b":200 ,"),
        ok.replace(b":200,", b":-200,"), ok.replace(b'"r5"', b"'r5'"),
        b"[" * 100 + b"]" * 100, b"{" * 5000, b"", b"   ",
    ]
    return lines + raw_extra


def _anthropic_corpus() -> list[bytes]:
    lines: list[bytes] = []
    for i, text in enumerate(HOSTILE_TEXTS + ["plain"]):
        for render in (compact, spaced):
            lines.append(render(anthropic_ok(i, text)))
            lines.append(render(_reorder(anthropic_ok(i, text))))
    base = anthropic_ok(1)
    message = base["result"]["message"]
    variants: list[Any] = [
        anthropic_other(2, "errored"), anthropic_other(3, "canceled"), anthropic_other(4, "expired"),
        anthropic_other(5, "weird"), {"custom_id": "r6", "result": {"type": "succeeded"}},
        {"custom_id": "r7", "result": {"type": "succeeded", "message": None}},
        {"custom_id": "r8", "result": {"type": "succeeded", "message": {}}},
        {"custom_id": "r9", "result": {}}, {"custom_id": "r9", "result": None},
        {**base, "result": {**base["result"], "type": "Succeeded"}},
        {**base, "result": {**base["result"], "message": {**message, "usage": None}}},
        {**base, "result": {**base["result"], "message": {k: v for k, v in message.items() if k != "usage"}}},
        {**base, "result": {**base["result"], "message": {**message, "model": None}}},
        {**base, "result": {**base["result"], "message": {**message, "model": ["x"]}}},
        {**base, "result": {**base["result"],
                            "message": {**message, "usage": {"input_tokens": "7", "output_tokens": 2.9}}}},
        {**base, "custom_id": 9}, {k: v for k, v in base.items() if k != "custom_id"},
        {**base, "result": {**base["result"], "message": {
            **message, "content": [{"type": "text", "text": '"usage":{"input_tokens":1}'}]}}},
        [base], {},
    ]
    for v in variants:
        lines.append(compact(v))
        lines.append(spaced(v))
    ok = compact(anthropic_ok(3))
    lines += [
        ok.replace(b'"succeeded"', b'"succ\\u0065eded"'), ok.replace(b"Fine.", b"F\xc3"),
        ok[:-2], ok + b"{}", b'{"custom_id":"r1","result":{"type":"succeeded","type":"errored","message":{}}}',
    ]
    return lines


def _outcome(fn: Any, line: bytes) -> Any:
    try:
        return ("ok", fn(line))
    except Exception as exc:  # noqa: BLE001 - compare exception types, not messages
        return ("raised", type(exc))


def _trained(cls: Any, samples: list[bytes]) -> Any:
    """A line parser that has already seen (and learned) the sample shapes."""
    parse = cls.line_parser()
    for line in samples:
        _outcome(parse, line)
    return parse


@pytest.mark.parametrize("cls,full,corpus,ok", [
    (OpenAIBatchAdapter, openai_full, _openai_corpus, lambda i: compact(openai_ok(i))),
    (AnthropicBatchAdapter, anthropic_full, _anthropic_corpus, lambda i: compact(anthropic_ok(i))),
])
def test_the_fast_parser_answers_exactly_as_the_full_parser(cls, full, corpus, ok):
    lines = corpus()
    # Learn every shape first, so that the second pass goes through the templates.
    parse = _trained(cls, lines)
    for line in lines + lines[::-1]:
        assert _outcome(parse, line) == _outcome(full, line), line
    # The fast path really runs: typical lines match a learned template.
    parser = parse.__self__
    before = parser.misses
    for i in range(200):
        assert parse(ok(i)) == full(ok(i))
    assert parser.misses == before


@pytest.mark.parametrize("cls,full,make", [
    (OpenAIBatchAdapter, openai_full, lambda i: openai_ok(i, HOSTILE_TEXTS[i % len(HOSTILE_TEXTS)])),
    (AnthropicBatchAdapter, anthropic_full, lambda i: anthropic_ok(i, HOSTILE_TEXTS[i % len(HOSTILE_TEXTS)])),
])
def test_mutated_lines_parse_exactly_as_before(cls, full, make):
    rng = random.Random(5)
    alphabet = b'{}[]:,"\\ 0123456789.-eEtrufalsn\xc3\xa9\xff\x00\x01usagemodelcustom_id'
    samples = [compact(make(i)) for i in range(8)] + [spaced(make(i)) for i in range(8)]
    parse = _trained(cls, samples)
    for n in range(4000):
        line = bytearray(rng.choice(samples))
        for _ in range(rng.choice((1, 1, 2, 3))):
            pos = rng.randrange(len(line))
            op = rng.random()
            if op < 0.4:
                line[pos] = rng.choice(alphabet)
            elif op < 0.7:
                del line[pos:pos + rng.randint(1, 4)]
            else:
                line[pos:pos] = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 3)))
        line = bytes(line)
        assert _outcome(parse, line) == _outcome(full, line), (n, line)


def test_a_file_of_ever_changing_shapes_stays_exact_and_stops_learning(tmp_path):
    parse = OpenAIBatchAdapter.line_parser()
    for i in range(6000):
        obj = openai_ok(i)
        obj["response"]["body"][f"k{i}"] = i  # a new key: a new shape every line
        line = compact(obj)
        assert parse(line) == openai_full(line)
    parser = parse.__self__
    assert parser.attempts <= 64 and len(parser.templates) <= 16 and not parser.enabled


def test_parse_results_gives_offsets_of_the_lines_in_the_file(tmp_path):
    path = tmp_path / "r.jsonl"
    lines = [compact(openai_ok(i, HOSTILE_TEXTS[i % len(HOSTILE_TEXTS)])) for i in range(50)]
    path.write_bytes(b"\n".join(lines[:20]) + b"\n\n  \n" + b"\r\n".join(lines[20:]) + b"\n")
    adapter = OpenAIBatchAdapter.__new__(OpenAIBatchAdapter)
    data = path.read_bytes()
    results = list(adapter.parse_results(path))
    assert [r.custom_id for r in results] == [f"r{i}" for i in range(50)]
    for r in results:
        raw = data[r.offset:r.offset + r.length]
        assert json.loads(raw)["custom_id"] == r.custom_id


# ---- download, then ingest -------------------------------------------------------------------
class FakeResults(OpenAIBatchAdapter):
    """OpenAI parsing over a scripted download: `parts` are served by `download.download`,
    each attempt taking the next behaviour from `script` ("ok", "break", "resume")."""

    name = "openai"

    def __init__(self, parts: list[bytes], script: list[str] | None = None,
                 ready: bool = True) -> None:
        self.parts = parts
        self.script = list(script or [])
        self.ready = ready
        self.attempts = 0

    def _opener(self, index: int) -> Any:
        @asynccontextmanager
        async def open_stream(headers: dict[str, str]) -> Any:
            data = self.parts[index]
            self.attempts += 1
            mode = self.script.pop(0) if self.script else "ok"
            start = int(headers["Range"].split("=")[1].rstrip("-")) if "Range" in headers else 0
            headers_out = {}
            if mode == "resume" and start:
                body, status = data[start:], 206
                headers_out["content-range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            elif mode == "misplaced" and start:  # a 206 of the whole file, not the asked range
                body, status = data, 206
                headers_out["content-range"] = f"bytes 0-{len(data) - 1}/{len(data)}"
            else:
                body, status = data, 200
            yield _Resp(body, status, cut=len(body) // 2 if mode == "break" else None,
                        headers=headers_out)

        return open_stream

    async def download_results(self, remote: RemoteBatch, dest: Path) -> Any:
        if not self.ready:
            raise ResultsNotReady("nothing to download")
        return await dl.download(dest, [self._opener(i) for i in range(len(self.parts))],
                                 wrap=lambda exc: AdapterError(str(exc)))

    async def aclose(self) -> None:
        pass


class _Resp:
    def __init__(self, body: bytes, status: int, cut: int | None,
                 headers: dict[str, str] | None = None) -> None:
        self.body, self.status_code, self.cut = body, status, cut
        self.headers = {"content-length": str(len(body)), **(headers or {})}

    async def iter_bytes(self, size: int) -> Any:
        end = self.cut if self.cut is not None else len(self.body)
        step = max(1, min(size, 700))
        for pos in range(0, end, step):
            await asyncio.sleep(0)
            yield self.body[pos:min(pos + step, end)]
        if self.cut is not None:
            raise ConnectionResetError("cut")


def _engine(store: Any, adapter: Any) -> Any:
    from console.engine.service import Engine

    return Engine(store, None, adapter_factory=lambda provider, profile: adapter,
                  clock=lambda: T0 + 100, sleep=RecordingSleep(), actor="tester@host")


def _own_batch(store: Any, n: int) -> int:
    bid = store.record_intent(provider="openai", profile="default", endpoint="/v1/chat/completions",
                              model="gpt-6-luna", label=None, deadline=None, job_id=None,
                              parent_id=None, submitted_by="t@h", submit_token="tok",
                              request_count=n, now=T0)
    remote = RemoteBatch("openai", f"batch_{bid}", BatchStatus.COMPLETED, "completed",
                         endpoint="/v1/chat/completions", model="gpt-6-luna",
                         counts=RequestCounts(total=n, succeeded=n), ended_at=T0 + 50,
                         output_file_id="file-out", error_file_id="file-err")
    store.attach_remote(bid, remote, now=T0)
    store.add_items(bid, ((f"r{i}", '{"model":"gpt-6-luna","messages":[]}') for i in range(n)))
    return bid


def _results_parts(n: int) -> list[bytes]:
    rng = random.Random(n)
    order = list(range(n))
    rng.shuffle(order)
    ok = [i for i in order if i % 10]
    bad = [i for i in order if not i % 10]
    out = b"".join(compact(openai_ok(i, HOSTILE_TEXTS[i % len(HOSTILE_TEXTS)])) + b"\n" for i in ok)
    err = b"\n".join(compact(openai_http_error(i) if i % 20 else openai_plain_error(i, "server_error"))
                     for i in bad)  # no final newline
    return [out, err]


def _rows(store: Any, bid: int) -> list[tuple]:
    return store.conn.execute(
        "SELECT custom_id, seq, status, result_status, model, error_class, error_type, error_message,"
        " http_status, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,"
        " batch_cost, realtime_cost, billed_day, result_offset, result_length, updated_at"
        " FROM items WHERE batch_id = ? ORDER BY custom_id", (bid,)).fetchall()


def _open_store(path: Path) -> Any:
    from store import Store
    from store.prices import PriceBook

    return Store.open(path, price_book=PriceBook.shipped())


async def _ingest(tmp_path: Path, name: str, n: int, adapter: Any) -> tuple[Any, int, int]:
    store = _open_store(tmp_path / name / "b.db")
    bid = _own_batch(store, n)
    engine = _engine(store, adapter)
    lines = await engine.ingest(bid)
    return store, bid, lines


def _check_rows_point_at_their_lines(store: Any, bid: int, n: int, prefix: str = "r") -> None:
    items = store.page_items(bid, offset=0, limit=n + 10)
    assert len(items) == n and {i.custom_id for i in items} == {f"{prefix}{i}" for i in range(n)}
    assert all(i.status != ItemStatus.PENDING for i in items)
    for item in items:
        assert json.loads(store.raw_result(item))["custom_id"] == item.custom_id


async def test_an_ingest_writes_one_row_per_line_pointing_at_it(tmp_path):
    n = 3000
    parts = _results_parts(n)
    store, bid, lines = await _ingest(tmp_path, "one", n, FakeResults(parts))
    assert lines == n
    _check_rows_point_at_their_lines(store, bid, n)
    event = store.events(action="ingest")[0].details
    assert set(event) == {"lines", "status", "download_s", "ingest_s", "bytes", "resumed"}
    assert event["lines"] == n and event["status"] == "completed" and event["resumed"] is False
    dest = ingest.results_path(_engine(store, None), store.get_batch(bid))
    assert event["bytes"] == dest.stat().st_size == sum(len(p) for p in parts) + 1  # + the join's newline
    assert store.get_batch(bid).ingested_at is not None
    # Run again: the same rows, none doubled.
    before = _rows(store, bid)
    assert await _engine(store, FakeResults(parts)).ingest(bid) == n
    assert _rows(store, bid) == before


@pytest.mark.parametrize("script", [["break"], ["break", "break"], ["ok", "break"],
                                    ["break", "resume"], ["ok", "break", "resume"],
                                    ["break", "misplaced"]])
async def test_a_download_that_breaks_midway_loses_and_doubles_nothing(tmp_path, script):
    n = 2000
    parts = _results_parts(n)
    ref, rbid, _ = await _ingest(tmp_path, "ref", n, FakeResults(parts))
    adapter = FakeResults(parts, script=list(script))
    store, bid, lines = await _ingest(tmp_path, "broken", n, adapter)
    assert lines == n and adapter.attempts > len(parts)
    # A break resumed with Range (206) keeps the bytes it had; a plain 200 starts the part over.
    assert store.events(action="ingest")[0].details["resumed"] is ("resume" in script)
    assert _rows(store, bid) == _rows(ref, rbid)
    _check_rows_point_at_their_lines(store, bid, n)
    assert store.savings(by="batch") == ref.savings(by="batch")
    dest = ingest.results_path(_engine(store, adapter), store.get_batch(bid))
    assert sorted(p.name for p in dest.parent.iterdir()) == [dest.name]  # no parts left behind


async def test_an_empty_results_file_settles_every_item(tmp_path):
    store, bid, lines = await _ingest(tmp_path, "empty", 50, FakeResults([b"", b""]))
    assert lines == 0
    items = store.page_items(bid, offset=0, limit=100)
    assert {(i.status, i.error_type) for i in items} == {(ItemStatus.ERRORED, "missing_result")}
    assert store.get_batch(bid).ingested_at is not None


async def test_an_absent_results_file_settles_every_item(tmp_path):
    store, bid, lines = await _ingest(tmp_path, "absent", 50, FakeResults([b""], ready=False))
    assert lines == 0
    assert {i.status for i in store.page_items(bid, offset=0, limit=100)} == {ItemStatus.ERRORED}
    assert store.get_batch(bid).ingested_at is not None


class Crash(BaseException):
    """Stands in for kill -9: nothing after it runs (open transactions roll back)."""


class CrashingParser(FakeResults):
    def __init__(self, parts: list[bytes], after: int) -> None:
        super().__init__(parts)
        self.after = after

    def line_parser(self) -> Any:  # type: ignore[override]
        parse = OpenAIBatchAdapter.line_parser()
        seen = 0

        def crashing(line: bytes) -> Any:
            nonlocal seen
            seen += 1
            if seen == self.after:
                raise Crash
            return parse(line)

        return crashing


@pytest.mark.parametrize("after", [1, 777, 1500, 2999])
async def test_an_ingest_killed_midway_then_run_again_yields_identical_rows(tmp_path, after):
    n = 3000
    parts = _results_parts(n)
    ref, rbid, _ = await _ingest(tmp_path, "ref", n, FakeResults(parts))
    adapter = CrashingParser(parts, after)
    store = _open_store(tmp_path / "crash" / "b.db")
    bid = _own_batch(store, n)
    engine = _engine(store, adapter)
    with pytest.raises(Crash):
        await engine.ingest(bid)
    assert store.get_batch(bid).ingested_at is None  # never marked before the file is whole
    adapter.after = -1
    assert await engine.ingest(bid) == n
    assert _rows(store, bid) == _rows(ref, rbid)
    _check_rows_point_at_their_lines(store, bid, n)
    assert store.savings(by="batch") == ref.savings(by="batch")


async def test_a_broken_emulator_download_is_ingested_once(engine, store, emulator, tmp_path):
    result = await engine.submit(write_jsonl(tmp_path / "in.jsonl", openai_lines(400)), provider="openai")
    local = result.batch_ids[0]
    remote_id = store.get_batch(local).provider_batch_id
    emulator.batch_faults(remote_id, broken_download=0.6, broken_download_times=1)
    emulator.advance(30 * 3600)
    report = await engine.sync_once()
    assert report.ingested == {local: 400}
    _check_rows_point_at_their_lines(store, local, 400, prefix="req-")
    assert store.events(action="ingest")[0].details["resumed"] is False
    assert store.get_batch(local).counts.total == 400


async def test_a_whole_part_left_without_its_marker_by_a_kill_is_fetched_again(engine, store, emulator, tmp_path):
    """Killed after a part's last byte but before its `.ok` marker: the resume asks for
    `bytes=<size>-`, which the server answers 416; the part must start over, not fail every
    later sync."""
    result = await engine.submit(write_jsonl(tmp_path / "in.jsonl", openai_lines(300)), provider="openai")
    local = result.batch_ids[0]
    emulator.advance(30 * 3600)
    b = store.get_batch(local)
    client = emulator.openai_client()
    whole = client.files.content(client.batches.retrieve(b.provider_batch_id).output_file_id).read()
    dest = ingest.results_path(engine, b)
    dest.with_name(dest.name + ".part0").write_bytes(whole)  # every byte, and no .ok marker
    report = await engine.sync_once()
    assert report.errors == {} and report.ingested == {local: 300}
    _check_rows_point_at_their_lines(store, local, 300, prefix="req-")


async def test_a_join_cut_short_by_a_crash_is_redone(tmp_path):
    dest = tmp_path / "results.jsonl"
    parts = [b'{"a":1}\n{"a":2}', b'{"b":1}\n']
    adapter = FakeResults(parts)
    report = await adapter.download_results(None, dest)  # type: ignore[arg-type]
    whole = dest.read_bytes()
    assert whole == b'{"a":1}\n{"a":2}\n{"b":1}\n' and report.bytes_total == len(whole)
    # Replay a crash mid-join: part 0 already has part of part 1 appended, markers remain.
    dest.unlink()
    p0, p1 = dl.part_paths(dest, 2)
    p0.write_bytes(parts[0] + b"\n{\"b")
    p1.write_bytes(parts[1])
    for p, data in ((p0, parts[0]), (p1, parts[1])):
        p.with_name(p.name + ".ok").write_text(str(len(data)))
    again = FakeResults(parts, script=["break", "break"])  # would break if it fetched again
    await again.download_results(None, dest)  # type: ignore[arg-type]
    assert dest.read_bytes() == whole and again.attempts == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.jsonl"]


# ---- promote's slots -------------------------------------------------------------------------
async def test_a_retry_goes_ahead_of_first_attempts_and_slots_stay_bounded():
    from console.engine.promote import Slots

    slots = Slots(2)
    order: list[str] = []
    running = 0
    peak = 0
    gate = asyncio.Event()

    async def call(name: str, first: bool, hold: bool = False) -> None:
        nonlocal running, peak
        async with slots.slot(first=first):
            running += 1
            peak = max(peak, running)
            order.append(name)
            if hold:
                await gate.wait()
            await asyncio.sleep(0)
            running -= 1

    holders = [asyncio.create_task(call(f"h{i}", True, hold=True)) for i in range(2)]
    await asyncio.sleep(0)
    fresh = [asyncio.create_task(call(f"f{i}", True)) for i in range(5)]
    await asyncio.sleep(0)
    retry = asyncio.create_task(call("retry", False))
    cancelled = asyncio.create_task(call("gone", True))
    await asyncio.sleep(0)
    cancelled.cancel()
    gate.set()
    await asyncio.gather(*holders, *fresh, retry, return_exceptions=True)
    assert order[:2] == ["h0", "h1"] and order[2] == "retry"
    assert order[3:] == [f"f{i}" for i in range(5)] and "gone" not in order
    assert peak == 2 and slots.free == 2
