"""The OpenAI Batch API as the official SDK sees it: lifecycle, objects, results, paging, cancel."""

from __future__ import annotations

import math

import openai
import pytest
from openai.types import Batch
from openai.types.chat import ChatCompletion
from openai.types.responses import Response as ResponsesResponse

from tests.emulator.helpers import DAY, HOUR, START, chat_line, lines_of, openai_batch


def run_to_end(emulator, oai, batch_id, step=5.0, limit=3 * DAY):
    """Advance the clock in steps, retrieving each time; return every status/count seen."""
    seen = []
    waited = 0.0
    while waited < limit:
        b = oai.batches.retrieve(batch_id)
        seen.append((b.status, b.request_counts.completed, b.request_counts.failed))
        if b.status in ("completed", "failed", "expired", "cancelled"):
            return b, seen
        emulator.advance(step)
        waited += step
    raise AssertionError(f"batch never ended: {seen[-3:]}")


def test_a_new_batch_is_validating_with_no_counts_yet(oai):
    b = openai_batch(oai, 20, metadata={"job": "nightly"})
    assert isinstance(b, Batch)
    assert b.id.startswith("batch_") and b.object == "batch"
    assert b.status == "validating"
    assert b.endpoint == "/v1/chat/completions" and b.model == "gpt-6-luna"
    assert b.completion_window == "24h"
    assert b.created_at == int(START) and b.expires_at == b.created_at + DAY
    assert b.in_progress_at is None and b.output_file_id is None and b.error_file_id is None
    assert b.request_counts.total == 0 and b.usage is None
    assert b.metadata == {"job": "nightly"}


def test_batch_moves_through_in_progress_and_finalizing_to_completed_with_growing_counts(emulator, oai):
    b = openai_batch(oai, 40, metadata={"job": "curve"})
    final, seen = run_to_end(emulator, oai, b.id)
    statuses = [s for s, _, _ in seen]
    assert statuses[0] == "validating"
    assert "in_progress" in statuses and "finalizing" in statuses
    assert statuses.index("in_progress") < statuses.index("finalizing") < statuses.index("completed")
    done = [c for s, c, _ in seen if s == "in_progress"]
    assert done == sorted(done), "counts only grow"
    assert any(0 < c < 40 for c in done), "items finish over time, not all at once"
    # every field the reference names is filled in on a completed batch
    assert final.status == "completed"
    for name in ("id", "object", "endpoint", "model", "input_file_id", "completion_window", "output_file_id",
                 "created_at", "in_progress_at", "expires_at", "finalizing_at", "completed_at", "request_counts",
                 "usage", "metadata"):
        assert getattr(final, name) is not None, name
    assert final.error_file_id is None and final.errors is None
    assert final.failed_at is final.expired_at is final.cancelling_at is final.cancelled_at is None
    assert final.created_at <= final.in_progress_at <= final.finalizing_at <= final.completed_at < final.expires_at
    assert all(isinstance(getattr(final, n), int) for n in ("created_at", "in_progress_at", "completed_at"))
    assert (final.request_counts.total, final.request_counts.completed, final.request_counts.failed) == (40, 40, 0)


def test_output_file_holds_chat_completions_whose_usage_follows_the_request(emulator, oai):
    short, long = "Hi.", "Please summarize the following report in detail. " * 40
    lines = [chat_line(0, prompt=short), chat_line(1, prompt=long), chat_line(2, prompt=short, max_tokens=5)]
    b = openai_batch(oai, lines=lines)
    final, _ = run_to_end(emulator, oai, b.id, step=60)
    out = lines_of(oai.files.content(final.output_file_id))
    assert len(out) == 3
    by_id = {}
    for line in out:
        assert line["id"].startswith("batch_req_") and line["error"] is None
        assert line["response"]["status_code"] == 200 and line["response"]["request_id"].startswith("req_")
        body = ChatCompletion.model_validate(line["response"]["body"])
        text = body.choices[0].message.content
        assert text and len(text.split()) >= 2
        assert body.usage.completion_tokens == math.ceil(len(text) / 4)
        assert body.usage.total_tokens == body.usage.prompt_tokens + body.usage.completion_tokens
        by_id[line["custom_id"]] = body
    assert by_id["req-1"].usage.prompt_tokens > by_id["req-0"].usage.prompt_tokens + 400
    assert by_id["req-2"].usage.completion_tokens <= 5
    assert by_id["req-2"].choices[0].finish_reason == "length"
    # the batch usage is the sum of its lines
    assert final.usage.input_tokens == sum(x.usage.prompt_tokens for x in by_id.values())
    assert final.usage.output_tokens == sum(x.usage.completion_tokens for x in by_id.values())
    assert final.usage.total_tokens == final.usage.input_tokens + final.usage.output_tokens


