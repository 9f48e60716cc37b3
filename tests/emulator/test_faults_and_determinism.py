"""Fault injection (per server and per batch) and determinism under a seed."""

from __future__ import annotations

import time

import anthropic
import httpx
import openai
import pytest

from adapters.emulator.testing import running_emulator
from tests.emulator.helpers import DAY, HOUR, START, anthropic_requests, chat_line, lines_of, openai_batch


def _outcomes(seed: int) -> tuple[list[str], tuple[int, int], list[str], list[tuple[str, str]]]:
    with running_emulator(seed=seed, start_time=START, faults={"error_rate": 0.25}) as emu:
        oai = emu.openai_client(max_retries=0)
        anth = emu.anthropic_client(max_retries=0)
        ob = openai_batch(oai, 200)
        ab = anth.messages.batches.create(requests=anthropic_requests(200))
        emu.advance(DAY - 60)
        ob = oai.batches.retrieve(ob.id)
        errored = sorted(x["custom_id"] for x in lines_of(oai.files.content(ob.error_file_id)))
        results = sorted((r.custom_id, r.result.type) for r in anth.messages.batches.results(ab.id))
        texts = sorted(x["response"]["body"]["choices"][0]["message"]["content"]
                       for x in lines_of(oai.files.content(ob.output_file_id)))
        return [ob.id, ab.id], (ob.request_counts.completed, ob.request_counts.failed), errored + texts, results


def test_the_same_seed_gives_the_same_ids_counts_and_outcomes():
    first, second = _outcomes(11), _outcomes(11)
    assert first == second
    ids, counts, _, results = first
    assert counts[0] + counts[1] == 200 and 20 < counts[1] < 80  # about a quarter errored
    assert 20 < sum(1 for _, t in results if t == "errored") < 80
    other = _outcomes(12)
    assert other[0] != ids and other[2] != first[2]


def test_outcomes_do_not_depend_on_the_order_requests_arrive_in(emulator, oai):
    emulator.set_faults(error_rate=0.3)
    forward = [chat_line(i) for i in range(50)]
    b1 = openai_batch(oai, lines=forward)
    emulator.reset()  # same batch sequence number again, requests reversed
    b2 = openai_batch(oai, lines=forward[::-1])
    assert b1.id == b2.id
    emulator.advance(DAY - 60)
    err = sorted(x["custom_id"] for x in lines_of(oai.files.content(oai.batches.retrieve(b2.id).error_file_id)))
    emulator.reset()
    b3 = openai_batch(oai, lines=forward)
    assert b3.id == b1.id
    emulator.advance(DAY - 60)
    err3 = sorted(x["custom_id"] for x in lines_of(oai.files.content(oai.batches.retrieve(b3.id).error_file_id)))
    assert err == err3 and err


def test_http_429_carries_retry_after_and_the_sdk_sees_it(emulator, oai, anth):
    emulator.set_faults(http_429_rate=1.0, retry_after=7)
    with pytest.raises(openai.RateLimitError) as info:
        oai.batches.list()
    assert info.value.response.headers["retry-after"] == "7"
    assert info.value.response.headers["retry-after-ms"] == "7000"
    with pytest.raises(anthropic.RateLimitError) as info2:
        anth.messages.batches.list()
    assert info2.value.response.headers["retry-after"] == "7"
    assert info2.value.body["error"]["type"] == "rate_limit_error"


def test_500_and_529_shares_of_calls(emulator, oai, anth):
    emulator.set_faults(http_500_rate=1.0)
    with pytest.raises(openai.InternalServerError):
        oai.batches.list()
    emulator.set_faults(http_500_rate=0.0, http_529_rate=1.0)
    with pytest.raises(anthropic.APIStatusError) as info:
        anth.messages.batches.list()
    assert info.value.status_code == 529 and info.value.body["error"]["type"] == "overloaded_error"
    with pytest.raises(openai.APIStatusError) as info2:
        oai.batches.list()
    assert info2.value.status_code == 503


def test_a_share_of_calls_fails_deterministically(emulator):
    emulator.set_faults(http_429_rate=0.3)
    url = f"{emulator.base_url}/v1/batches"
    with httpx.Client(headers={"authorization": "Bearer k"}) as c:
        codes = [c.get(url).status_code for _ in range(200)]
    assert set(codes) == {200, 429} and 40 < codes.count(429) < 80


def test_the_sdk_retries_through_an_injected_429(emulator):
    emulator.set_faults(http_429_rate=0.5, retry_after=0.01)
    client = emulator.openai_client(max_retries=10)
    for _ in range(10):
        client.batches.list()


