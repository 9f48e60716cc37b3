"""The OpenAI-compatible family end to end: Groq, Doubleword and an `openai_compat` host.

Each is driven the way an operator would (submit, sync, ingest, track --all, promote, cancel,
resubmit, estimate, savings) through the engine against the emulator over a socket; the
official groq SDK and the openai SDK (Doubleword has no SDK of its own) talk to the same
emulator, and their typed objects must validate.
"""

from __future__ import annotations

import json

import pytest

from store.model import BatchStatus, ItemStatus
from tests.engine.conftest import openai_lines, write_jsonl

HOUR = 3600.0

MODELS = {
    "groq": "openai/gpt-oss-120b",
    "together": "meta-llama/Llama-3.3-70B-Instruct-Turbo",
    "doubleword": "Qwen3-VL-30B-A3B-Instruct-FP8",
    "openai_compat": "served-model",
}
FAMILY = sorted(MODELS)


async def _submitted(engine, tmp_path, provider: str, n: int = 8, name: str = "in.jsonl") -> int:
    path = write_jsonl(tmp_path / name, openai_lines(n, model=MODELS[provider]))
    result = await engine.submit(path, provider=provider)
    return result.batch_ids[0]


@pytest.mark.parametrize("provider", FAMILY)
async def test_submit_sync_ingest_and_savings_with_its_own_prices(engine, store, emulator, tmp_path, provider):
    if provider == "together":
        # The reference has no Together price table: an operator's [[prices]] row prices it.
        from store.model import PriceRow

        store.price_book.add([PriceRow(provider="together", model=MODELS["together"], input=0.88,
                                       output=0.88, batch_discount=0.5)], origin="config.toml")
    local = await _submitted(engine, tmp_path, provider)
    batch = store.get_batch(local)
    assert batch.provider == provider and batch.provider_batch_id
    emulator.advance(6 * HOUR)
    report = await engine.sync_once()
    assert report.ingested == {local: 8}
    batch = store.get_batch(local)
    assert batch.status == BatchStatus.COMPLETED and batch.counts.succeeded == 8
    items = store.page_items(local, offset=0, limit=20)
    assert all(i.status == ItemStatus.SUCCEEDED and i.usage.output_tokens > 0 for i in items)
    [row] = [r for r in store.savings(by="provider") if r.key == provider]
    if provider == "openai_compat":
        assert all(i.batch_cost is None for i in items)  # no price row: unpriced, never $0
        assert row.unpriced_items == 8
    else:
        assert row.priced_items == 8 and row.savings > 0
        assert all(i.batch_cost > 0 for i in items)
        ratio = sum(i.batch_cost for i in items) / sum(i.realtime_cost for i in items)
        expected = {"groq": 0.75, "together": 0.5, "doubleword": 0.05 / 0.16}[provider]
        assert ratio == pytest.approx(expected, rel=0.35)


async def test_groq_batches_live_under_openai_v1_with_its_quirks(engine, store, emulator, tmp_path):
    import groq

    client = groq.Groq(api_key="test-key", base_url=emulator.base_url, max_retries=0)
    line = json.dumps(openai_lines(1, model=MODELS["groq"])[0]).encode() + b"\n"
    upload = client.files.create(file=("in.jsonl", line), purpose="batch")
    assert isinstance(upload, groq.types.FileCreateResponse) and upload.purpose == "batch"
    created = client.batches.create(completion_window="7d", endpoint="/v1/chat/completions",
                                    input_file_id=upload.id)
    assert isinstance(created, groq.types.BatchCreateResponse)
    assert created.completion_window == "7d" and created.expires_at - created.created_at == 7 * 24 * 3600
    raw = client.batches.with_raw_response.retrieve(created.id).http_response.json()
    assert "model" not in raw and "usage" not in raw  # Groq's Batch has neither
    listed = client.batches.list()
    assert isinstance(listed, groq.types.BatchListResponse) and [b.id for b in listed.data] == [created.id]
    assert "has_more" not in client.batches.with_raw_response.list().http_response.json()
    with pytest.raises(groq.BadRequestError):
        client.batches.create(completion_window="24h", endpoint="/v1/embeddings", input_file_id=upload.id)
    # batchdeck tracks it (track groq --all), syncs and ingests it.
    result = await engine.track("groq", all=True)
    [local] = [b.id for b in store.list_batches() if b.provider_batch_id == created.id]
    assert store.get_batch(local).tracked and result.summary
    emulator.advance(8 * 24 * HOUR)
    await engine.sync_once()
    assert store.get_batch(local).counts.succeeded == 1
    cancelled = client.batches.create(completion_window="24h", endpoint="/v1/chat/completions", input_file_id=upload.id)
    assert isinstance(client.batches.cancel(cancelled.id), groq.types.BatchCancelResponse)


@pytest.mark.parametrize("provider", ["doubleword", "openai_compat"])
async def test_openai_sdk_with_a_base_url_and_track_all(engine, store, emulator, tmp_path, provider):
    import openai

    client = openai.OpenAI(api_key="test-key", base_url=emulator.base_url_for(provider), max_retries=0)
    line = json.dumps(openai_lines(1, model=MODELS[provider])[0]).encode() + b"\n"
    upload = client.files.create(file=("in.jsonl", line), purpose="batch")
    created = client.batches.create(completion_window="1h", endpoint="/v1/chat/completions",  # type: ignore[arg-type]
                                    input_file_id=upload.id)
    assert isinstance(created, openai.types.Batch) and created.completion_window == "1h"
    if provider == "doubleword":
        assert created.id.startswith("batch-")
    await engine.track(provider, all=True)
    tracked = [b for b in store.list_batches() if b.provider == provider]
    assert [b.provider_batch_id for b in tracked] == [created.id]
    # The OpenAI list at /v1 does not show it: each service is its own account.
    assert all(b.id != created.id for b in openai.OpenAI(api_key="k", base_url=emulator.base_url_openai).batches.list())


