"""The promoted answers file survives a kill mid-write: the torn line is skipped and the next
answer starts a line of its own, whatever byte the kill stopped at."""

from __future__ import annotations

import json

import pytest

from console.engine import kept_answers
from store.model import PriceTier

ANSWER = json.dumps({"id": "chatcmpl-1", "model": "gpt-6-luna", "choices": [],
                     "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}})


@pytest.mark.parametrize("torn", [b'{"custom_id":"a","tier":"def', b'{"custom_id":"a","response":{"t":"caf\xc3'],
                         ids=["ascii", "inside a utf-8 character"])
def test_the_answer_after_a_torn_line_is_kept_whole(tmp_path, torn):
    path = tmp_path / "promoted.jsonl"
    path.write_bytes(kept_answers.line("z", reported_tier=None, paid_tier=PriceTier.FLEX, raw=ANSWER).encode()
                     + torn)
    with kept_answers.open_for_append(path, 1) as f:
        f.write(kept_answers.line("b", reported_tier="default", paid_tier=PriceTier.STANDARD, raw=ANSWER))
    kept = kept_answers.read(path)
    assert set(kept) == {"z", "b"}
    assert kept["b"].tier is PriceTier.STANDARD and json.loads(kept["b"].raw)["usage"]["completion_tokens"] == 2
    assert kept_answers.custom_ids(path) == {"z", "a", "b"}  # the cheap scan; `read` is what vouches


def test_only_one_promote_holds_the_file(tmp_path):
    path = tmp_path / "promoted.jsonl"
    with kept_answers.open_for_append(path, 7):
        with pytest.raises(kept_answers.PromoteRunning, match="another promote of batch #7 is running"):
            kept_answers.open_for_append(path, 7)
        with kept_answers.unless_promoting(path) as free:
            assert not free
    with kept_answers.unless_promoting(path) as free:
        assert free


def test_a_line_written_before_paid_tier_existed_is_still_read(tmp_path):
    path = tmp_path / "promoted.jsonl"
    old = {"custom_id": "old", "tier": "default", "response": json.loads(ANSWER)}
    path.write_text(json.dumps(old, separators=(",", ":")) + "\n")
    assert kept_answers.read(path)["old"].tier is PriceTier.STANDARD
    assert kept_answers.responses(path)["old"]["id"] == "chatcmpl-1"
