"""Sync and ingest: throttling, expiry with partial results, broken downloads, idempotency."""

from __future__ import annotations

from store.model import BatchStatus, ErrorClass, ItemStatus
from tests.engine.conftest import anthropic_lines, openai_lines, write_jsonl

HOUR = 3600.0


async def submit(engine, tmp_path, provider: str, n: int, name: str = "in.jsonl") -> int:
    lines = openai_lines(n) if provider == "openai" else anthropic_lines(n)
    result = await engine.submit(write_jsonl(tmp_path / name, lines), provider=provider)
    return result.batch_ids[0]


def statuses(store, batch_id: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in store.page_items(batch_id, offset=0, limit=100_000):
        out[item.status.value] = out.get(item.status.value, 0) + 1
    return out


async def test_sync_once_ingests_batches_that_ended(engine, store, emulator, tmp_path):
    a = await submit(engine, tmp_path, "openai", 20, "a.jsonl")
    b = await submit(engine, tmp_path, "anthropic", 15, "b.jsonl")
    first = await engine.sync_once()
    assert first.polled == 2 and first.ingested == {}
    emulator.advance(6 * HOUR)
    second = await engine.sync_once()
    assert second.ingested == {a: 20, b: 15}
    assert store.get_batch(a).status == BatchStatus.COMPLETED
    assert store.get_batch(a).counts.succeeded == 20
    assert statuses(store, b) == {"succeeded": 15}
    item = store.find_items(a, ["req-3"])[0]
    assert item.usage.output_tokens > 0 and item.batch_cost > 0
    assert item.realtime_cost > item.batch_cost
    assert '"custom_id":"req-3"' in store.raw_result(item).replace(" ", "")
    third = await engine.sync_once()
    assert third.polled == 0 and third.ingested == {}


async def test_a_429_storm_never_marks_anything_failed(engine, store, emulator, tmp_path, sleep):
    a = await submit(engine, tmp_path, "openai", 10, "a.jsonl")
    b = await submit(engine, tmp_path, "anthropic", 10, "b.jsonl")
    emulator.advance(6 * HOUR)
    emulator.set_faults(http_429_rate=1.0, retry_after=2)
    before = {i: store.get_batch(i).status for i in (a, b)}
    report = await engine.sync_once()
    assert sorted(report.throttled) == [a, b]
    assert report.changed == [] and report.ingested == {}
    assert {i: store.get_batch(i).status for i in (a, b)} == before
    assert statuses(store, a) == {"pending": 10}
    # Bounded: 3 attempts per poll, each wait the provider's retry-after.
    assert sleep.waits == [2.0] * 4
    emulator.set_faults(http_429_rate=0.0)
    report = await engine.sync_once()
    assert report.ingested == {a: 10, b: 10}
    assert statuses(store, a) == {"succeeded": 10}


async def test_an_expired_batch_keeps_finished_items_and_offers_the_rest(engine, store, emulator, tmp_path):
    a = await submit(engine, tmp_path, "openai", 40, "a.jsonl")
    b = await submit(engine, tmp_path, "anthropic", 40, "b.jsonl")
    for batch_id in (a, b):
        emulator.batch_faults(store.get_batch(batch_id).provider_batch_id, expire=0.25)
    emulator.advance(25 * HOUR)
    report = await engine.sync_once()
    assert set(report.ingested) == {a, b}
    # The seed decides which items never ran: a real share, not all or none.
    for batch_id, expired in ((a, 13), (b, 9)):
        batch = store.get_batch(batch_id)
        assert batch.status == BatchStatus.EXPIRED
        counts = statuses(store, batch_id)
        assert counts == {"expired": expired, "succeeded": 40 - expired}
        assert batch.counts.expired == expired and batch.counts.succeeded == 40 - expired
        offered = store.failed_items(batch_id)
        assert len(offered) == expired
        assert all(i.status == ItemStatus.EXPIRED and i.error_class == ErrorClass.RETRYABLE for i in offered)
        finished = [i for i in store.page_items(batch_id, offset=0, limit=100) if i.status == ItemStatus.SUCCEEDED]
        assert all(i.usage is not None and i.batch_cost > 0 for i in finished)
        estimate = engine.estimate_resubmit(batch_id)
        assert estimate.items == expired and not estimate.needs_input


async def test_a_download_that_breaks_midway_resumes_without_duplicates(engine, store, emulator, tmp_path):
    a = await submit(engine, tmp_path, "openai", 30, "a.jsonl")
    b = await submit(engine, tmp_path, "anthropic", 30, "b.jsonl")
    for batch_id in (a, b):
        emulator.batch_faults(store.get_batch(batch_id).provider_batch_id,
                              broken_download=0.5, broken_download_times=1)
    emulator.advance(6 * HOUR)
    report = await engine.sync_once()
    assert report.ingested == {a: 30, b: 30}
    for batch_id in (a, b):
        assert statuses(store, batch_id) == {"succeeded": 30}
        assert store.count_items(batch_id) == 30
        [event] = [e for e in store.events(action="ingest") if e.target == str(batch_id)]
        assert event.details["lines"] == 30


async def test_a_download_that_keeps_breaking_waits_for_the_next_pass(engine, store, emulator, tmp_path):
    a = await submit(engine, tmp_path, "anthropic", 20, "a.jsonl")
    remote_id = store.get_batch(a).provider_batch_id
    emulator.batch_faults(remote_id, broken_download=0.5)
    emulator.advance(6 * HOUR)
    report = await engine.sync_once()
    assert a in report.errors and "resumes" in report.errors[a]
    assert store.get_batch(a).status == BatchStatus.COMPLETED
    assert store.get_batch(a).ingested_at is None
    assert statuses(store, a) == {"pending": 20}
    emulator.batch_faults(remote_id, broken_download=0.0)
    report = await engine.sync_once()
    assert report.ingested == {a: 20}
    assert statuses(store, a) == {"succeeded": 20}


async def test_ingesting_again_yields_the_same_rows(engine, store, emulator, tmp_path):
    a = await submit(engine, tmp_path, "openai", 25, "a.jsonl")
    emulator.batch_faults(store.get_batch(a).provider_batch_id, error_rate=0.4)
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    before = [(i.custom_id, i.status, i.usage, i.batch_cost, i.error_type)
              for i in store.page_items(a, offset=0, limit=100)]
    assert await engine.ingest(a) == 25
    after = [(i.custom_id, i.status, i.usage, i.batch_cost, i.error_type)
             for i in store.page_items(a, offset=0, limit=100)]
    assert after == before and len(after) == 25
    assert sum(1 for row in after if row[1] == ItemStatus.ERRORED) == 7  # seed 7, error_rate 0.4


async def test_an_openai_batch_that_fails_validation_fails_its_items(engine, store, emulator, tmp_path):
    a = await submit(engine, tmp_path, "openai", 5, "a.jsonl")
    emulator.batch_faults(store.get_batch(a).provider_batch_id, token_limit=True)
    emulator.advance(HOUR)
    await engine.sync_once()
    batch = store.get_batch(a)
    assert batch.status == BatchStatus.FAILED
    assert "token_limit_exceeded" in batch.errors
    items = store.page_items(a, offset=0, limit=10)
    assert {i.status for i in items} == {ItemStatus.ERRORED}
    assert {i.error_type for i in items} == {"token_limit_exceeded"}
    assert {i.error_class for i in items} == {ErrorClass.RETRYABLE}


async def test_batches_far_from_done_are_polled_less_often(engine, store, emulator, tmp_path):
    from console.engine.sync import next_interval

    a = await submit(engine, tmp_path, "anthropic", 5, "a.jsonl")
    await engine.sync_once()
    report = await engine.sync_once(force=False)
    assert report.skipped == 1 and report.polled == 0
    now = engine.clock()
    assert next_interval(BatchStatus.IN_PROGRESS, 0, 100, now, now + 86400, None, now) == 120
    assert next_interval(BatchStatus.IN_PROGRESS, 95, 100, now, now + 86400, None, now) == 10
    assert next_interval(BatchStatus.FINALIZING, 100, 100, now, now + 86400, None, now) == 5
    assert next_interval(BatchStatus.IN_PROGRESS, 0, 100, now, now + 86400, now + 600, now) == 15
    emulator.advance(200)
    report = await engine.sync_once(force=False)
    assert report.polled == 1 and a not in report.throttled
