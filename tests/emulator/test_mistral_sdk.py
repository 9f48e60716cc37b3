"""The official mistralai SDK against the emulator over a socket: files, batch jobs (file and
inline input), statuses, counts, the output file that holds failures too, and realtime chat."""

from __future__ import annotations

import json

import httpx
import pytest
from mistralai.client import models
from mistralai.client.errors import SDKError

from tests.emulator.helpers import START

MODEL = "mistral-small-latest"


def _line(i: int, **body) -> dict:
    return {"custom_id": f"req-{i}", "body": {"messages": [{"role": "user", "content": f"Summarize ticket {i}."}],
                                              "max_tokens": 200, **body}}


@pytest.fixture
def mis(emulator):
    return emulator.mistral_client()


def _read_lines(mis, file_id: str | None) -> list[dict]:
    if not file_id:
        return []
    return [json.loads(x) for x in mis.files.download(file_id=file_id).read().decode().splitlines()]


def test_file_job_runs_queued_running_success_with_counts_and_an_output_file(emulator, mis):
    data = "\n".join(json.dumps(_line(i)) for i in range(6)).encode()
    up = mis.files.upload(file={"file_name": "input.jsonl", "content": data}, purpose="batch")
    assert isinstance(up, models.CreateFileResponse) and up.purpose == "batch"
    job = mis.batch.jobs.create(input_files=[up.id], endpoint="/v1/chat/completions", model=MODEL,
                                metadata={"team": "ops"}, timeout_hours=24)
    assert isinstance(job, models.BatchJob)
    assert job.status == "QUEUED" and job.total_requests == 6 and job.created_at == int(START)
    emulator.advance(300)
    mid = mis.batch.jobs.get(job_id=job.id)
    assert mid.status == "RUNNING" and mid.completed_requests <= 6
    emulator.advance(6 * 3600)
    done = mis.batch.jobs.get(job_id=job.id)
    assert done.status == "SUCCESS" and done.succeeded_requests == 6 and done.failed_requests == 0
    assert done.error_file is None and done.completed_at is not None
    rows = _read_lines(mis, done.output_file)
    assert sorted(r["custom_id"] for r in rows) == [f"req-{i}" for i in range(6)]
    body = rows[0]["response"]["body"]
    assert rows[0]["response"]["status_code"] == 200 and body["usage"]["prompt_tokens"] > 0


def test_failures_sit_in_the_output_file_too_and_each_custom_id_appears_once(emulator, mis):
    emulator.set_faults(error_rate=1.0, retryable_share=0.5)
    job = mis.batch.jobs.create(requests=[_line(i, model=MODEL) for i in range(20)], endpoint="/v1/chat/completions")
    emulator.advance(6 * 3600)
    done = mis.batch.jobs.get(job_id=job.id)
    assert done.status == "SUCCESS" and done.failed_requests == 20
    out, err = _read_lines(mis, done.output_file), _read_lines(mis, done.error_file)
    assert out and err  # the quirk: failures in both files
    assert all(r["response"]["status_code"] >= 400 for r in out)
    assert all(r["error"] is not None for r in err)
    ids = [r["custom_id"] for r in out + err]
    assert len(ids) == len(set(ids)) == 20


def test_inline_outputs_timeout_and_cancel(emulator, mis):
    job = mis.batch.jobs.create(requests=[_line(0, model=MODEL)], endpoint="/v1/chat/completions")
    emulator.advance(6 * 3600)
    got = mis.batch.jobs.get(job_id=job.id, inline=True)
    assert got.outputs and got.outputs[0]["custom_id"] == "req-0"
    slow = mis.batch.jobs.create(requests=[_line(i, model=MODEL) for i in range(3)], endpoint="/v1/chat/completions",
                                 timeout_hours=2, http_headers={"x-emulator-faults": "expire=1"})
    emulator.advance(2 * 3600 + 1)
    assert mis.batch.jobs.get(job_id=slow.id).status == "TIMEOUT_EXCEEDED"
    live = mis.batch.jobs.create(requests=[_line(i, model=MODEL) for i in range(3)], endpoint="/v1/chat/completions")
    emulator.advance(60)
    assert mis.batch.jobs.cancel(job_id=live.id).status == "CANCELLATION_REQUESTED"
    emulator.advance(3600)
    assert mis.batch.jobs.get(job_id=live.id).status == "CANCELLED"


def test_list_pages_by_page_and_filters_by_status(emulator, mis):
    ids = [mis.batch.jobs.create(requests=[_line(0, model=MODEL)], endpoint="/v1/chat/completions").id
           for _ in range(5)]
    page0 = mis.batch.jobs.list(page=0, page_size=2)
    page2 = mis.batch.jobs.list(page=2, page_size=2)
    assert isinstance(page0, models.ListBatchJobsResponse) and page0.total == 5
    assert [j.id for j in page0.data] == ids[::-1][:2] and [j.id for j in page2.data] == [ids[0]]
    emulator.advance(1)
    mis.batch.jobs.cancel(job_id=ids[0])
    assert [j.id for j in mis.batch.jobs.list(status=["CANCELLATION_REQUESTED"]).data] == [ids[0]]


def test_realtime_chat_and_errors(emulator, mis):
    answer = mis.chat.complete(model=MODEL, messages=[{"role": "user", "content": "Hello"}], max_tokens=50)
    assert isinstance(answer, models.ChatCompletionResponse)
    assert answer.choices[0].message.content and answer.usage.prompt_tokens > 0
    with pytest.raises(SDKError):
        mis.batch.jobs.get(job_id="00000000-0000-4000-a000-000000000000")
    with httpx.Client(base_url=emulator.base_url_mistral) as http:
        assert http.get("/v1/batch/jobs").status_code == 401
