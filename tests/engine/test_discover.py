"""Account watch: batches another client created appear on the next sync pass, named; listing
stops at what the store knows; 429 storms on the list endpoints are waited out (bounded)."""

from __future__ import annotations

import io
import json

import pytest

from store.model import BatchStatus
from tests.engine.conftest import make_engine


def other_client_openai_batch(emulator, n: int = 3, metadata: dict | None = None) -> str:
    """A batch created through the OpenAI SDK directly, as a pipeline would (not batchdeck)."""
    client = emulator.openai_client(max_retries=0)
    lines = "".join(json.dumps({"custom_id": f"p-{i}", "method": "POST", "url": "/v1/chat/completions",
                                "body": {"model": "gpt-6-luna", "max_tokens": 16,
                                         "messages": [{"role": "user", "content": f"q{i}"}]}}) + "\n"
                    for i in range(n))
    uploaded = client.files.create(file=("in.jsonl", io.BytesIO(lines.encode())), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                  completion_window="24h", metadata=metadata)
    return batch.id


def other_client_anthropic_batch(emulator, n: int = 2) -> str:
    client = emulator.anthropic_client(max_retries=0)
    batch = client.messages.batches.create(requests=[
        {"custom_id": f"a-{i}", "params": {"model": "claude-haiku-5-5", "max_tokens": 16,
                                           "messages": [{"role": "user", "content": "hi"}]}} for i in range(n)])
    return batch.id


@pytest.fixture
def keys(monkeypatch):
    """Keys in the environment alone: the implicit `default` profiles are watched."""
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")


async def test_sync_once_on_an_empty_store_shows_batches_another_client_created(engine, store, emulator, keys):
    openai_id = other_client_openai_batch(emulator, metadata={"job": "nightly-embeddings"})
    anthropic_id = other_client_anthropic_batch(emulator)
    report = await engine.sync_once()
    assert len(report.discovered) == 2 and report.account_errors == {}
    mine = store.get_batch(openai_id)
    assert mine.tracked and mine.label == "nightly-embeddings" and mine.profile == "default"
    assert store.get_batch(anthropic_id).tracked
    # Discovered batches are polled like any other; once ended their results are ingested.
    emulator.advance(6 * 3600)
    later = await engine.sync_once()
    assert store.get_batch(openai_id).status == BatchStatus.COMPLETED
    assert set(later.ingested) == {mine.id, store.get_batch(anthropic_id).id}
    health = {(h.provider, h.profile): h for h in store.profile_health()}
    assert health[("openai", "default")].last_success_at is not None
    assert health[("openai", "default")].failing_since is None


