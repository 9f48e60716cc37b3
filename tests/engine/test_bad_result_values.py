"""One bad value in a provider's result line never stops an ingest (issue 15, item 3).

A results file written here, with good lines around lines whose fields hold 1e999 (read as
infinity: OverflowError once), NaN, negatives, huge integers and wrong types, is downloaded
and ingested through the engine with each provider's real adapter (only the download is
replaced: it copies the file). Every bad line becomes `malformed_result` for its item; every
good line is ingested; nothing made-up reaches the money columns. Parser-agnostic: the test
looks only at the store the engine wrote.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from adapters.anthropic_batch import AnthropicBatchAdapter
from adapters.base import DownloadReport
from adapters.openai_batch import OpenAIBatchAdapter
from store.model import BatchStatus, ItemStatus, RemoteBatch, RequestCounts
from tests.engine.conftest import RecordingSleep
from tests.engine.test_ingest import anthropic_ok, openai_ok

T0 = 1_795_000_000.0
GOOD = 300


def _served(cls: type, source: Path) -> Any:
    class Served(cls):  # type: ignore[misc, valid-type]
        """The real adapter's parsing; the download copies a file the test wrote."""

        def __init__(self) -> None:
            pass

        async def download_results(self, remote: RemoteBatch, dest: Path) -> DownloadReport:
            shutil.copyfile(source, dest)
            size = dest.stat().st_size
            return DownloadReport(dest, size, size, False, 1)

        async def aclose(self) -> None:
            pass

    return Served()


def _set(obj: dict, path: tuple[str, ...], raw: str) -> bytes:
    """`obj` as JSON with the value at `path` replaced by the raw JSON text `raw`."""
    marker = "__BAD__"
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = marker
    return json.dumps(obj).replace(f'"{marker}"', raw).encode()


OPENAI_USAGE = ("response", "body", "usage")
OPENAI_BAD = {
    "1e999": (OPENAI_USAGE + ("prompt_tokens",), "1e999"),
    "-1e999": (OPENAI_USAGE + ("completion_tokens",), "-1e999"),
    "NaN": (OPENAI_USAGE + ("completion_tokens",), "NaN"),
    "Infinity": (OPENAI_USAGE + ("prompt_tokens",), "Infinity"),
    "negative": (OPENAI_USAGE + ("prompt_tokens",), "-5"),
    "huge int": (OPENAI_USAGE + ("prompt_tokens",), "1" + "0" * 30),
    "fraction": (OPENAI_USAGE + ("completion_tokens",), "12.5"),
    "string count": (OPENAI_USAGE + ("prompt_tokens",), '"12"'),
    "true count": (OPENAI_USAGE + ("completion_tokens",), "true"),
    "cached huge": (OPENAI_USAGE + ("prompt_tokens_details", "cached_tokens"), "9" * 25),
    "usage list": (OPENAI_USAGE + ("prompt_tokens_details",), '{"cached_tokens": [1]}'),
    "model 5": (("response", "body", "model"), "5"),
    "model object": (("response", "body", "model"), '{"x": 1}'),
    "model surrogate": (("response", "body", "model"), '"gpt\\ud800"'),
}
ANTHROPIC_USAGE = ("result", "message", "usage")
ANTHROPIC_BAD = {
    "1e999": (ANTHROPIC_USAGE + ("input_tokens",), "1e999"),
    "NaN": (ANTHROPIC_USAGE + ("output_tokens",), "NaN"),
    "-Infinity": (ANTHROPIC_USAGE + ("output_tokens",), "-Infinity"),
    "negative": (ANTHROPIC_USAGE + ("cache_read_input_tokens",), "-1"),
    "huge int": (ANTHROPIC_USAGE + ("cache_creation_input_tokens",), "1" + "0" * 40),
    "string count": (ANTHROPIC_USAGE + ("input_tokens",), '"10"'),
    "true count": (ANTHROPIC_USAGE + ("output_tokens",), "true"),
    "model 5": (("result", "message", "model"), "5"),
    "model surrogate": (("result", "message", "model"), '"claude\\udc00"'),
}


