"""Submitting a JSONL file: validation of every line, format mapping, splitting, audit."""

from __future__ import annotations

import dataclasses
import json

import pytest

from adapters import registry
from console.engine.types import InvalidFile
from store.model import BatchStatus
from tests.engine.conftest import anthropic_lines, openai_lines, write_jsonl


async def test_every_bad_line_is_reported_by_number_and_nothing_is_sent(engine, store, emulator, tmp_path):
    good = openai_lines(3)
    huge = {"custom_id": "huge", "body": {"model": "gpt-6-luna",
                                          "messages": [{"role": "user", "content": "x" * 10_000_001}]}}
    lines = [
        good[0],
        "{not json",
        {"body": good[1]["body"]},                       # no custom_id
        good[1],
        {**good[2], "custom_id": "req-1"},               # duplicate of line 4
        {"custom_id": "no-messages", "body": {"model": "gpt-6-luna"}},
        huge,
    ]
    path = write_jsonl(tmp_path / "bad.jsonl", lines)
    with pytest.raises(InvalidFile) as info:
        await engine.submit(path, provider="openai")
    problems = {p.line: p.message for p in info.value.problems}
    assert sorted(problems) == [2, 3, 5, 6, 7]
    assert problems[2].startswith("bad JSON")
    assert problems[3] == "missing custom_id"
    assert "duplicate custom_id 'req-1' (first on line 4)" in problems[5]
    assert "lacks messages" in problems[6]
    assert "over the 10,000,000-byte limit" in problems[7]
    assert info.value.exit_code == 2
    assert store.list_batches() == []
    assert emulator.state()["batches"] == [] or len(emulator.state()["batches"]) == 0


async def test_openai_batch_lines_are_mapped_for_anthropic(engine, store, tmp_path):
    rows = [{"custom_id": "a1", "method": "POST", "url": "/v1/chat/completions",
             "body": {"model": "claude-haiku-5-5", "max_tokens": 50,
                      "messages": [{"role": "system", "content": "Be brief."},
                                   {"role": "user", "content": "Hello"}]}}]
    path = write_jsonl(tmp_path / "oa.jsonl", rows)
    result = await engine.submit(path, provider="anthropic")
    item = store.find_items(result.batch_ids[0], ["a1"])[0]
    assert json.loads(item.request) == {"model": "claude-haiku-5-5", "max_tokens": 50,
                                        "messages": [{"role": "user", "content": "Hello"}],
                                        "system": "Be brief."}


async def test_unmappable_lines_are_refused_with_the_reason(engine, tmp_path):
    rows = [{"custom_id": "e1", "method": "POST", "url": "/v1/embeddings",
             "body": {"model": "text-embedding-3-small", "input": "hi"}}]
    with pytest.raises(InvalidFile) as info:
        await engine.submit(write_jsonl(tmp_path / "e.jsonl", rows), provider="anthropic")
    assert "/v1/embeddings has no Anthropic equivalent" in info.value.problems[0].message


async def test_a_job_over_the_request_limit_is_split_under_one_job_id(engine, store, emulator, tmp_path, monkeypatch):
    spec = registry.get("openai")
    small = dataclasses.replace(spec.capabilities, max_requests=10)
    monkeypatch.setitem(registry._all(), "openai", dataclasses.replace(spec, capabilities=small))
    path = write_jsonl(tmp_path / "big.jsonl", openai_lines(25))
    result = await engine.submit(path, provider="openai", label="nightly", deadline=1_900_000_000.0)
    assert len(result.batch_ids) == 3
    batches = [store.get_batch(i) for i in result.batch_ids]
    assert [b.counts.total for b in batches] == [10, 10, 5]
    assert {b.job_id for b in batches} == {result.job_id}
    assert all(b.label == "nightly" and b.deadline == 1_900_000_000.0 for b in batches)
    assert all(b.provider_batch_id for b in batches)
    assert len(emulator.state()["batches"]) == 3
    # items keep file order across the split
    assert [i.custom_id for i in store.page_items(batches[2].id, offset=0, limit=10)] == [
        f"req-{i}" for i in range(20, 25)]


