"""The official google-genai SDK against the emulator over a socket: batches as long-running
operations, inline and file input (resumable upload), results file download, realtime."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from google.genai import errors, types

from adapters.emulator.gemini.routes import GENAI_DEFAULT_API_VERSION
from tests.emulator.helpers import START

MODEL = "gemini-2.5-flash"


def _req(text: str, max_tokens: int | None = None) -> dict:
    req: dict = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
    if max_tokens:
        req["config"] = {"max_output_tokens": max_tokens}
    return req


@pytest.fixture(params=[None, "v1beta"], ids=["sdk-default-v1", "pinned-v1beta"])
def gem(emulator, request):
    """The SDK as it comes (google-genai 3.6.1 sends /v1/... paths) and pinned to v1beta."""
    return emulator.gemini_client(api_version=request.param)


def test_inline_batch_runs_pending_running_succeeded_with_inlined_responses(emulator, gem):
    job = gem.batches.create(model=MODEL, src=[_req("Summarize the report."), _req("Classify this ticket.")],
                             config={"display_name": "nightly"})
    assert isinstance(job, types.BatchJob)
    assert job.name.startswith("batches/")
    assert job.state == types.JobState.JOB_STATE_PENDING
    assert job.display_name == "nightly" and job.model == f"models/{MODEL}"
    assert job.create_time.timestamp() == pytest.approx(START, abs=1)
    emulator.advance(60)
    assert gem.batches.get(name=job.name).state == types.JobState.JOB_STATE_RUNNING
    emulator.advance(6 * 3600)
    done = gem.batches.get(name=job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED and done.done
    answers = done.dest.inlined_responses
    assert len(answers) == 2 and all(a.response is not None for a in answers)
    usage = answers[0].response.usage_metadata
    assert usage.prompt_token_count > 0 and usage.candidates_token_count > 0
    assert answers[0].response.text


def test_wire_counts_are_int64_strings_and_zero_counts_are_omitted(emulator):
    with httpx.Client(base_url=emulator.base_url, headers={"x-goog-api-key": "k"}) as http:
        body = {"batch": {"inputConfig": {"requests": {"requests": [
            {"request": {"contents": [{"parts": [{"text": "hi"}]}]}, "metadata": {"key": "a"}},
            {"request": {"contents": [{"parts": [{"text": "yo"}]}]}, "metadata": {"key": "b"}}]}}}}
        op = http.post(f"/v1beta/models/{MODEL}:batchGenerateContent", json=body).json()
        assert op["metadata"]["state"] == "BATCH_STATE_PENDING" and "done" not in op
        assert op["metadata"]["batchStats"] == {"requestCount": "2", "pendingRequestCount": "2"}
        emulator.advance(6 * 3600)
        op = http.get(f"/v1beta/{op['name']}").json()
        assert op["done"] is True and op["metadata"]["state"] == "BATCH_STATE_SUCCEEDED"
        assert op["metadata"]["batchStats"] == {"requestCount": "2", "successfulRequestCount": "2"}
        assert op["response"]["inlinedResponses"] == op["metadata"]["output"]["inlinedResponses"]
        assert http.get(f"/v1beta/{op['name']}", headers={"x-goog-api-key": ""}).status_code == 403


def test_file_batch_uploads_resumably_and_downloads_a_results_file_keyed_by_key(emulator, gem):
    lines = [json.dumps({"key": f"row-{i}", "request": {"contents": [{"parts": [{"text": f"Question {i}"}]}]}})
             for i in range(5)]
    lines.append(json.dumps({"key": "broken", "request": {"contents": []}}))
    uploaded = gem.files.upload(file=io.BytesIO(("\n".join(lines) + "\n").encode()),
                                config={"mime_type": "application/jsonl", "display_name": "input"})
    assert uploaded.name.startswith("files/") and uploaded.size_bytes > 0
    job = gem.batches.create(model=MODEL, src=uploaded.name)
    emulator.advance(48 * 3600 - 1)
    done = gem.batches.get(name=job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    assert done.dest.file_name == f"files/batch-{job.name.split('/')[1]}"
    data = gem.files.download(file=done.dest.file_name)
    rows = [json.loads(x) for x in data.decode().splitlines()]
    assert sorted(r["key"] for r in rows) == sorted([f"row-{i}" for i in range(5)] + ["broken"])
    bad = next(r for r in rows if r["key"] == "broken")
    assert bad["error"]["code"] == 3 and "response" not in bad  # a gRPC code, not an HTTP status


def test_the_sdk_sends_v1_paths_unless_pinned_and_the_emulator_answers_them(emulator):
    from google.genai import _api_client

    assert _api_client.GOOGLE_AI_API_DEFAULT_VERSION == GENAI_DEFAULT_API_VERSION == "v1"
    gem = emulator.gemini_client()  # nothing pinned: what an operator's script would send
    line = b'{"key": "a", "request": {"contents": [{"parts": [{"text": "hi"}]}]}}\n'
    uploaded = gem.files.upload(file=io.BytesIO(line), config={"mime_type": "application/jsonl"})
    # The emulator mints the file's uri from the path the upload came in on: /upload/v1/files.
    assert f"/v1/{uploaded.name}" in uploaded.uri and "v1beta" not in uploaded.uri
    job = gem.batches.create(model=MODEL, src=uploaded.name)
    emulator.advance(6 * 3600)
    assert gem.batches.get(name=job.name).state == types.JobState.JOB_STATE_SUCCEEDED
    pinned = emulator.gemini_client(api_version="v1beta")  # kept: a dropped client closes its connection
    assert "/v1beta/" in pinned.files.get(name=uploaded.name).uri
    # /v1/batches is OpenAI's path too: without Google's key a call there is OpenAI's.
    openai_list = httpx.get(f"{emulator.base_url}/v1/batches", headers={"Authorization": "Bearer k"}).json()
    assert openai_list["object"] == "list" and "operations" not in openai_list


def test_per_line_errors_carry_grpc_codes(emulator, gem):
    emulator.set_faults(error_rate=1.0, retryable_share=0.5)
    job = gem.batches.create(model=MODEL, src=[_req(f"q{i}") for i in range(12)])
    emulator.advance(6 * 3600)
    answers = gem.batches.get(name=job.name).dest.inlined_responses
    codes = {a.error.code for a in answers}
    assert codes and codes <= {3, 4, 8, 13, 14} and all(a.response is None for a in answers)


def test_a_batch_not_processed_within_48_hours_expires(emulator, gem):
    job = gem.batches.create(model=MODEL, src=[_req("a"), _req("b")])
    emulator.batch_faults(job.name.split("/")[1], expire=1.0)
    emulator.advance(47 * 3600)
    assert gem.batches.get(name=job.name).state == types.JobState.JOB_STATE_RUNNING
    emulator.advance(3600 + 1)
    assert gem.batches.get(name=job.name).state == types.JobState.JOB_STATE_EXPIRED


def test_cancel_list_with_page_token_and_delete(emulator, gem):
    names = [gem.batches.create(model=MODEL, src=[_req(f"x{i}")]).name for i in range(3)]
    emulator.advance(1)
    gem.batches.cancel(name=names[0])
    emulator.advance(3600)
    assert gem.batches.get(name=names[0]).state == types.JobState.JOB_STATE_CANCELLED
    pager = gem.batches.list(config={"page_size": 2})
    seen = [j.name for j in pager]
    assert seen == list(reversed(names))  # newest first, across two pages
    gem.batches.delete(name=names[1])
    with pytest.raises(errors.ClientError) as exc:
        gem.batches.get(name=names[1])
    assert exc.value.code == 404


def test_realtime_generate_content_and_a_429_is_resource_exhausted(emulator, gem):
    answer = gem.models.generate_content(model=MODEL, contents="Say something short.")
    assert answer.text and answer.usage_metadata.total_token_count > 0
    emulator.set_faults(http_429_rate=1.0)
    with httpx.Client(base_url=emulator.base_url) as http:
        r = http.post(f"/v1beta/models/{MODEL}:generateContent", params={"key": "k"},
                      json={"contents": [{"parts": [{"text": "x"}]}]})
    assert r.status_code == 429 and r.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
