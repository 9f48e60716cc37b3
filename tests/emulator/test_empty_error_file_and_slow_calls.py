"""Two fault knobs through the official SDKs over a real socket: `empty_error_file_id` (the
OpenAI quirk of a clean batch reporting `error_file_id: ""`) and `slow_rate`/`slow_ms` (a
share of API calls delayed by `slow_ms` more).

Timing assertions only bound durations from below. Where a test needs to show that a call
is *not* slowed, `slow_ms` is ten minutes: a slowed call would then hit the client's 30 s
timeout and fail, while an unslowed one passes however loaded the machine is.
"""

from __future__ import annotations

import time

import openai
import pytest

from adapters.emulator.testing import running_emulator
from tests.emulator.helpers import DAY, START, anthropic_requests, chat_line, jsonl, lines_of, openai_batch

SLOW_MS = 200
EARLY = 0.005  # an asyncio timer may fire up to its clock's resolution early
AT_LEAST_SLOW = SLOW_MS / 1000 - EARLY
NEVER_MS = 600_000  # ten minutes: a call delayed by this cannot finish within TIMEOUT
TIMEOUT = 30.0


def _seconds(call, *args, **kwargs) -> float:
    t = time.perf_counter()
    call(*args, **kwargs)
    return time.perf_counter() - t


# --- empty_error_file_id ---------------------------------------------------------------------


def test_a_clean_batch_reports_an_empty_error_file_id_only_with_the_knob(emulator, oai):
    quirky = openai_batch(oai, 10, metadata={"emulator_empty_error_file_id": "true"})
    plain = openai_batch(oai, 10)
    assert quirky.error_file_id is None  # not terminal yet: no error file of either kind
    emulator.advance(DAY - 60)
    quirky, plain = oai.batches.retrieve(quirky.id), oai.batches.retrieve(plain.id)
    for b in (quirky, plain):
        assert b.status == "completed" and b.request_counts.completed == 10 and b.request_counts.failed == 0
        assert len(lines_of(oai.files.content(b.output_file_id))) == 10
    assert quirky.error_file_id == "" and plain.error_file_id is None
    # The empty string names no file: the listing holds only the two output files, and the SDK
    # refuses the id before sending anything (why a client must test truthiness, not None).
    listed = {f.id for f in oai.files.list(purpose="batch_output")}
    assert listed == {quirky.output_file_id, plain.output_file_id}
    with pytest.raises(ValueError, match="non-empty"):
        oai.files.content(quirky.error_file_id)


def test_the_knob_never_hides_a_real_error_file(emulator, oai):
    errored = openai_batch(oai, 40, metadata={"emulator_empty_error_file_id": "true", "emulator_error_rate": "0.5"})
    expired = openai_batch(oai, 40, metadata={"emulator_empty_error_file_id": "true", "emulator_expire": "0.3"})
    failed = openai_batch(oai, 10, metadata={"emulator_empty_error_file_id": "true", "emulator_token_limit": "true"})
    emulator.advance(DAY + 60)
    for batch_id, status in ((errored.id, "completed"), (expired.id, "expired")):
        b = oai.batches.retrieve(batch_id)
        assert b.status == status and b.error_file_id
        assert len(lines_of(oai.files.content(b.error_file_id))) == 40 - b.request_counts.completed > 0
    b = oai.batches.retrieve(failed.id)
    assert b.status == "failed" and b.error_file_id is None and b.output_file_id is None


def test_every_way_of_setting_the_knob(emulator, oai):
    before = openai_batch(oai, 5)
    by_header = openai_batch(oai, 5, extra_headers={"x-emulator-faults": "empty_error_file_id"})
    by_admin = openai_batch(oai, 5)
    emulator.batch_faults(by_admin.id, empty_error_file_id=True)
    emulator.set_faults(empty_error_file_id=True)  # server-wide: for batches created from now on
    after = openai_batch(oai, 5)
    emulator.advance(DAY - 60)
    got = {name: oai.batches.retrieve(b.id).error_file_id
           for name, b in {"before": before, "header": by_header, "admin": by_admin, "after": after}.items()}
    assert got == {"before": None, "header": "", "admin": "", "after": ""}


def test_a_bad_value_for_the_knob_is_a_400(oai):
    f = oai.files.create(file=("input.jsonl", jsonl([chat_line(i) for i in range(2)])), purpose="batch")
    with pytest.raises(openai.BadRequestError) as info:
        oai.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions", completion_window="24h",
                           metadata={"emulator_empty_error_file_id": "maybe"})
    assert info.value.body["param"] == "metadata" and "empty_error_file_id" in info.value.body["message"]


