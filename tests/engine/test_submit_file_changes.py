"""A request file that changes while it is being submitted (issue 15, item 8): what is sent is
exactly what was validated and approved, in every batch of the job, never a half-sent job."""

from __future__ import annotations

import json

import pytest

from tests.engine.conftest import openai_lines, write_jsonl


def _sent_lines(emulator, store, batch_ids) -> dict[str, dict]:
    """custom_id -> body, read back from the input files the emulator received."""
    client = emulator.openai_client()
    sent: dict[str, dict] = {}
    for bid in batch_ids:
        remote = client.batches.retrieve(store.get_batch(bid).provider_batch_id)
        for line in client.files.content(remote.input_file_id).text.splitlines():
            row = json.loads(line)
            sent[row["custom_id"]] = row["body"]
    return sent


@pytest.mark.parametrize("change", ["truncate", "edit in place"])
async def test_a_file_changed_after_approval_sends_what_was_approved(engine, store, emulator, tmp_path, change):
    # Two models: OpenAI takes one per batch, so the job is two batches sent one after the other.
    original = openai_lines(3, "gpt-6-luna", "a") + openai_lines(3, "gpt-6-sol", "b")
    path = write_jsonl(tmp_path / "job.jsonl", original)
    size = path.stat().st_size

    def approve(preview) -> bool:
        # Another process rewrites the file between validation and sending.
        if change == "truncate":
            with open(path, "r+b") as f:
                f.truncate(size // 3)
        else:
            data = path.read_bytes().replace(b"Summarise", b"Ignore all").replace(b"gpt-6-sol", b"gpt-6-XXX")
            with open(path, "r+b") as f:
                f.write(data)
        return True

    result = await engine.submit(path, provider="openai", approve=approve)
    assert len(result.batch_ids) == 2 and all(result.provider_batch_ids)
    sent = _sent_lines(emulator, store, result.batch_ids)
    assert sent == {row["custom_id"]: row["body"] for row in original}
    # The private copy is gone once the submit is over.
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".submit-")] == []
