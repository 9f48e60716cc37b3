"""Operator actions: resubmit, promote, cancel, track, export — each audited."""

from __future__ import annotations

import csv
import io
import json

import pytest

from console.engine.types import BadInput, NeedsInput, ReadOnly
from store.model import BatchStatus, ErrorClass, ItemStatus
from tests.engine.conftest import anthropic_lines, make_engine, openai_lines, write_jsonl

HOUR = 3600.0


async def submitted(engine, store, emulator, tmp_path, provider="openai", n=20, **faults):
    lines = openai_lines(n) if provider == "openai" else anthropic_lines(n)
    path = write_jsonl(tmp_path / f"{provider}.jsonl", lines)
    batch_id = (await engine.submit(path, provider=provider)).batch_ids[0]
    if faults:
        emulator.batch_faults(store.get_batch(batch_id).provider_batch_id, **faults)
    return batch_id, path


# ---- resubmit -----------------------------------------------------------------------
async def test_resubmit_sends_retryable_failures_as_a_linked_batch(engine, store, emulator, tmp_path):
    a, _ = await submitted(engine, store, emulator, tmp_path, n=30, error_rate=0.5, retryable_share=0.3)
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    retryable = store.failed_items(a)
    everything = store.failed_items(a, include_permanent=True)
    assert 0 < len(retryable) < len(everything)
    result = await engine.resubmit(a)
    [child_id] = result.new_batch_ids
    child = store.get_batch(child_id)
    assert child.parent_id == a and child.provider_batch_id
    assert child.counts.total == len(retryable)
    for old in retryable:
        refreshed = store.get_item(old.id)
        assert refreshed.status == ItemStatus.RESUBMITTED
        replacement = store.get_item(refreshed.replaced_by)
        assert replacement.batch_id == child_id and replacement.custom_id == old.custom_id
        assert replacement.request == store.get_item(old.id).request
    # permanent failures stay, offered only with the flag
    left = store.failed_items(a, include_permanent=True)
    assert len(left) == len(everything) - len(retryable)
    assert all(i.error_class == ErrorClass.PERMANENT for i in left)
    with pytest.raises(BadInput, match="no failed items"):
        await engine.resubmit(a)
    again = await engine.resubmit(a, include_permanent=True)
    assert store.get_batch(again.new_batch_ids[0]).counts.total == len(left)
    assert [e.details["items"] for e in store.events(action="resubmit")] == [len(left), len(retryable)]


async def test_resubmit_records_the_new_batch_and_links_the_old_items_in_one_transaction(
        engine, store, emulator, tmp_path, monkeypatch):
    """A kill between recording the new batch and linking the old items must not leave a
    recorded resubmission whose old items still look unreplaced (a re-run would send them
    twice): both happen in one transaction, or neither does."""
    a, _ = await submitted(engine, store, emulator, tmp_path, n=20, error_rate=0.5, retryable_share=1.0)
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    failed = store.failed_items(a)
    assert failed

    def killed(*args, **kwargs):
        raise RuntimeError("killed while linking")

    real = type(store).link_resubmission
    monkeypatch.setattr(type(store), "link_resubmission", killed)
    with pytest.raises(RuntimeError):
        await engine.resubmit(a)
    monkeypatch.setattr(type(store), "link_resubmission", real)
    assert store.children(a) == [] and store.pending_intents() == []
    assert [i.id for i in store.failed_items(a)] == [i.id for i in failed]
    result = await engine.resubmit(a)
    [child] = result.new_batch_ids
    assert store.get_batch(child).provider_batch_id and len(emulator.state()["batches"]) == 2
    [sent] = store.events(action="resubmit.sent")
    assert sent.target == str(child) and sent.details["parent_id"] == a
    assert sent.details["provider_batch_id"] == store.get_batch(child).provider_batch_id