def test_responses_and_embeddings_batches_produce_their_endpoint_bodies(emulator, oai):
    resp_lines = [{"custom_id": f"r{i}", "method": "POST", "url": "/v1/responses",
                   "body": {"model": "gpt-6-luna", "input": f"Write a haiku about {i}", "max_output_tokens": 200}}
                  for i in range(3)]
    rb = openai_batch(oai, lines=resp_lines, endpoint="/v1/responses")
    emb_lines = [{"custom_id": f"e{i}", "method": "POST", "url": "/v1/embeddings",
                  "body": {"model": "text-embedding-3-small", "input": ["alpha beta", "gamma"], "dimensions": 8}}
                 for i in range(3)]
    eb = openai_batch(oai, lines=emb_lines, endpoint="/v1/embeddings")
    emulator.advance(DAY - 60)
    rb, eb = oai.batches.retrieve(rb.id), oai.batches.retrieve(eb.id)
    assert rb.status == eb.status == "completed"
    for line in lines_of(oai.files.content(rb.output_file_id)):
        body = ResponsesResponse.model_validate(line["response"]["body"])
        assert body.output_text and body.usage.output_tokens >= 1
    for line in lines_of(oai.files.content(eb.output_file_id)):
        body = line["response"]["body"]
        assert body["object"] == "list" and len(body["data"]) == 2
        assert len(body["data"][0]["embedding"]) == 8
        assert body["usage"]["prompt_tokens"] == body["usage"]["total_tokens"] > 0


def test_error_file_uses_both_openai_error_line_shapes(emulator, oai):
    b = openai_batch(oai, 120, metadata={"emulator_error_rate": "0.5", "emulator_retryable_share": "0.6"})
    final, _ = run_to_end(emulator, oai, b.id, step=120)
    assert final.status == "completed"
    errors = lines_of(oai.files.content(final.error_file_id))
    assert len(errors) == final.request_counts.failed > 0
    http_shape = [e for e in errors if e["error"] is None]
    plain_shape = [e for e in errors if e["response"] is None]
    assert http_shape and plain_shape and len(http_shape) + len(plain_shape) == len(errors)
    for e in http_shape:
        assert e["response"]["status_code"] in (400, 429, 500)
        assert set(e["response"]["body"]["error"]) == {"message", "type", "param", "code"}
    assert {e["error"]["code"] for e in plain_shape} == {"request_timeout"}
    out = lines_of(oai.files.content(final.output_file_id))
    assert len(out) == final.request_counts.completed == 120 - len(errors)
    assert {x["custom_id"] for x in out} | {x["custom_id"] for x in errors} == {f"req-{i}" for i in range(120)}


def test_a_batch_whose_items_all_failed_ends_completed_without_an_output_file(emulator, oai):
    b = openai_batch(oai, 10, metadata={"emulator_error_rate": "1"})
    final, _ = run_to_end(emulator, oai, b.id, step=120)
    assert final.status == "completed"
    assert final.output_file_id is None and final.error_file_id
    assert (final.request_counts.completed, final.request_counts.failed) == (0, 10)
    assert len(lines_of(oai.files.content(final.error_file_id))) == 10


