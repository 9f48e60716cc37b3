"""Inputs do not vanish unnoticed either: the store knows when the provider stops serving a
tracked batch's requests; while they are not read, the batch counts down and needs attention,
and the next sync pass that reaches the provider reads them. Results count as safe once an
export carried them."""

from __future__ import annotations

import io
import json

from console.cli.reads import expires_cell, retention_lines
from console.engine import inputs
from console.engine.batch_facts import AttentionContext, attention, results_left
from console.format.numbers import PLAIN
from console.tui.screens.detail_text import summary_text
from tests.engine.conftest import openai_lines, write_jsonl
from tests.engine.test_discover import keys, other_client_openai_batch  # noqa: F401

HOUR = 3600.0
DAY = 86_400.0


def why(batch, now):
    return [(a.tag, a.why) for a in attention(batch, now, AttentionContext(waiting={}))]


async def test_unread_inputs_near_their_expiry_count_down_until_a_sync_pass_reads_them(
        engine, store, emulator, keys, monkeypatch):  # noqa: F811
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    pid = other_client_openai_batch(emulator, n=4)
    emulator.advance(29.5 * DAY)  # a pipeline's batch nobody tracked for four weeks
    await engine.track("openai", None, all=True)  # tracked; its requests are read by the next pass
    batch = store.get_batch(pid)
    assert batch.inputs == "pending" and batch.inputs_until == batch.created_at + 30 * DAY
    emulator.set_faults(http_500_rate=1.0)  # ...and the provider refuses that pass
    report = await engine.sync_once()
    assert batch.id in report.errors
    batch = store.get_batch(pid)
    now = batch.created_at + 29.5 * DAY  # the provider's times are whole seconds
    assert batch.inputs == "pending"
    assert ("inputs expiring", "inputs downloadable 12h 00m more, not read") in why(batch, now)
    assert expires_cell(batch, now).startswith("inputs ")
    assert any(line.startswith("  requests downloadable 12h 00m more") for line in retention_lines(batch, now))
    header = summary_text(batch, now, PLAIN, utc=True, saved=None, warn=2 * HOUR).plain
    assert "⇩ 12h 00m left to read them" in header

    emulator.set_faults(http_500_rate=0.0)
    await engine.sync_once()  # the provider answers again: read, then the results ingested
    batch = store.get_batch(pid)
    assert batch.inputs == "read" and store.count_items(batch.id) == 4
    assert why(batch, engine.clock()) == [] and retention_lines(batch, engine.clock()) == []
    assert "left to read them" not in summary_text(batch, now, PLAIN, utc=True, saved=None, warn=2 * HOUR).plain


def upload_expiring_in(emulator, seconds: int, n: int = 3) -> tuple[str, str]:
    """A pipeline's batch whose input file it uploaded with a short `expires_after`."""
    client = emulator.openai_client(max_retries=0)
    lines = "".join(json.dumps(row) + "\n" for row in openai_lines(n, prefix="p"))
    uploaded = client.files.create(file=("in.jsonl", io.BytesIO(lines.encode())), purpose="batch",
                                   expires_after={"anchor": "created_at", "seconds": seconds})
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                  completion_window="24h")
    assert uploaded.expires_at is not None
    return batch.id, uploaded.id


async def test_the_input_files_own_expiry_replaces_the_estimate_and_polls_keep_it(
        engine, store, emulator, keys):  # noqa: F811
    pid, file_id = upload_expiring_in(emulator, 2 * 3600)
    await engine.track("openai", None, all=True)
    batch = store.get_batch(pid)
    assert batch.inputs_until == batch.created_at + 30 * DAY  # the default, all the batch says
    adapter = engine.adapter("openai")
    exact = emulator.openai_client(max_retries=0).files.retrieve(file_id).expires_at
    await inputs.learn_expiry(engine, batch)  # what a sync pass does when a read fails
    assert store.get_batch(pid).inputs_until == exact
    # A poll reports the estimate again; the exact date learned is kept.
    store.update_from_remote(batch.id, await adapter.retrieve(pid), now=engine.clock())
    batch = store.get_batch(pid)
    assert batch.inputs_until == exact
    assert abs(batch.inputs_until - engine.clock() - 2 * HOUR) < 1  # the file's date is whole seconds
    assert [tag for tag, _ in why(batch, engine.clock())] == ["inputs expiring"]


async def test_an_input_file_gone_before_it_was_read_becomes_inputs_unknown(engine, store, emulator, keys):  # noqa: F811
    pid, _ = upload_expiring_in(emulator, 3600)
    await engine.track("openai", None, all=True)
    emulator.advance(2 * HOUR)  # nobody synced in time: the provider dropped the input file
    report = await engine.sync_once()
    batch = store.get_batch(pid)
    assert batch.inputs == "unknown" and "attach the original" in report.errors[batch.id]
    assert not [a for a in why(batch, engine.clock()) if a[0] == "inputs expiring"]
    [gone] = store.events(action="inputs.gone")
    assert gone.target == str(batch.id)


async def test_an_export_that_carried_the_results_is_recorded(engine, store, emulator, tmp_path):
    result = await engine.submit(write_jsonl(tmp_path / "in.jsonl", openai_lines(3)), provider="openai")
    [local] = result.batch_ids
    out = io.StringIO()
    engine.export(local, out)  # nothing of the batch's own results yet
    assert store.get_batch(local).exported_at is None
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    engine.export(local, io.StringIO())
    batch = store.get_batch(local)
    assert batch.exported_at == engine.clock()
    assert sorted(e.details["results"] for e in store.events(action="export")) == [0, 3]


def test_results_exported_but_not_ingested_no_longer_count_down():
    from store.model import Batch, BatchStatus

    ended = Batch(id=1, provider="p", status=BatchStatus.COMPLETED, ended_at=0.0, results_until=10 * HOUR)
    assert results_left(ended, HOUR) == 9 * HOUR
    ended.exported_at = 2 * HOUR
    assert results_left(ended, HOUR) is None
