"""Results do not vanish unnoticed: the store knows when each batch's results stop being
downloadable, and an ended batch not yet ingested counts down and needs attention."""

from __future__ import annotations

from console.engine.batch_facts import AttentionContext, attention
from console.format.numbers import PLAIN
from console.tui.cells import expiry_text
from tests.engine.conftest import openai_lines, write_jsonl
from tests.engine.test_discover import keys, other_client_anthropic_batch  # noqa: F401

DAY = 86_400.0


async def test_an_old_anthropic_batch_found_near_its_archive_date_counts_down_until_ingested(
        engine, store, emulator, keys, monkeypatch):  # noqa: F811
    monkeypatch.delenv("OPENAI_API_KEY")
    pid = other_client_anthropic_batch(emulator, n=3)
    emulator.advance(28.5 * DAY)  # a pipeline's batch nobody looked at for four weeks
    await engine.sync_once()
    batch = store.get_batch(pid)
    now = batch.created_at + 28.5 * DAY
    assert batch.results_until == batch.created_at + 29 * DAY and batch.ingested_at is None
    ctx = AttentionContext(waiting=store.failures_waiting_by_batch())
    assert [(a.tag, a.why) for a in attention(batch, now, ctx)] == [
        ("results expiring", "results downloadable 12h 00m more, not ingested")]
    assert expiry_text(batch, now, PLAIN).plain == "⇩ 12h 00m"
    await engine.sync_once()  # the next pass ingests them, in time
    batch = store.get_batch(pid)
    assert batch.ingested_at is not None and attention(batch, now, ctx) == []


async def test_an_openai_batch_knows_when_its_output_file_expires(engine, store, emulator, tmp_path):
    result = await engine.submit(write_jsonl(tmp_path / "in.jsonl", openai_lines(3)), provider="openai")
    emulator.advance(6 * 3600)
    await engine.sync_once()
    batch = store.get_batch(result.batch_ids[0])
    assert batch.results_until is not None and batch.results_until > batch.ended_at
