""""Needs attention" means action is needed now: handled failures stop counting, the header
and the list agree, every reason is said in words, and `show --failed` says where they went."""

from __future__ import annotations

import subprocess
import sys

from console.engine.batch_facts import AttentionContext, attention
from store.model import Batch, BatchStatus, RequestCounts
from tests.engine.test_actions import submitted
from tests.reliability.helpers import ROOT

NOW = 1_800_000_000.0


def ctx_of(store, warn: float = 7200.0, failing=frozenset()) -> AttentionContext:
    return AttentionContext(warn=warn, waiting=store.failures_waiting_by_batch(), failing=failing)


async def test_resubmitted_failures_stop_needing_attention_and_show_says_where_they_went(
        engine, store, emulator, tmp_path):
    a, _ = await submitted(engine, store, emulator, tmp_path, n=20, error_rate=0.5, retryable_share=1.0)
    emulator.advance(6 * 3600)
    await engine.sync_once()
    now = emulator.emulator.now()
    batch = store.get_batch(a)
    waiting = store.failures_waiting_by_batch()
    assert waiting[a] > 0 and store.fleet_totals(now=now).failures_waiting == sum(waiting.values())
    [why] = [r.why for r in attention(batch, now, ctx_of(store)) if r.tag == "failures"]
    assert why == f"{waiting[a]:,} failure{'' if waiting[a] == 1 else 's'} waiting"
    result = await engine.resubmit(a)
    [child] = result.new_batch_ids
    after = store.failures_waiting_by_batch()
    assert a not in after and store.fleet_totals(now=now).failures_waiting == sum(after.values())
    assert [r.tag for r in attention(store.get_batch(a), now, ctx_of(store))] == []
    # The provider still reports those failures on the batch; only the store knows they were handled.
    assert store.get_batch(a).counts.errored > 0
    show = subprocess.run([sys.executable, "-m", "console.cli", "--db", str(store.path), "show", str(a), "--failed"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert show.returncode == 0, show.stderr
    assert f"items resubmitted to batch {child}" in show.stdout


def test_each_reason_says_why():
    b = Batch(id=3, provider="openai", status=BatchStatus.IN_PROGRESS, profile="prod",
              counts=RequestCounts(total=100, succeeded=40, processing=60),
              created_at=NOW - 20 * 3600, started_at=NOW - 20 * 3600, expires_at=NOW + 3600)
    reasons = attention(b, NOW, AttentionContext(warn=7200, failing=frozenset({("openai", "prod")})))
    assert [(r.tag, r.why) for r in reasons] == [
        ("near expiry", "60 pending, 1h 00m to expiry"),
        ("at risk", "deadline at risk"),
        ("provider failing", "openai:prod failing"),
    ]
    done = Batch(id=4, provider="openai", status=BatchStatus.COMPLETED, counts=RequestCounts(total=5, succeeded=5),
                 ingested_at=NOW - 10)
    assert attention(done, NOW, AttentionContext(waiting={})) == []