async def test_resubmit_of_a_tracked_anthropic_batch_needs_the_input_file(engine, store, emulator, tmp_path):
    """Anthropic cannot give a batch's requests back: say so, and accept --input FILE."""
    other = make_engine(store, emulator)  # "someone else" submits; we only track
    lines = anthropic_lines(12)
    path = write_jsonl(tmp_path / "theirs.jsonl", lines)
    adapter = other.adapter("anthropic")
    from adapters.base import BatchRequest

    remote = await adapter.create_batch([BatchRequest(r["custom_id"], r["params"]) for r in lines],
                                        endpoint="/v1/messages", model=None, metadata={})
    emulator.batch_faults(remote.provider_batch_id, error_rate=0.6, retryable_share=1.0)
    await other.aclose()
    tracked = await engine.track("anthropic", remote.provider_batch_id)
    [local] = tracked.created
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    failed = store.failed_items(local)
    assert failed and all(i.request is None for i in failed)
    estimate = engine.estimate_resubmit(local)
    assert estimate.needs_input
    with pytest.raises(NeedsInput, match="pass --input FILE"):
        await engine.resubmit(local)
    with pytest.raises(NeedsInput, match="pass --input FILE"):
        await engine.promote(local, custom_ids=[failed[0].custom_id])
    result = await engine.resubmit(local, input_path=path)
    child = store.get_batch(result.new_batch_ids[0])
    assert child.counts.total == len(failed)
    by_id = {r["custom_id"]: r["params"] for r in lines}
    new_items = store.find_items(child.id, [i.custom_id for i in failed])
    assert all(json.loads(i.request) == by_id[i.custom_id] for i in new_items)


async def test_resubmit_of_a_tracked_openai_batch_reads_its_input_file_back(engine, store, emulator, tmp_path):
    client = emulator.openai_client()
    lines = openai_lines(8)
    upload = client.files.create(file=("x.jsonl", "\n".join(json.dumps(r) for r in lines).encode()),
                                 purpose="batch")
    theirs = client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions",
                                   completion_window="24h", metadata={"emulator_error_rate": "0.5",
                                                                      "emulator_retryable_share": "1"})
    [local] = (await engine.track("openai", theirs.id)).created
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    failed = store.failed_items(local)
    assert failed
    result = await engine.resubmit(local)
    items = store.find_items(result.new_batch_ids[0], [i.custom_id for i in failed])
    by_id = {r["custom_id"]: r["body"] for r in lines}
    assert [json.loads(i.request) for i in items] == [by_id[i.custom_id] for i in items]


# ---- promote ------------------------------------------------------------------------
async def test_messages_count_one_item_in_the_singular(engine, store, emulator, tmp_path):
    a, _ = await submitted(engine, store, emulator, tmp_path, n=3)
    assert engine.estimate_promotion(a, custom_ids=["req-0"]).summary.startswith(f"promote 1 item of batch #{a} ")
    result = await engine.promote(a, custom_ids=["req-0"], tier="standard")
    assert result.summary.startswith(f"promoted 1 of 1 item of batch #{a} ")
    assert engine.cancel_preview(a).summary.endswith("2 items not yet finished will not run; finished ones are kept")


async def test_promote_estimates_each_tier_then_lands_results_on_the_same_items(engine, store, emulator, tmp_path):
    a, _ = await submitted(engine, store, emulator, tmp_path, n=20)
    est = engine.estimate_promotion(a, tier="flex")
    costs = {c.tier: c.cost for c in est.costs}
    assert est.items == 20 and est.tier == "flex"
    assert costs["flex"] == pytest.approx(costs["batch"])
    assert costs["standard"] == pytest.approx(2 * costs["batch"])
    assert costs["priority"] == pytest.approx(2 * costs["standard"])
    assert "flex" in est.summary and "if left in the batch" in est.summary
    result = await engine.promote(a, tier="flex")
    assert result.promoted + len(result.failed) == 20 and result.promoted >= 18
    promoted = [i for i in store.page_items(a, offset=0, limit=50) if i.status == ItemStatus.PROMOTED]
    assert len(promoted) == result.promoted
    assert all(i.promoted_cost > 0 and i.usage.output_tokens > 0 for i in promoted)
    assert sum(i.promoted_cost for i in promoted) == pytest.approx(result.cost)
    # The batch later finishes: its copies are kept but the items stay PROMOTED, not counted twice.
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    after = {i.custom_id: i for i in store.page_items(a, offset=0, limit=50)}
    assert sum(1 for i in after.values() if i.status == ItemStatus.PROMOTED) == result.promoted
    assert store.savings(by="batch")[0].items == 20
    [event] = store.events(action="promote")
    assert event.details["tier"] == "flex" and event.details["promoted"] == result.promoted


