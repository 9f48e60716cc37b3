"""Result lines across providers: the one failure rule, truncated successes, kept and filterable."""

from __future__ import annotations

import json

from adapters import registry
from adapters.result_lines import read_results
from store.model import TRUNCATED, BatchStatus, ErrorClass, ItemStatus
from tests.store.helpers import T0, remote


def _lines(path, rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _chat(cid: str, finish: str = "stop", status_code: int = 200, error=None, body=True) -> dict:
    answer = {"model": "gpt-6-luna", "choices": [{"index": 0, "finish_reason": finish,
                                                    "message": {"role": "assistant", "content": "hi"}}],
              "usage": {"prompt_tokens": 10, "completion_tokens": 5}}
    return {"custom_id": cid, "response": {"status_code": status_code, "body": answer if body else None},
            "error": error}


def test_a_status_of_400_or_more_fails_the_line_whatever_error_holds(tmp_path):
    path = tmp_path / "out.jsonl"
    _lines(path, [
        _chat("vllm-string", status_code=400, error="bad prompt", body=False),        # vLLM: both set
        _chat("vllm-object", status_code=503, error={"code": "overloaded", "message": "busy"}, body=False),
        _chat("plain-404", status_code=404, error=None, body=False),
        _chat("rate", status_code=429, error={"message": "slow down"}, body=False),
        {"custom_id": "expired", "response": None, "error": {"code": "batch_expired", "message": "late"}},
    ])
    got = {r.custom_id: r for r in read_results(registry.get("openai"), path)}
    s = got["vllm-string"]
    assert (s.status, s.http_status, s.error_class, s.error_message) == (
        ItemStatus.ERRORED, 400, ErrorClass.PERMANENT, "bad prompt")
    o = got["vllm-object"]
    assert (o.status, o.http_status, o.error_class, o.error_type) == (
        ItemStatus.ERRORED, 503, ErrorClass.RETRYABLE, "overloaded")
    assert (got["plain-404"].error_type, got["plain-404"].error_class) == ("http_404", ErrorClass.PERMANENT)
    assert got["rate"].error_class is ErrorClass.RETRYABLE
    assert got["expired"].status is ItemStatus.EXPIRED


def test_truncated_successes_in_each_shape(tmp_path):
    openai = registry.get("openai").line_parser()
    line = json.dumps(_chat("a", finish="length")).encode()
    assert openai(line).status is ItemStatus.SUCCEEDED and openai(line).truncated
    assert not openai(json.dumps(_chat("b")).encode()).truncated
    responses = {"custom_id": "c", "response": {"status_code": 200, "body": {
        "model": "gpt-6-luna", "status": "incomplete", "output": [],
        "usage": {"input_tokens": 3, "output_tokens": 4}}}, "error": None}
    assert openai(json.dumps(responses).encode()).truncated
    anthropic = registry.get("anthropic").line_parser()
    for stop, cut in (("max_tokens", True), ("refusal", True), ("end_turn", False)):
        msg = {"custom_id": "d", "result": {"type": "succeeded", "message": {
            "model": "claude-haiku-5-5", "stop_reason": stop, "usage": {"input_tokens": 1, "output_tokens": 2}}}}
        assert anthropic(json.dumps(msg).encode()).truncated is cut


def test_truncated_items_are_stored_counted_and_filterable(store, tmp_path):
    batch_id, _ = store.upsert_tracked(remote("batch_trunc", BatchStatus.COMPLETED, "completed"),
                                    profile="default", now=T0, submitted_by=None)
    path = tmp_path / "out.jsonl"
    _lines(path, [_chat(f"r{i}", finish="length" if i % 3 == 0 else "stop") for i in range(9)])
    store.ingest_results(batch_id, read_results(registry.get("openai"), path), results_path=str(path), now=T0)
    store.mark_ingested(batch_id, now=T0)
    assert store.get_batch(batch_id).truncated == 3
    assert store.count_items(batch_id, status=TRUNCATED) == 3
    page = store.page_items(batch_id, offset=0, limit=10, status=TRUNCATED)
    assert [i.custom_id for i in page] == ["r0", "r3", "r6"] and all(i.truncated for i in page)
    assert all(i.status is ItemStatus.SUCCEEDED for i in page)


def test_embedding_batches_split_at_the_input_cap():
    import dataclasses

    from console.engine.requests import LineInfo, plan

    caps = dataclasses.replace(registry.get("openai").capabilities, max_embedding_inputs=100)
    lines = [LineInfo(i, 0, 10, f"e{i}", "/v1/embeddings", "text-embedding-3-small", 50,
                      embedding_inputs=30) for i in range(10)]
    chunks = plan(lines, caps)
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    assert registry.get("openai").capabilities.max_embedding_inputs == 50_000


def test_the_eight_openai_batch_endpoints_are_accepted():
    spec = registry.get("openai")
    assert len(spec.capabilities.endpoints) == 8
    assert spec.validate_body({"prompt": "a cat"}, "/v1/images/generations") is None
    assert "not one batchdeck can send" in spec.validate_body({"prompt": "x"}, "/v1/nope")


def test_a_provider_names_its_own_item_id_field_for_damaged_lines():
    from adapters.result_lines import decode_lines, id_reader

    def strict(line: bytes):
        raise ValueError("never decodes")

    parse = decode_lines(strict, id_field="key")
    assert parse(b'{"key": "k-1", "response": {"x": 1e999}}').custom_id == "k-1"
    assert parse(b'{"key": "k-\\u0032", "response": [') .custom_id == "k-2"  # damaged JSON
    assert parse(b'{"custom_id": "c-1"}') is None  # not this provider's id field
    assert id_reader()(b'{"custom_id": 7}') == "7"


def test_as_int_reads_numeric_strings_and_refuses_the_rest():
    from adapters.base import as_int

    assert [as_int(v) for v in ("12", " 7 ", "3.0", 5, 2.9, True, None, "x", float("inf"), float("nan"))] == \
        [12, 7, 3, 5, 2, 0, 0, 0, 0, 0]


def test_requests_convert_through_the_neutral_form_both_ways():
    from adapters import registry

    openai_line = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
                   "body": {"model": "gpt-6-luna", "max_completion_tokens": 50, "temperature": 0.2, "stop": "END",
                            "messages": [{"role": "system", "content": "Be brief."},
                                         {"role": "user", "content": "Hi"}]}}
    ep, params, converted = registry.adapt_request("anthropic", openai_line, None)
    assert (ep, converted) == ("/v1/messages", True)
    assert params == {"model": "gpt-6-luna", "max_tokens": 50, "system": "Be brief.", "temperature": 0.2,
                      "stop_sequences": ["END"], "messages": [{"role": "user", "content": "Hi"}]}
    back_ep, body, _ = registry.adapt_request("groq", {"custom_id": "a", "params": params}, None)
    assert back_ep == "/v1/chat/completions"
    assert body["messages"][0] == {"role": "system", "content": "Be brief."} and body["stop"] == ["END"]
    _, same, converted = registry.adapt_request("openai", openai_line, None)
    assert same is openai_line["body"] and not converted
