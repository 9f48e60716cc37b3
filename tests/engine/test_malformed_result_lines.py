"""A provider result line with wrong types never stops the rest of the file from ingesting."""

from __future__ import annotations

import json

from adapters import registry
from adapters.result_lines import read_results
from store.model import ErrorClass, ItemStatus
from tests.engine.test_ingest import anthropic_ok, openai_ok


def write(path, rows) -> None:
    path.write_bytes(b"".join(
        (r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in rows))


def test_openai_lines_with_wrong_types_are_flagged_and_the_rest_parse(tmp_path):
    path = tmp_path / "out.jsonl"
    write(path, [openai_ok(0), {"custom_id": "bad-1", "response": None, "error": 1},
                 {"custom_id": 7, "response": [], "error": []}, openai_ok(2)])
    results = list(read_results(registry.get("openai"), path))  # parsing needs no client or key
    by_id = {r.custom_id: r for r in results}
    assert by_id[openai_ok(0)["custom_id"]].status is ItemStatus.SUCCEEDED
    assert by_id[openai_ok(2)["custom_id"]].status is ItemStatus.SUCCEEDED
    bad = by_id["bad-1"]
    assert (bad.status, bad.error_type, bad.error_class) == (
        ItemStatus.ERRORED, "malformed_result", ErrorClass.RETRYABLE)
    # A numeric custom_id with empty lists is still readable: an error, with the id as text.
    assert by_id["7"].status is ItemStatus.ERRORED and len(results) == 4


def test_anthropic_result_that_is_not_an_object_is_flagged(tmp_path):
    path = tmp_path / "out.jsonl"
    write(path, [anthropic_ok(0), {"custom_id": "bad-2", "result": [1, 2]}, anthropic_ok(1)])
    results = {r.custom_id: r for r in read_results(registry.get("anthropic"), path)}
    assert results["bad-2"].error_type == "malformed_result"
    assert sum(r.status is ItemStatus.SUCCEEDED for r in results.values()) == 2
