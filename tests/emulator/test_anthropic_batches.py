"""The Anthropic Message Batches API as the official SDK sees it."""

from __future__ import annotations

import math
import re

import anthropic
import httpx
import pytest
from anthropic.types.messages import MessageBatch

from tests.emulator.helpers import DAY, HOUR, START, anthropic_requests

RFC3339_MICRO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def raw_batch(emulator, batch_id):
    r = httpx.get(f"{emulator.base_url}/v1/messages/batches/{batch_id}", headers={"x-api-key": "k"})
    r.raise_for_status()
    return r.json()


def test_a_new_batch_is_in_progress_with_everything_counted_as_processing(emulator, anth):
    b = anth.messages.batches.create(requests=anthropic_requests(12))
    assert isinstance(b, MessageBatch)
    assert b.id.startswith("msgbatch_") and b.type == "message_batch"
    assert b.processing_status == "in_progress"
    assert b.request_counts.processing == 12
    assert (b.request_counts.succeeded, b.request_counts.errored, b.request_counts.canceled,
            b.request_counts.expired) == (0, 0, 0, 0)
    assert b.results_url is None and b.ended_at is None and b.cancel_initiated_at is None and b.archived_at is None
    assert b.created_at.timestamp() == START and (b.expires_at - b.created_at).total_seconds() == DAY
    raw = raw_batch(emulator, b.id)
    assert RFC3339_MICRO_Z.match(raw["created_at"]) and RFC3339_MICRO_Z.match(raw["expires_at"])
    assert set(raw) == {"id", "type", "processing_status", "request_counts", "ended_at", "created_at",
                        "expires_at", "archived_at", "cancel_initiated_at", "results_url"}


def test_counts_stay_processing_until_the_whole_batch_ends(emulator, anth):
    b = anth.messages.batches.create(requests=anthropic_requests(30))
    seen = []
    for _ in range(400):
        cur = anth.messages.batches.retrieve(b.id)
        seen.append(cur)
        if cur.processing_status == "ended":
            break
        emulator.advance(10)
    for cur in seen[:-1]:
        assert cur.processing_status == "in_progress"
        assert cur.request_counts.processing == 30 and cur.request_counts.succeeded == 0
    end = seen[-1]
    assert end.processing_status == "ended" and end.request_counts.succeeded == 30
    assert end.request_counts.processing == 0
    assert end.ended_at is not None and end.results_url is not None
    assert RFC3339_MICRO_Z.match(raw_batch(emulator, b.id)["ended_at"])


