"""Issue 15, items 5 and 6: promote tells the truth, and every refused or failed action is audited."""

from __future__ import annotations

import pytest

from console.engine.types import BadInput, ReadOnly
from store.model import BatchStatus, ItemStatus
from tests.engine.conftest import make_engine, openai_lines, write_jsonl

HOUR = 3600.0


async def submitted(engine, tmp_path, n: int = 6, max_tokens: int = 64, name: str = "in") -> int:
    lines = openai_lines(n)
    for line in lines:
        line["body"]["max_tokens"] = max_tokens
    path = write_jsonl(tmp_path / f"{name}.jsonl", lines)
    return (await engine.submit(path, provider="openai")).batch_ids[0]


async def test_promote_plans_from_the_provider_now_and_never_offers_finished_items(engine, store, emulator, tmp_path):
    a = await submitted(engine, tmp_path)
    emulator.advance(6 * HOUR)  # the batch ended at the provider; no sync has seen it
    assert store.count_items(a, status="pending") == 6
    note = await engine.refresh_batch(a)
    assert note is None
    est = engine.estimate_promotion(a)
    assert est.items == 0 and "no pending items" in est.summary
    with pytest.raises(BadInput, match="no pending items"):
        await engine.promote(a)


async def test_the_estimate_names_the_expected_cost_and_the_ceiling_and_the_running_copies(engine, store, tmp_path):
    a = await submitted(engine, tmp_path, max_tokens=4000)
    est = engine.estimate_promotion(a, tier="standard")
    assert est.expected_cost is not None and est.ceiling_cost is not None
    assert est.expected_cost < est.ceiling_cost  # 256 expected output tokens vs 4,000 allowed
    assert f"expected cost ${est.expected_cost:.4f}" in est.summary
    # Changed on purpose (branch ceilings): the ceiling is the bound of console.engine.ceiling.
    assert f"ceiling ${est.ceiling_cost:.4f} (the most it can bill: every output limit used in full" in est.summary
    assert est.ceiling_unbounded == 0 and est.ceiling_bounded_cost == est.ceiling_cost
    assert "keep running at the provider and are billed too" in est.summary
    assert est.batch_copies_running == 6 and est.cancel_offered
    assert "--cancel-batch" in est.summary
    partial = engine.estimate_promotion(a, custom_ids=["req-0"])
    assert not partial.cancel_offered  # five pending items would still run in the batch


async def test_the_ceiling_is_never_less_than_what_the_promote_is_billed(engine, store, tmp_path):
    """The ceiling is a bound: the emulator bills each answer's real usage, and what the
    promote paid at the tier never passes the ceiling named before it asked."""
    a = await submitted(engine, tmp_path, n=12, max_tokens=300)
    for tier in ("flex", "priority"):
        est = engine.estimate_promotion(a, custom_ids=[f"req-{i}" for i in range(6)] if tier == "flex" else None,
                                        tier=tier)
        assert est.ceiling_cost is not None and est.ceiling_unbounded == 0
        assert est.ceiling_cost == est.tier_ceilings[tier]
        result = await engine.promote(a, custom_ids=[f"req-{i}" for i in range(6)] if tier == "flex" else None,
                                      tier=tier)
        assert result.promoted == est.items == 6
        assert result.cost is not None and 0 < result.cost <= est.ceiling_cost
        assert est.expected_cost is not None and est.expected_cost <= est.ceiling_cost


async def test_an_item_without_max_tokens_has_no_ceiling_and_the_estimate_says_so(engine, store, tmp_path):
    lines = openai_lines(6)
    for line in lines[:4]:
        line["body"]["max_tokens"] = 100
    for line in lines[4:]:
        del line["body"]["max_tokens"]
    batch = (await engine.submit(write_jsonl(tmp_path / "mixed.jsonl", lines), provider="openai")).batch_ids[0]
    est = engine.estimate_promotion(batch, tier="standard")
    assert est.ceiling_cost is None  # no bound for the whole promote, never a guess
    assert est.ceiling_unbounded == 2 and est.ceiling_reasons == {"no max_tokens": 2}
    assert est.ceiling_bounded_cost is not None and est.ceiling_bounded_cost > 0
    assert est.expected_cost is not None  # the expected figure is still there
    assert (f"ceiling: none for 2 of 6 items (no max_tokens); ${est.ceiling_bounded_cost:.4f} for the other 4"
            in est.summary)
    only = engine.estimate_promotion(batch, custom_ids=["req-4", "req-5"])
    assert only.ceiling_cost is None and "ceiling: none for all 2 items (no max_tokens)" in only.summary