async def test_promote_backs_off_on_429_and_never_fails_an_item_for_it(engine, store, emulator, tmp_path, sleep):
    a, _ = await submitted(engine, store, emulator, tmp_path, n=30)
    emulator.set_faults(http_429_rate=0.3, retry_after=0.5)
    result = await engine.promote(a, tier="standard", concurrency=8)
    assert result.promoted == 30 and result.failed == {}
    assert result.retries > 0 and all(w == 0.5 for w in sleep.waits)


async def test_promote_refuses_items_that_already_have_a_result(engine, store, emulator, tmp_path):
    a, _ = await submitted(engine, store, emulator, tmp_path, n=5)
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    with pytest.raises(BadInput, match="only pending or failed"):
        engine.estimate_promotion(a, custom_ids=["req-1"])
    b, _ = await submitted(engine, store, emulator, tmp_path, provider="anthropic", n=3)
    with pytest.raises(BadInput, match="not offered"):
        engine.estimate_promotion(b, tier="flex")


async def test_a_second_promote_skips_the_items_a_running_promote_holds(engine, store, emulator, tmp_path):
    """Items are claimed in the store before any provider call: another live run's claim wins,
    and the result says how many were skipped and why (no file lock any more)."""
    from store.claims import new_owner

    a, _ = await submitted(engine, store, emulator, tmp_path, n=6)
    running = new_owner()  # a promote in this (live) process holding four of the six items
    held = [i.id for i in store.page_items(a, offset=0, limit=4)]
    store.claim_items(held, owner=running, until=engine.clock() + 600, now=engine.clock(), statuses={"pending"})
    calls = emulator.state()["calls"]
    result = await engine.promote(a, tier="standard")
    assert result.promoted == 2 and emulator.state()["calls"] - calls == 1 + 2  # the refresh poll, two answers
    assert result.skipped == {"claimed by a running promote or resubmit": 4}
    assert "4 skipped (4 claimed by a running promote or resubmit)" in result.summary
    store.release_items(running)  # that run ended: the next one goes ahead
    assert (await engine.promote(a, tier="standard")).promoted == 4


async def test_a_claimed_item_whose_batch_result_arrived_is_not_bought(engine, store, emulator, tmp_path):
    """The per-item re-check: an ingest that stored the batch's result after the claim was
    taken makes the item no longer buyable."""
    from store.claims import new_owner

    a, _ = await submitted(engine, store, emulator, tmp_path, n=3)
    owner = new_owner()
    [first, *_] = store.page_items(a, offset=0, limit=3)
    store.claim_items([first.id], owner=owner, until=engine.clock() + 600, now=engine.clock(), statuses={"pending"})
    assert store.still_claimed(first.id, owner, {"pending"})
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    assert not store.still_claimed(first.id, owner, {"pending"})


async def test_the_realtime_answer_is_kept_in_the_store_for_the_inspector(engine, store, emulator, tmp_path):
    a, _ = await submitted(engine, store, emulator, tmp_path, n=3)
    assert (await engine.promote(a, tier="standard")).promoted == 3
    for item in store.page_items(a, offset=0, limit=3):
        answer = store.realtime_answer(item.id)
        assert answer is not None and answer.paid_tier == "standard"
        assert json.loads(answer.response)["usage"]["completion_tokens"] == item.usage.output_tokens
    assert not list((tmp_path).rglob("promoted.jsonl"))  # no side file beside the database
    assert store.get_batch(a).promoted == 3  # the batch's count moved with each answer