def test_per_batch_http_faults_for_anthropic_via_admin(emulator, anth):
    b = anth.messages.batches.create(requests=anthropic_requests(2))
    other = anth.messages.batches.create(requests=anthropic_requests(2))
    emulator.batch_faults(b.id, http_429_rate=1.0)
    with pytest.raises(anthropic.RateLimitError):
        anth.messages.batches.retrieve(b.id)
    assert anth.messages.batches.retrieve(other.id).processing_status == "in_progress"


def test_per_batch_error_rate_for_anthropic_via_admin_and_header(emulator, anth):
    b = anth.messages.batches.create(requests=anthropic_requests(40))
    emulator.batch_faults(b.id, error_rate=1.0)
    h = anth.messages.batches.create(requests=anthropic_requests(40),
                                     extra_headers={"x-emulator-faults": "error_rate=1"})
    emulator.advance(DAY)
    for batch_id in (b.id, h.id):
        end = anth.messages.batches.retrieve(batch_id)
        assert end.request_counts.errored == 40
        kinds = {r.result.error.error.type for r in anth.messages.batches.results(batch_id)}
        assert kinds <= {"overloaded_error", "api_error", "timeout_error", "rate_limit_error", "invalid_request_error"}
        assert len(kinds) >= 2


def test_expiry_with_partial_output_openai(emulator, oai):
    b = openai_batch(oai, 100, metadata={"emulator_expire": "0.3"})
    emulator.advance(DAY - 1)
    assert oai.batches.retrieve(b.id).status == "in_progress"
    emulator.advance(2)
    end = oai.batches.retrieve(b.id)
    assert end.status == "expired" and end.expired_at == end.expires_at
    assert end.completed_at is None
    done = end.request_counts.completed
    assert 50 < done < 90 and end.request_counts.total == 100 and end.request_counts.failed == 0
    assert len(lines_of(oai.files.content(end.output_file_id))) == done
    errors = lines_of(oai.files.content(end.error_file_id))
    assert len(errors) == 100 - done
    assert {e["error"]["code"] for e in errors} == {"batch_expired"} and all(e["response"] is None for e in errors)


def test_expiry_with_partial_output_anthropic(emulator, anth):
    b = anth.messages.batches.create(requests=anthropic_requests(100),
                                     extra_headers={"x-emulator-faults": "expire=0.3"})
    emulator.advance(DAY - 1)
    assert anth.messages.batches.retrieve(b.id).processing_status == "in_progress"
    emulator.advance(2)
    end = anth.messages.batches.retrieve(b.id)
    assert end.processing_status == "ended" and end.ended_at == end.expires_at
    assert 10 < end.request_counts.expired < 50
    assert end.request_counts.succeeded + end.request_counts.expired == 100
    kinds = [r.result.type for r in anth.messages.batches.results(b.id)]
    assert kinds.count("expired") == end.request_counts.expired


def test_stuck_finalizing(emulator, oai):
    b = openai_batch(oai, 10, metadata={"emulator_stuck_finalizing": "true"})
    emulator.advance(6 * HOUR)
    stuck = oai.batches.retrieve(b.id)
    assert stuck.status == "finalizing" and stuck.request_counts.completed == 10
    assert stuck.output_file_id is None
    emulator.advance(12 * HOUR)
    assert oai.batches.retrieve(b.id).status == "completed"


def test_broken_download_openai_then_the_retry_works(emulator, oai):
    b = openai_batch(oai, 300, metadata={"emulator_broken_download": "0.5", "emulator_broken_download_times": "1"})
    emulator.advance(DAY - 60)
    b = oai.batches.retrieve(b.id)
    with pytest.raises(openai.APIConnectionError):
        oai.files.content(b.output_file_id)
    assert len(lines_of(oai.files.content(b.output_file_id))) == 300


def test_broken_download_anthropic_midway(emulator, anth):
    b = anth.messages.batches.create(requests=anthropic_requests(3000))
    emulator.batch_faults(b.id, broken_download=0.5)
    emulator.advance(DAY)
    got = 0
    with pytest.raises((httpx.HTTPError, anthropic.APIError, Exception)) as info:
        for _ in anth.messages.batches.results(b.id):
            got += 1
    assert 0 < got < 3000, info.value


def test_slow_responses(emulator, oai):
    emulator.set_faults(latency_ms=150)
    t = time.perf_counter()
    oai.batches.list()
    assert time.perf_counter() - t >= 0.15