# --- slow_rate / slow_ms ---------------------------------------------------------------------


@pytest.fixture
def slow_emulator():
    """Server-wide slow_ms of ten minutes and the default slow_rate (0)."""
    with running_emulator(seed=7, start_time=START, faults={"slow_ms": NEVER_MS}) as emu:
        yield emu


@pytest.fixture
def clients(slow_emulator):
    oai = slow_emulator.openai_client(max_retries=0, timeout=TIMEOUT)
    anth = slow_emulator.anthropic_client(max_retries=0, timeout=TIMEOUT)
    yield oai, anth
    oai.close()
    anth.close()


def _calls(oai, anth):
    """One call of each kind the gate sees: batch APIs and realtime, both providers."""
    return [
        lambda: oai.batches.list(),
        lambda: oai.chat.completions.create(model="gpt-6-luna", messages=[{"role": "user", "content": "hi"}],
                                            max_tokens=20),
        lambda: anth.messages.batches.list(),
        lambda: anth.messages.create(model="claude-haiku-5-5", max_tokens=20,
                                     messages=[{"role": "user", "content": "hi"}]),
    ]


def test_with_slow_rate_0_no_call_is_slowed(slow_emulator, clients):
    assert slow_emulator.set_faults()["slow_rate"] == 0.0  # the default
    for call in _calls(*clients) * 3:
        call()  # a slowed call would wait NEVER_MS and fail with a timeout
    slow_emulator.set_faults(slow_rate=1.0, slow_ms=SLOW_MS)
    assert _seconds(clients[0].batches.list) >= AT_LEAST_SLOW
    slow_emulator.set_faults(slow_rate=0.0, slow_ms=NEVER_MS)  # off again: HTTP knobs are read live
    for call in _calls(*clients):
        call()


def test_with_slow_rate_1_every_call_takes_at_least_slow_ms(slow_emulator, clients):
    slow_emulator.set_faults(slow_rate=1.0, slow_ms=SLOW_MS)
    for call in _calls(*clients):
        assert _seconds(call) >= AT_LEAST_SLOW
    slow_emulator.set_faults(latency_ms=100)  # slow_ms comes on top of latency_ms
    assert _seconds(clients[0].batches.list) >= AT_LEAST_SLOW + 0.1


def test_a_share_of_calls_is_slowed(slow_emulator, clients):
    oai, _ = clients
    slow_emulator.set_faults(slow_rate=0.5, slow_ms=SLOW_MS)
    slowed = sum(_seconds(oai.batches.list) >= AT_LEAST_SLOW for _ in range(12))
    assert slowed >= 2  # which calls is a hash of (seed, call number): fixed for this test


def test_per_batch_slowness_openai(slow_emulator, clients):
    oai, _ = clients
    slow = openai_batch(oai, 5, metadata={"emulator_slow_rate": "1", "emulator_slow_ms": str(SLOW_MS)})
    other = openai_batch(oai, 5)
    slow_emulator.advance(DAY - 60)
    assert _seconds(oai.batches.retrieve, slow.id) >= AT_LEAST_SLOW
    output = oai.batches.retrieve(slow.id).output_file_id
    assert _seconds(oai.files.content, output) >= AT_LEAST_SLOW  # its files' downloads too
    # Other batches and the provider-wide routes keep the server's knobs (slow_rate 0).
    assert oai.batches.retrieve(other.id).status == "completed"
    oai.files.content(oai.batches.retrieve(other.id).output_file_id)
    oai.batches.list()


def test_per_batch_slowness_anthropic(slow_emulator, clients):
    _, anth = clients
    by_header = anth.messages.batches.create(requests=anthropic_requests(5),
                                             extra_headers={"x-emulator-faults": f"slow_rate=1,slow_ms={SLOW_MS}"})
    by_admin = anth.messages.batches.create(requests=anthropic_requests(5))
    slow_emulator.batch_faults(by_admin.id, slow_rate=1, slow_ms=SLOW_MS)
    other = anth.messages.batches.create(requests=anthropic_requests(5))
    slow_emulator.advance(DAY)
    for b in (by_header, by_admin):
        assert _seconds(anth.messages.batches.retrieve, b.id) >= AT_LEAST_SLOW
        # results() retrieves the batch for its results_url, then downloads: two slowed calls.
        assert _seconds(lambda b=b: list(anth.messages.batches.results(b.id))) >= 2 * AT_LEAST_SLOW
    assert anth.messages.batches.retrieve(other.id).processing_status == "ended"
    assert len(list(anth.messages.batches.results(other.id))) == 5
    anth.messages.batches.list()