async def test_the_expected_output_is_learned_from_the_batchs_finished_items(engine, store, emulator, tmp_path):
    a = await submitted(engine, tmp_path, n=8, max_tokens=4000)
    emulator.batch_faults(store.get_batch(a).provider_batch_id, error_rate=0.5, retryable_share=1.0)
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    failed = [i.custom_id for i in store.page_items(a, offset=0, limit=8) if i.status == ItemStatus.ERRORED]
    outs = [i.usage.output_tokens for i in store.page_items(a, offset=0, limit=8, status="succeeded")]
    assert failed and outs
    est = engine.estimate_promotion(a, custom_ids=failed)
    assert f"{round(sum(outs) / len(outs)):,} output tokens per item, the mean of this batch's finished items" \
        in est.summary


async def test_cancel_batch_cancels_first_when_every_pending_item_is_promoted(engine, store, emulator, tmp_path):
    a = await submitted(engine, tmp_path)
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:  # the batch's count moves as items complete
        seen.append((done, store.get_batch(a).promoted))

    result = await engine.promote(a, cancel_batch=True, on_progress=progress)
    assert result.promoted == 6 and "cancelled first" in result.summary
    assert BatchStatus(store.get_batch(a).status) in (BatchStatus.CANCELING, BatchStatus.CANCELED)
    assert [e.details["pending_items"] for e in store.events(action="cancel")] == [6]
    assert [promoted for _, promoted in seen] == [done for done, _ in seen] == list(range(1, 7))


async def test_refused_and_failed_actions_are_audit_events(engine, store, emulator, tmp_path):
    a = await submitted(engine, tmp_path, n=3)
    emulator.advance(6 * HOUR)
    await engine.sync_once()  # ended
    with pytest.raises(BadInput):
        await engine.cancel(a)
    [refused] = store.events(action="cancel.refused")
    assert refused.target == str(a) and "nothing to cancel" in refused.details["reason"]
    b = await submitted(engine, tmp_path, n=2, name="b")
    emulator.set_faults(http_500_rate=1.0)  # every call fails, beyond the retries
    result = await engine.promote(b)
    assert result.promoted == 0 and len(result.failed) == 2
    [failed] = store.events(action="promote.failed")
    assert failed.target == str(b) and failed.details["items"] == 2


async def test_a_read_only_refusal_is_an_audit_event(store, emulator, tmp_path):
    engine = make_engine(store, emulator, read_only=True)
    with pytest.raises(ReadOnly):
        await engine.promote(1)
    [event] = store.events(action="promote.refused")
    assert event.details == {"reason": "read-only"} and event.actor == "tester@host"


async def test_a_named_item_finished_since_the_estimate_is_skipped_and_said_so(engine, store, emulator, tmp_path):
    a = await submitted(engine, tmp_path, n=3)
    assert engine.estimate_promotion(a, custom_ids=["req-0"]).items == 1  # pending at the estimate
    emulator.advance(6 * HOUR)  # ...then the batch finishes it before the operator confirms
    calls = emulator.state()["calls"]
    result = await engine.promote(a, custom_ids=["req-0"])
    assert result.promoted == 0 and result.skipped == {"already finished in the batch": 1}
    assert "1 skipped (1 already finished in the batch)" in result.summary
    assert store.events(action="promote.refused")[0].details["skipped"] == {"already finished in the batch": 1}
    assert emulator.state()["calls"] - calls <= 3  # the refresh (poll + download), nothing bought
    assert store.find_items(a, ["req-0"])[0].status == ItemStatus.SUCCEEDED