# ---- cancel, track, export, read-only ----------------------------------------------
async def test_cancel_stops_the_batch_and_keeps_finished_items(engine, store, emulator, tmp_path):
    a, _ = await submitted(engine, store, emulator, tmp_path, provider="anthropic", n=20)
    preview = engine.cancel_preview(a)
    assert preview.cancellable and preview.pending_items == 20
    result = await engine.cancel(a)
    assert result.status == BatchStatus.CANCELING.value
    emulator.advance(HOUR)
    await engine.sync_once()
    batch = store.get_batch(a)
    assert batch.status == BatchStatus.CANCELED
    assert batch.counts.total == 20 and batch.counts.processing == 0
    assert store.count_items(a, status="pending") == 0
    assert not engine.cancel_preview(a).cancellable
    [event] = store.events(action="cancel")
    assert event.actor == "tester@host" and event.target == str(a)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_cancelling_a_batch_that_ended_since_the_last_sync_says_so(engine, store, emulator, tmp_path, provider):
    a, _ = await submitted(engine, store, emulator, tmp_path, provider=provider, n=5)
    emulator.advance(6 * HOUR)  # it ends at the provider; the store has not seen it yet
    assert engine.cancel_preview(a).cancellable
    with pytest.raises(BadInput, match=rf"batch #{a} had already ended at the provider \(completed\); "
                                       "there is nothing to cancel"):
        await engine.cancel(a)
    assert store.get_batch(a).status == BatchStatus.COMPLETED and store.events(action="cancel") == []
    assert (await engine.sync_once()).ingested == {a: 5}


async def test_track_all_imports_every_listed_batch_once(engine, store, emulator, tmp_path):
    client = emulator.anthropic_client()
    for i in range(3):
        client.messages.batches.create(requests=[{"custom_id": f"t{i}", "params": anthropic_lines(1)[0]["params"]}])
    first = await engine.track("anthropic", all=True)
    again = await engine.track("anthropic", all=True)
    assert len(first.created) == 3 and again.created == [] and len(again.existing) == 3
    assert all(store.get_batch(i).tracked for i in first.created)


async def test_export_writes_results_in_original_order(engine, store, emulator, tmp_path):
    a, _ = await submitted(engine, store, emulator, tmp_path, n=12, error_rate=0.3)
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    buf = io.StringIO()
    result = engine.export(a, buf, format="jsonl")
    rows = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert result.rows == 12 and [r["custom_id"] for r in rows] == [f"req-{i}" for i in range(12)]
    ok = [r for r in rows if r["status"] == "succeeded"]
    bad = [r for r in rows if r["status"] == "errored"]
    assert ok and bad
    assert all(r["source"] == "batch" and r["text"] and r["usage"]["output_tokens"] > 0 for r in ok)
    assert all(r["error"]["type"] and r["response"] is None for r in bad)
    buf = io.StringIO()
    engine.export(a, buf, format="csv")
    table = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert [r["custom_id"] for r in table] == [f"req-{i}" for i in range(12)]
    assert table[0].keys() >= {"status", "input_tokens", "text", "error_type"}


async def test_read_only_refuses_spending_and_cancelling(store, emulator, tmp_path):
    engine = make_engine(store, emulator, read_only=True)
    with pytest.raises(ReadOnly, match="read-only"):
        await engine.submit(write_jsonl(tmp_path / "x.jsonl", openai_lines(1)), provider="openai")
    with pytest.raises(ReadOnly):
        await engine.cancel(1)
    with pytest.raises(ReadOnly):
        await engine.promote(1)
    with pytest.raises(ReadOnly):
        await engine.resubmit(1)
    await engine.aclose()