@pytest.mark.parametrize("provider", FAMILY)
async def test_promote_cancel_resubmit_and_estimate(engine, store, emulator, tmp_path, provider):
    local = await _submitted(engine, tmp_path, provider, n=6, name="a.jsonl")
    result = await engine.promote(local, custom_ids=["req-0", "req-1"], tier="standard")
    assert result.promoted == 2
    other = await _submitted(engine, tmp_path, provider, n=4, name="b.jsonl")
    await engine.cancel(other)
    emulator.advance(2 * HOUR)
    await engine.sync_once()
    assert store.get_batch(other).status in (BatchStatus.CANCELED, BatchStatus.CANCELING)
    failing = await _submitted(engine, tmp_path, provider, n=5, name="c.jsonl")
    emulator.emulator.state.batches[store.get_batch(failing).provider_batch_id].set_overrides(
        {"error_rate": 1.0, "retryable_share": 1.0})
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    assert store.get_batch(failing).counts.errored == 5
    again = await engine.resubmit(failing)
    assert again.items == 5 and len(again.new_batch_ids) == 1
    assert store.get_batch(again.new_batch_ids[0]).provider == provider
    est = engine.estimate_file(write_jsonl(tmp_path / "e.jsonl", openai_lines(3, model=MODELS[provider])),
                               provider=provider)
    assert est.requests == 3 and est.provider == provider


def test_track_dialog_and_registry_list_the_family():
    from console.engine.providers import names

    assert {"openai", "anthropic", *FAMILY} <= set(names())


async def test_together_sdk_round_trip_and_a_completed_job_with_failures(engine, store, emulator, tmp_path):
    import together
    from together.types import BatchCreateResponse, BatchJob, FileResponse

    client = together.Together(api_key="test-key", base_url=emulator.base_url_for("together"), max_retries=0)
    path = tmp_path / "jobs.jsonl"
    body = openai_lines(1, model=MODELS["together"])[0]["body"]
    path.write_text("".join(json.dumps({"custom_id": f"t{i}", "body": body}) + "\n" for i in range(6)))
    uploaded = client.files.upload(file=path, purpose="batch-api")  # 302, PUT, preprocess
    assert isinstance(uploaded, FileResponse) and uploaded.purpose == "batch-api" and uploaded.file_type == "jsonl"
    created = client.batches.create(endpoint="/v1/chat/completions", input_file_id=uploaded.id,
                                    completion_window="48h")
    assert isinstance(created, BatchCreateResponse) and isinstance(created.job, BatchJob)
    assert created.job.status == "VALIDATING" and created.warning  # the window cannot change
    listed = client.batches.list()
    assert isinstance(listed, list) and [j.id for j in listed] == [created.job.id]
    emulator.emulator.state.batches[created.job.id].set_overrides({"error_rate": 0.5})
    await engine.track("together", all=True)
    [local] = [b.id for b in store.list_batches() if b.provider == "together"]
    emulator.advance(6 * HOUR)
    job = client.batches.retrieve(created.job.id)
    assert job.status == "COMPLETED" and job.progress == 100.0 and job.error_file_id  # failures inside
    report = await engine.sync_once()
    assert report.ingested == {local: 6}
    batch = store.get_batch(local)
    assert batch.counts.succeeded + batch.counts.errored == 6 and batch.counts.errored > 0
    other = client.batches.create(endpoint="/v1/chat/completions", input_file_id=client.files.upload(
        file=path, purpose="batch-api", check=False).id)
    assert isinstance(client.batches.cancel(other.job.id), BatchJob)


async def test_together_submit_token_rides_in_the_file_name_for_reconcile(engine, store, emulator, tmp_path):
    local = await _submitted(engine, tmp_path, "together", n=3)
    batch = store.get_batch(local)
    adapter = engine.adapter("together", None)
    found = [r async for r in adapter.list_batches(since=0.0)]
    assert [r.metadata.get("batchdeck_token") for r in found] == [batch.submit_token]


async def test_submit_window_is_the_providers_choice(engine, store, emulator, tmp_path):
    from console.engine.types import BadInput

    path = write_jsonl(tmp_path / "w.jsonl", openai_lines(3, model=MODELS["groq"]))
    result = await engine.submit(path, provider="groq", window="7d")
    [pid] = result.provider_batch_ids
    assert emulator.emulator.state.batches[pid].completion_window == "7d"
    batch = store.get_batch(result.batch_ids[0])
    assert batch.expires_at - batch.created_at == pytest.approx(7 * 24 * HOUR, abs=5)
    with pytest.raises(BadInput, match="takes completion window 24h, 48h"):
        await engine.submit(path, provider="groq", window="30d")
    with pytest.raises(BadInput, match="24h, 1h"):
        await engine.submit(path, provider="doubleword", window="7d")


async def test_doubleword_analytics_give_the_providers_own_cost(engine, store, emulator, tmp_path):
    local = await _submitted(engine, tmp_path, "doubleword", n=6)
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    batch = store.get_batch(local)
    assert batch.reported_cost is not None and batch.reported_list_cost is not None
    assert 0 < batch.reported_cost < batch.reported_list_cost
    items = store.page_items(local, offset=0, limit=10)
    # The billed figure agrees with our own ledger at the same 24 h rates.
    assert batch.reported_cost == pytest.approx(sum(i.batch_cost for i in items), rel=0.05)
