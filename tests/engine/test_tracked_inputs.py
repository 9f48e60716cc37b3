"""Tracked batches are first-class: where the provider keeps the input, the items exist (ids,
bodies, order) before any result; where it does not, the original file is attached once."""

from __future__ import annotations

import json

import pytest

from console.engine.types import BadInput
from store.model import ItemStatus
from tests.engine.conftest import anthropic_lines, write_jsonl
from tests.engine.test_discover import keys, other_client_anthropic_batch, other_client_openai_batch  # noqa: F401


async def test_a_discovered_openai_batch_has_its_items_in_request_order_before_any_result(
        engine, store, emulator, keys, tmp_path):  # noqa: F811
    pid = other_client_openai_batch(emulator, n=6, metadata={"name": "pipeline"})
    await engine.sync_once()
    batch = store.get_batch(pid)
    assert batch.inputs == "read" and batch.label == "pipeline"
    items = store.page_items(batch.id, offset=0, limit=100)
    assert [i.custom_id for i in items] == [f"p-{i}" for i in range(6)]
    assert all(i.status == ItemStatus.PENDING for i in items)
    assert json.loads(store.find_items(batch.id, ["p-3"])[0].request)["messages"][0]["content"] == "q3"
    # The rescue: promote two items of the in-flight tracked batch before it expires.
    result = await engine.promote(batch.id, custom_ids=["p-1", "p-4"], tier="standard")
    assert result.promoted == 2 and not result.failed
    promoted = {i.custom_id for i in store.page_items(batch.id, offset=0, limit=100) if i.status == ItemStatus.PROMOTED}
    assert promoted == {"p-1", "p-4"}
    emulator.advance(6 * 3600)
    await engine.sync_once()
    out = tmp_path / "export.jsonl"
    with open(out, "w") as f:
        engine.export(batch.id, f)
    assert [json.loads(line)["custom_id"] for line in out.read_text().splitlines()] == [f"p-{i}" for i in range(6)]


async def test_track_by_id_reads_the_input_at_once(engine, store, emulator):
    pid = other_client_openai_batch(emulator, n=3)
    result = await engine.track("openai", pid)
    assert [i.custom_id for i in store.page_items(result.created[0], offset=0, limit=10)] == ["p-0", "p-1", "p-2"]


async def test_an_anthropic_batch_reads_inputs_unknown_until_its_file_is_attached_once(
        engine, store, emulator, keys, tmp_path):  # noqa: F811
    pid = other_client_anthropic_batch(emulator, n=4)
    await engine.sync_once()
    batch = store.get_batch(pid)
    assert batch.inputs == "unknown" and store.count_items(batch.id) == 0
    with pytest.raises(BadInput, match="none of the first custom_ids"):
        emulator.advance(6 * 3600)
        await engine.sync_once()  # results first: items in results order
        engine.attach_inputs(batch.id, write_jsonl(tmp_path / "wrong.jsonl", anthropic_lines(2, prefix="zz")))
    original = [{"custom_id": f"a-{i}", "params": {"model": "claude-haiku-5-5", "max_tokens": 16,
                                                   "messages": [{"role": "user", "content": "hi"}]}}
                for i in (3, 1, 0, 2)]
    assert engine.attach_inputs(pid, write_jsonl(tmp_path / "orig.jsonl", original)) == 4
    items = store.page_items(batch.id, offset=0, limit=10)
    assert [i.custom_id for i in items] == ["a-3", "a-1", "a-0", "a-2"]  # the file's order
    assert all(store.find_items(batch.id, [i.custom_id])[0].request for i in items)
    with pytest.raises(BadInput, match="already has its requests"):
        engine.attach_inputs(pid, tmp_path / "orig.jsonl")


async def test_cli_attach_and_show_for_a_tracked_anthropic_batch(engine, store, emulator, keys, tmp_path):  # noqa: F811
    import subprocess
    import sys

    from tests.reliability.helpers import ROOT

    pid = other_client_anthropic_batch(emulator, n=2)
    await engine.sync_once()
    batch = store.get_batch(pid)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "console.cli", "--db", str(store.path), *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert "inputs unknown" in cli("show", str(batch.id)).stdout
    original = write_jsonl(tmp_path / "orig.jsonl", [
        {"custom_id": f"a-{i}", "params": {"model": "claude-haiku-5-5", "max_tokens": 16,
                                           "messages": [{"role": "user", "content": "hi"}]}} for i in range(2)])
    done = cli("attach", pid, str(original))
    assert done.returncode == 0 and f"attached 2 requests to batch {batch.id}" in done.stdout, done.stderr
    again = cli("attach", str(batch.id), str(original))
    assert again.returncode == 2 and "already has its requests" in again.stderr