async def test_listing_stops_at_the_newest_known_batch_and_pages_as_the_provider_pages(
        engine, store, emulator, keys, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    for _ in range(120):  # OpenAI pages hold 100 batches
        other_client_openai_batch(emulator, n=1)
        emulator.advance(1)
    first = await engine.sync_once()
    assert (len(first.discovered), first.list_calls) == (120, 2)
    again = await engine.sync_once()
    assert (again.discovered, again.list_calls) == ([], 1)
    emulator.advance(10)
    fresh = other_client_openai_batch(emulator, n=1)
    third = await engine.sync_once()
    assert third.list_calls == 1 and [store.get_batch(fresh).id] == third.discovered


async def test_our_own_submissions_are_not_discovered_twice(engine, store, emulator, keys, tmp_path):
    from tests.engine.conftest import openai_lines, write_jsonl

    result = await engine.submit(write_jsonl(tmp_path / "in.jsonl", openai_lines(3)), provider="openai")
    report = await engine.sync_once()
    assert report.discovered == []
    assert len(store.list_batches()) == 1 and not store.get_batch(result.batch_ids[0]).tracked


async def test_discovery_waits_out_a_429_storm_on_the_list_endpoints(engine, store, emulator, keys, sleep):
    other_client_openai_batch(emulator)
    other_client_anthropic_batch(emulator)
    emulator.set_faults(list_429_rate=0.5, retry_after=2)
    report = await engine.sync_once()
    assert len(report.discovered) == 2 and report.account_errors == {}
    assert 2.0 in sleep.waits  # refused pages were retried after the provider's retry-after


async def test_a_storm_that_outlasts_the_retries_fails_that_account_only_and_the_next_pass_recovers(
        engine, store, emulator, keys, sleep):
    openai_id = other_client_openai_batch(emulator)
    emulator.set_faults(list_429_rate=1.0, retry_after=1)
    report = await engine.sync_once()
    assert report.discovered == [] and set(report.account_errors) == {"openai:default", "anthropic:default"}
    assert "429" in report.account_errors["openai:default"] or "rate" in report.account_errors["openai:default"].lower()
    assert sleep.waits and len(sleep.waits) <= 2 * (engine.poll_policy.attempts - 1)  # bounded
    failing = {h.provider: h for h in store.profile_health()}
    assert failing["openai"].failing_since is not None and failing["openai"].last_error
    emulator.set_faults(list_429_rate=0.0)
    report = await engine.sync_once()
    assert report.account_errors == {} and store.get_batch(openai_id) is not None
    assert {h.provider: h.failing_since for h in store.profile_health()}["openai"] is None


async def test_track_all_survives_a_429_storm_on_the_list_endpoint(engine, store, emulator, sleep):
    ids = [other_client_openai_batch(emulator) for _ in range(3)]
    emulator.set_faults(list_429_calls=3, retry_after=1)  # the 4th attempt gets through
    result = await engine.track("openai", all=True)
    assert len(result.created) == 3 and sleep.waits == [1.0, 1.0, 1.0]
    assert {store.get_batch(i).provider_batch_id for i in result.created} == set(ids)
    again = await engine.track("openai", all=True)
    assert again.created == [] and sorted(again.existing) == sorted(result.created)


async def test_watch_false_and_no_discover_skip_the_listing(store, emulator, keys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    other_client_openai_batch(emulator)
    config = {"profiles": {"prod": {"provider": "openai", "api_key": "k", "watch": False},
                           "night": {"provider": "openai", "api_key": "k"}}}
    engine = make_engine(store, emulator)
    engine.config = config
    try:
        skipped = await engine.sync_once(discover=False)
        assert skipped.list_calls == 0 and skipped.discovered == []
        report = await engine.sync_once()
        assert report.list_calls == 1 and len(report.discovered) == 1  # `night` only
        assert store.get_batch(report.discovered[0]).profile == "night"
    finally:
        await engine.aclose()


async def test_batches_created_in_the_same_second_still_stop_at_the_top_of_the_last_listing(
        engine, store, emulator, keys, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    for _ in range(105):  # the emulator's clock is frozen: every batch shares one created_at
        other_client_openai_batch(emulator, n=1)
    first = await engine.sync_once()
    assert (len(first.discovered), first.list_calls) == (105, 2)
    fresh = other_client_openai_batch(emulator, n=1)
    second = await engine.sync_once()
    assert (second.discovered, second.list_calls) == ([store.get_batch(fresh).id], 1)


async def test_reconciling_a_pending_submission_waits_out_a_429_storm_on_the_list(engine, store, emulator, sleep):
    import json as _json

    from adapters.base import BatchRequest
    from console.engine import submit
    from tests.engine.conftest import anthropic_lines

    adapter = engine.adapter("anthropic")
    items = [(r["custom_id"], _json.dumps(r["params"])) for r in anthropic_lines(4)]
    batch_id, _ = submit.record(engine, provider="anthropic", profile=None, endpoint="/v1/messages", model=None,
                                label=None, deadline=None, job_id="j1", parent_id=None, items=items)
    ours = await adapter.create_batch([BatchRequest(c, _json.loads(b)) for c, b in items],
                                      endpoint="/v1/messages", model=None, metadata={})
    emulator.set_faults(list_429_calls=2, retry_after=1)
    assert await engine.reconcile_intents() == [batch_id]
    assert store.get_batch(batch_id).provider_batch_id == ours.provider_batch_id and sleep.waits == [1.0, 1.0]