async def test_openai_batches_are_split_by_model_and_tagged_with_our_token(engine, store, emulator, tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", openai_lines(3, "gpt-6-luna", "a") + openai_lines(2, "gpt-6-sol", "b"))
    result = await engine.submit(path, provider="openai")
    batches = [store.get_batch(i) for i in result.batch_ids]
    assert sorted((b.model, b.counts.total) for b in batches) == [("gpt-6-luna", 3), ("gpt-6-sol", 2)]
    client = emulator.openai_client()
    remote = client.batches.retrieve(batches[0].provider_batch_id)
    assert remote.metadata["batchdeck_token"] == batches[0].submit_token
    assert remote.metadata["batchdeck_batch"] == str(batches[0].id)


async def test_submit_is_audited_with_the_operator(engine, store, tmp_path):
    await engine.submit(write_jsonl(tmp_path / "a.jsonl", anthropic_lines(4)), provider="anthropic")
    events = store.events(action="submit")
    assert len(events) == 1
    assert events[0].actor == "tester@host"
    assert events[0].details["requests"] == 4
    assert events[0].details["provider_batch_id"].startswith("msgbatch_")


async def test_submit_shows_what_it_would_send_and_cost_and_sends_nothing_if_declined(
        engine, store, emulator, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", openai_lines(6))
    shown = []
    calls = emulator.state()["calls"]
    declined = await engine.submit(path, provider="openai", approve=lambda p: shown.append(p) or False)
    [preview] = shown
    assert (preview.requests, preview.batches, preview.provider) == (6, 1, "openai")
    assert preview.cost == pytest.approx(engine.estimate_file(path, provider="openai").costs[0].cost)
    # Changed on purpose (branch ceilings): both figures, named, each with its basis.
    assert preview.summary == (
        f"submit 6 requests to openai as 1 batch at batch prices: expected ${preview.cost:.4f} "
        "(input as characters / 4, output each request's max_tokens or 256); "
        f"ceiling ${preview.ceiling_cost:.4f} (the most it can bill: every output limit used in full, "
        "input at most a token per byte)")
    assert preview.cost < preview.ceiling_cost and preview.ceiling_unbounded == 0
    assert declined.batch_ids == [] and declined.summary == "nothing submitted"
    assert store.list_batches() == [] and store.events(action="submit.start") == []
    assert emulator.state()["calls"] == calls  # the provider never heard of it
    accepted = await engine.submit(path, provider="openai", approve=lambda p: True)
    assert len(accepted.batch_ids) == 1
    [start] = store.events(action="submit.start")
    assert start.details["estimated_cost"] == pytest.approx(preview.cost)


async def test_the_submit_preview_says_which_requests_have_no_ceiling(engine, store, emulator, tmp_path):
    rows = openai_lines(5)
    del rows[1]["body"]["max_tokens"]
    rows[3]["body"]["messages"] = [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]
    shown = []
    await engine.submit(write_jsonl(tmp_path / "m.jsonl", rows), provider="openai",
                        approve=lambda p: shown.append(p) or False)
    [preview] = shown
    assert preview.cost is not None  # the expected figure is unchanged: max_tokens or 256
    assert preview.ceiling_cost is None and preview.ceiling_unbounded == 2
    assert preview.ceiling_reasons == {"no max_tokens": 1, "images/audio/files": 1}
    assert preview.ceiling_bounded_cost is not None and 0 < preview.ceiling_bounded_cost
    assert (f"ceiling: none for 2 of 5 requests (1 images/audio/files, 1 no max_tokens); "
            f"${preview.ceiling_bounded_cost:.4f} for the other 3") in preview.summary
    unpriced = []
    await engine.submit(write_jsonl(tmp_path / "u.jsonl", openai_lines(2, model="gpt-nonesuch")), provider="openai",
                        approve=lambda p: unpriced.append(p) or False)
    assert unpriced[0].ceiling_cost is None and unpriced[0].ceiling_unbounded == 0
    assert "expected unpriced" in unpriced[0].summary and "ceiling unpriced" in unpriced[0].summary


async def test_anthropic_custom_ids_are_checked_before_sending(engine, tmp_path):
    rows = anthropic_lines(1)
    rows[0]["custom_id"] = "has space"
    with pytest.raises(InvalidFile) as info:
        await engine.submit(write_jsonl(tmp_path / "c.jsonl", rows), provider="anthropic")
    assert info.value.problems[0].line == 1
    assert "1-64 letters" in info.value.problems[0].message


def test_estimate_shows_each_route_and_picks_the_cheapest_that_meets_the_deadline(engine, tmp_path):
    path = write_jsonl(tmp_path / "e.jsonl", openai_lines(40))
    now = engine.clock()
    no_deadline = engine.estimate_file(path, provider="openai")
    assert no_deadline.route == "batch"
    costs = {c.tier: c.cost for c in no_deadline.costs}
    assert costs["batch"] == pytest.approx(costs["standard"] / 2)
    assert costs["flex"] == pytest.approx(costs["batch"])
    assert costs["priority"] == pytest.approx(costs["standard"] * 2)
    assert no_deadline.input_tokens > 0 and no_deadline.output_tokens == 40 * 64
    soon = engine.estimate_file(path, provider="openai", deadline=now + 1800)
    assert soon.route == "flex"
    assert soon.route_reason.startswith("the deadline is 30 min away, sooner than the 24 h a batch may take; flex")
    very_soon = engine.estimate_file(path, provider="openai", deadline=now + 30)
    assert very_soon.route == "standard"
    far = engine.estimate_file(path, provider="openai", deadline=now + 2 * 86400)
    assert far.route == "batch"
    assert [s.requests for s in far.batches] == [40]
    anth = engine.estimate_file(write_jsonl(tmp_path / "a.jsonl", anthropic_lines(5)),
                                provider="anthropic", deadline=now + 1800)
    assert anth.route == "standard"  # Anthropic offers no flex tier
    assert {c.tier: c.available for c in anth.costs}["flex"] is False


async def test_a_model_the_price_book_lacks_for_the_provider_is_named_before_and_after_submit(engine, tmp_path):
    # A typo, or another provider's model: the operator hears it now, not from a savings
    # report full of "unpriced" a day later.
    path = write_jsonl(tmp_path / "m.jsonl", anthropic_lines(2, model="claude-haiku-5-5")
                       + anthropic_lines(2, model="claude-haiku-55", prefix="typo"))
    est = engine.estimate_file(path, provider="anthropic")
    assert est.unpriced_models == ["claude-haiku-55"]
    assert {c.tier: c.cost for c in est.costs}["batch"] is None  # unknown, never $0
    assert "batch cost unknown" in est.summary
    assert "no anthropic price for claude-haiku-55: check the model name" in est.summary
    result = await engine.submit(path, provider="anthropic")
    assert result.unpriced_models == ["claude-haiku-55"] and "claude-haiku-55" in result.summary
    priced = await engine.submit(write_jsonl(tmp_path / "ok.jsonl", openai_lines(2)), provider="openai")
    assert priced.unpriced_models == [] and "price" not in priced.summary


async def test_a_batch_the_provider_rejects_is_failed_with_its_items(engine, store, emulator, tmp_path, monkeypatch):
    from console.engine.types import ProviderFailed

    spec = registry.get("anthropic")
    small = dataclasses.replace(spec.capabilities, max_requests=1000)
    monkeypatch.setitem(registry._all(), "anthropic", dataclasses.replace(spec, capabilities=small))
    emulator.set_faults(max_requests=5)
    with pytest.raises(ProviderFailed):
        await engine.submit(write_jsonl(tmp_path / "r.jsonl", anthropic_lines(8)), provider="anthropic")
    [batch] = store.list_batches()
    assert batch.status == BatchStatus.FAILED
    assert store.count_items(batch.id, status="errored") == 8
    assert store.pending_intents() == []