def _error_lines(provider: str, start: int) -> dict[str, bytes]:
    """Failure lines with wrong types in their error fields."""
    if provider == "openai":
        plain = {"id": "x", "response": None, "error": {"code": "server_error", "message": "m"}}
        return {
            "error message number": _set({**plain, "custom_id": f"r{start}"}, ("error", "message"), "5"),
            "error code object": _set({**plain, "custom_id": f"r{start + 1}"}, ("error", "code"), '{"a": 1}'),
        }
    errored = {"result": {"type": "errored", "error": {"type": "error", "error": {"type": "x", "message": "m"}}}}
    return {
        "error message number": _set({**json.loads(json.dumps(errored)), "custom_id": f"r{start}"},
                                     ("result", "error", "error", "message"), "[1, 2]"),
        "error type object": _set({**json.loads(json.dumps(errored)), "custom_id": f"r{start + 1}"},
                                  ("result", "error", "error", "type"), '{"a": 1}'),
    }


def _store_and_batch(tmp_path: Path, provider: str, model: str, n: int) -> tuple[Any, int]:
    from store import Store
    from store.prices import PriceBook

    store = Store.open(tmp_path / "b.db", price_book=PriceBook.shipped())
    endpoint = "/v1/chat/completions" if provider == "openai" else "/v1/messages"
    bid = store.record_intent(provider=provider, profile="default", endpoint=endpoint, model=model,
                              label=None, deadline=None, job_id=None, parent_id=None,
                              submitted_by="t@h", submit_token="tok", request_count=n, now=T0)
    remote = RemoteBatch(provider, f"batch_{bid}", BatchStatus.COMPLETED, "ended", endpoint=endpoint,
                         model=model, counts=RequestCounts(total=n, succeeded=n), ended_at=T0 + 50,
                         output_file_id="file-out", results_url="https://example.invalid/results")
    store.attach_remote(bid, remote, now=T0)
    store.add_items(bid, ((f"r{i}", '{"model":"m","messages":[]}') for i in range(n)))
    return store, bid


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_bad_values_in_result_lines_become_malformed_and_the_rest_is_ingested(tmp_path, provider):
    from console.engine.service import Engine

    ok, bad_specs, cls, model = ((openai_ok, OPENAI_BAD, OpenAIBatchAdapter, "gpt-6-luna")
                                 if provider == "openai" else
                                 (anthropic_ok, ANTHROPIC_BAD, AnthropicBatchAdapter, "claude-haiku-5-5"))
    bad: dict[str, bytes] = {}
    i = GOOD
    for name, (path, raw) in bad_specs.items():
        bad[name] = _set(ok(i), path, raw)
        i += 1
    bad.update(_error_lines(provider, i))
    n_bad = len(bad)
    n = GOOD * 2 + n_bad
    # Good lines first (the fast parser learns their shape), the bad ones, then good again.
    lines = [json.dumps(ok(j)).encode() for j in range(GOOD)] + list(bad.values()) + [
        json.dumps(ok(j)).encode() for j in range(GOOD + n_bad, n)]
    source = tmp_path / "results.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    store, bid = _store_and_batch(tmp_path, provider, model, n)
    engine = Engine(store, None, adapter_factory=lambda p, profile: _served(cls, source),
                    clock=lambda: T0 + 100, sleep=RecordingSleep(), actor="tester@host")

    assert await engine.ingest(bid) == n
    items = {it.custom_id: it for it in store.page_items(bid, offset=0, limit=n + 10)}
    assert len(items) == n
    flagged = {f"r{j}" for j in range(GOOD, GOOD + n_bad)}
    for cid, item in items.items():
        if cid in flagged:
            assert (item.status, item.error_type) == (ItemStatus.ERRORED, "malformed_result"), (cid, item)
            assert item.batch_cost in (None, 0) and (item.usage is None or item.usage.total_tokens == 0)
        else:
            assert item.status is ItemStatus.SUCCEEDED, (cid, item)
            assert item.batch_cost is not None and item.batch_cost > 0
    assert store.get_batch(bid).ingested_at is not None
    counts = store.get_batch(bid).counts
    assert (counts.succeeded, counts.errored) == (n - n_bad, n_bad)
    # The store holds no number it could not have been given by a provider.
    worst = store.conn.execute("SELECT min(input_tokens), max(input_tokens), max(output_tokens),"
                               " min(batch_cost) FROM items WHERE batch_id = ?", (bid,)).fetchone()
    assert worst[0] >= 0 and worst[1] < 10**6 and worst[2] < 10**6 and worst[3] >= 0
    store.close()