def test_results_are_jsonl_at_an_absolute_url_on_the_emulator_with_usage_from_the_request(emulator, anth):
    reqs = anthropic_requests(3)
    reqs[1]["params"]["messages"][0]["content"] = "Explain the attached report in detail. " * 50
    reqs[2]["params"]["max_tokens"] = 5  # below the shortest answer (8 tokens): always cut
    b = anth.messages.batches.create(requests=reqs)
    emulator.advance(DAY - 60)
    b = anth.messages.batches.retrieve(b.id)
    assert b.results_url == f"{emulator.base_url}/v1/messages/batches/{b.id}/results"
    r = httpx.get(b.results_url, headers={"x-api-key": "k"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-jsonl"
    results = {x.custom_id: x.result for x in anth.messages.batches.results(b.id)}
    assert set(results) == {"item-0", "item-1", "item-2"}
    for res in results.values():
        assert res.type == "succeeded"
        msg = res.message
        assert msg.id.startswith("msg_") and msg.role == "assistant" and msg.model == "claude-haiku-5-5"
        text = msg.content[0].text
        assert msg.usage.output_tokens == math.ceil(len(text) / 4)
        assert msg.usage.service_tier == "batch"
    assert results["item-1"].message.usage.input_tokens > results["item-0"].message.usage.input_tokens + 400
    assert results["item-2"].message.usage.output_tokens <= 5
    assert results["item-2"].message.stop_reason == "max_tokens"


def test_list_pages_with_after_id_and_before_id(anth):
    ids = [anth.messages.batches.create(requests=anthropic_requests(1)).id for _ in range(5)]
    newest_first = ids[::-1]
    page = anth.messages.batches.list(limit=2)
    assert [b.id for b in page.data] == newest_first[:2] and page.has_more
    assert page.first_id == newest_first[0] and page.last_id == newest_first[1]
    nxt = anth.messages.batches.list(limit=2, after_id=page.last_id)
    assert [b.id for b in nxt.data] == newest_first[2:4] and nxt.has_more
    tail = anth.messages.batches.list(limit=2, after_id=nxt.last_id)
    assert [b.id for b in tail.data] == newest_first[4:] and tail.has_more is False
    back = anth.messages.batches.list(limit=2, before_id=newest_first[4])
    assert [b.id for b in back.data] == newest_first[2:4] and back.has_more
    assert [b.id for b in anth.messages.batches.list(limit=2)] == newest_first  # auto-paging forward
    # auto-paging backwards: each page is the `limit` batches just newer than the cursor
    backwards = [b.id for b in anth.messages.batches.list(limit=2, before_id=newest_first[4])]
    assert backwards == newest_first[2:4] + newest_first[0:2]


def test_cancel_goes_through_canceling_to_ended_with_canceled_items(emulator, anth):
    b = anth.messages.batches.create(requests=anthropic_requests(50))
    emulator.advance(300)
    c = anth.messages.batches.cancel(b.id)
    assert c.processing_status == "canceling" and c.cancel_initiated_at is not None
    assert c.request_counts.processing == 50
    with pytest.raises(anthropic.BadRequestError):
        anth.messages.batches.delete(b.id)  # not before processing ended
    emulator.advance(HOUR)
    end = anth.messages.batches.retrieve(b.id)
    assert end.processing_status == "ended" and end.ended_at >= end.cancel_initiated_at
    counts = end.request_counts
    assert counts.canceled > 0 and counts.succeeded > 0
    assert counts.succeeded + counts.errored + counts.canceled + counts.expired == 50
    kinds = [r.result.type for r in anth.messages.batches.results(b.id)]
    assert kinds.count("canceled") == counts.canceled and kinds.count("succeeded") == counts.succeeded
    with pytest.raises(anthropic.BadRequestError):
        anth.messages.batches.cancel(b.id)


def test_delete_only_after_ended_then_the_batch_is_gone(emulator, anth):
    b = anth.messages.batches.create(requests=anthropic_requests(2))
    with pytest.raises(anthropic.BadRequestError):
        anth.messages.batches.delete(b.id)
    emulator.advance(DAY)
    gone = anth.messages.batches.delete(b.id)
    assert gone.id == b.id and gone.type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        anth.messages.batches.retrieve(b.id)
    assert b.id not in [x.id for x in anth.messages.batches.list()]


def test_results_are_archived_after_29_days(emulator, anth):
    b = anth.messages.batches.create(requests=anthropic_requests(1))
    emulator.advance(29 * DAY)
    b = anth.messages.batches.retrieve(b.id)
    assert b.archived_at is not None
    with pytest.raises(anthropic.NotFoundError):
        list(anth.messages.batches.results(b.id))


def test_create_refuses_bad_input_outright(emulator, anth):
    dup = anthropic_requests(2)
    dup[1]["custom_id"] = dup[0]["custom_id"]
    with pytest.raises(anthropic.BadRequestError, match="custom_id"):
        anth.messages.batches.create(requests=dup)
    with pytest.raises(anthropic.BadRequestError):
        anth.messages.batches.create(requests=[])
    bad_id = anthropic_requests(1)
    bad_id[0]["custom_id"] = "has spaces!"
    with pytest.raises(anthropic.BadRequestError):
        anth.messages.batches.create(requests=bad_id)
    emulator.set_faults(max_requests=3)
    with pytest.raises(anthropic.BadRequestError):
        anth.messages.batches.create(requests=anthropic_requests(4))
    emulator.set_faults(max_requests=None, max_bytes=500)
    with pytest.raises(anthropic.APIStatusError) as info:
        anth.messages.batches.create(requests=anthropic_requests(10))
    assert info.value.status_code == 413


def test_bad_params_become_errored_items(emulator, anth):
    reqs = anthropic_requests(3)
    reqs[1]["params"]["max_tokens"] = 0
    del reqs[2]["params"]["messages"]
    b = anth.messages.batches.create(requests=reqs)
    emulator.advance(DAY)
    results = {r.custom_id: r.result for r in anth.messages.batches.results(b.id)}
    assert results["item-0"].type == "succeeded"
    for cid in ("item-1", "item-2"):
        assert results[cid].type == "errored"
        assert results[cid].error.error.type == "invalid_request_error"


def test_both_auth_styles_are_accepted_and_a_missing_key_is_401(emulator):
    url = f"{emulator.base_url}/v1/messages/batches"
    assert httpx.get(url, headers={"x-api-key": "k"}).status_code == 200
    assert httpx.get(url, headers={"authorization": "Bearer k"}).status_code == 200
    r = httpx.get(url)
    assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"
    assert r.json()["type"] == "error"


def test_beta_query_flag_is_accepted_and_echoed_on_results_url(emulator, anth):
    b = anth.messages.batches.create(requests=anthropic_requests(1))
    emulator.advance(DAY)
    r = httpx.get(f"{emulator.base_url}/v1/messages/batches/{b.id}?beta=true", headers={"x-api-key": "k"})
    url = r.json()["results_url"]
    assert url.endswith("/results?beta=true")
    assert httpx.get(url, headers={"x-api-key": "k"}).status_code == 200
    beta = anth.beta.messages.batches.retrieve(b.id)
    assert beta.processing_status == "ended"


def test_a_50000_request_create_is_handled(emulator):
    # Sent raw (the SDK's own per-request transform would dominate the time).
    import json

    body = json.dumps({"requests": anthropic_requests(50_000)})
    r = httpx.post(f"{emulator.base_url}/v1/messages/batches", content=body,
                   headers={"x-api-key": "k", "content-type": "application/json"}, timeout=60)
    assert r.status_code == 200 and r.json()["request_counts"]["processing"] == 50_000
    emulator.advance(DAY)
    got = httpx.get(f"{emulator.base_url}/v1/messages/batches/{r.json()['id']}", headers={"x-api-key": "k"}).json()
    assert got["processing_status"] == "ended" and got["request_counts"]["succeeded"] == 50_000