def test_malformed_requests_fail_one_by_one_as_bad_requests(emulator, oai):
    lines = [chat_line(0), {"custom_id": "no-messages", "method": "POST", "url": "/v1/chat/completions",
                            "body": {"model": "gpt-6-luna"}},
             chat_line(2, stream=True)]
    b = openai_batch(oai, lines=lines)
    final, _ = run_to_end(emulator, oai, b.id, step=120)
    errors = {e["custom_id"]: e for e in lines_of(oai.files.content(final.error_file_id))}
    assert set(errors) == {"no-messages", "req-2"}
    assert errors["no-messages"]["response"]["status_code"] == 400
    assert errors["no-messages"]["response"]["body"]["error"]["param"] == "messages"


def test_list_pages_newest_first_with_cursor_and_never_an_empty_page_with_more(oai):
    ids = [openai_batch(oai, 2).id for _ in range(7)]
    page = oai.batches.list(limit=3)
    assert [b.id for b in page.data] == ids[::-1][:3]
    assert page.has_more is True
    assert page.first_id == ids[-1] and page.last_id == ids[-3]
    second = oai.batches.list(limit=3, after=page.last_id)
    assert [b.id for b in second.data] == ids[::-1][3:6] and second.has_more is True
    last = oai.batches.list(limit=3, after=second.last_id)
    assert [b.id for b in last.data] == [ids[0]] and last.has_more is False
    # auto-paging walks everything exactly once
    assert [b.id for b in oai.batches.list(limit=2)] == ids[::-1]
    # exact fit: the final page says has_more false, so no empty page follows
    fit = oai.batches.list(limit=7)
    assert len(fit.data) == 7 and fit.has_more is False
    with pytest.raises(openai.BadRequestError):
        oai.batches.list(limit=101)


def test_cancel_goes_through_cancelling_to_cancelled_keeping_finished_work(emulator, oai):
    b = openai_batch(oai, 60)
    emulator.advance(20 + 300)  # validating is over; some items are done
    mid = oai.batches.retrieve(b.id)
    assert mid.status == "in_progress" and 0 < mid.request_counts.completed < 60
    c = oai.batches.cancel(b.id)
    assert c.status == "cancelling" and c.cancelling_at is not None
    assert oai.batches.cancel(b.id).status == "cancelling"  # idempotent while cancelling
    emulator.advance(700)
    done = oai.batches.retrieve(b.id)
    assert done.status == "cancelled"
    assert done.cancelling_at <= done.cancelled_at and done.completed_at is None
    finished = done.request_counts.completed
    assert finished >= mid.request_counts.completed and finished < 60
    assert len(lines_of(oai.files.content(done.output_file_id))) == finished
    errors = lines_of(oai.files.content(done.error_file_id))
    assert len(errors) == 60 - finished
    assert {e["error"]["code"] for e in errors} == {"batch_cancelled"}
    with pytest.raises(openai.BadRequestError):
        oai.batches.cancel(b.id)


def test_a_validating_batch_can_be_cancelled_before_any_work(emulator, oai):
    b = openai_batch(oai, 5)
    assert oai.batches.cancel(b.id).status == "cancelling"
    emulator.advance(HOUR)
    done = oai.batches.retrieve(b.id)
    assert done.status == "cancelled" and done.in_progress_at is None
    assert done.output_file_id is None and done.request_counts.completed == 0


def test_unknown_batch_is_a_404(oai):
    with pytest.raises(openai.NotFoundError):
        oai.batches.retrieve("batch_does_not_exist")
    with pytest.raises(openai.NotFoundError):
        oai.batches.create(input_file_id="file-nope", endpoint="/v1/chat/completions", completion_window="24h")


def test_create_checks_its_parameters(oai):
    f = oai.files.create(file=("in.jsonl", b'{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{}}'),
                         purpose="batch")
    with pytest.raises(openai.BadRequestError):
        oai.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions", completion_window="48h")
    with pytest.raises(openai.BadRequestError):
        oai.batches.create(input_file_id=f.id, endpoint="/v1/images/edits", completion_window="24h")
    with pytest.raises(openai.BadRequestError):
        oai.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions", completion_window="24h",
                           metadata={f"k{i}": "v" for i in range(17)})
