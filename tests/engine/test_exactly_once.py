"""Exactly-once submission: a crash between "provider accepted" and "we recorded it"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from adapters.base import BatchRequest
from store.model import BatchStatus
from tests.engine.conftest import anthropic_lines, make_engine, openai_lines, write_jsonl

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


async def test_a_crash_after_the_provider_accepted_never_submits_twice(emulator, store, tmp_path):
    """The submit process dies right after OpenAI accepted the batch; the restart finds the
    batch by our token instead of sending it again."""
    db = tmp_path / "batchdeck.db"
    path = write_jsonl(tmp_path / "in.jsonl", openai_lines(12))
    env = {**os.environ, "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": emulator.base_url_openai,
           "BATCHDECK_CRASH_AT": "after_provider_accept"}
    crashed = run_cli(["--db", str(db), "submit", str(path), "--provider", "openai"], env)
    assert crashed.returncode == 75
    assert len(emulator.state()["batches"]) == 1
    [intent] = store.pending_intents()
    assert intent.status == BatchStatus.SUBMITTING and intent.provider_batch_id is None

    engine = make_engine(store, emulator)
    report = await engine.sync_once()
    await engine.aclose()
    assert report.reconciled == [intent.id]
    batch = store.get_batch(intent.id)
    [remote_id] = [b["id"] for b in emulator.state()["batches"]]
    assert batch.provider_batch_id == remote_id
    assert len(emulator.state()["batches"]) == 1
    assert store.pending_intents() == []
    [event] = store.events(action="submit.reconciled")
    assert event.details["reconciled_by"] == "token"


async def test_anthropic_intents_are_matched_by_time_window_and_request_count(engine, store, emulator):
    """Anthropic keeps no metadata: the intent is matched to the batch created just after it
    with the same number of requests, never to someone else's batch of another size."""
    from console.engine import submit

    adapter = engine.adapter("anthropic")
    other = await adapter.create_batch(
        [BatchRequest(f"x{i}", r["params"]) for i, r in enumerate(anthropic_lines(3))],
        endpoint="/v1/messages", model=None, metadata={})
    items = [(r["custom_id"], json.dumps(r["params"])) for r in anthropic_lines(5)]
    batch_id, token = submit.record(engine, provider="anthropic", profile=None, endpoint="/v1/messages",
                                    model=None, label=None, deadline=None, job_id="j1", parent_id=None,
                                    items=items)
    # The provider accepts, then the process "dies" before attach_remote.
    ours = await adapter.create_batch([BatchRequest(c, json.loads(b)) for c, b in items],
                                      endpoint="/v1/messages", model=None, metadata={})
    assert await engine.reconcile_intents() == [batch_id]
    assert store.get_batch(batch_id).provider_batch_id == ours.provider_batch_id
    assert store.get_batch(other.provider_batch_id) is None
    assert len(emulator.state()["batches"]) == 2
    [event] = store.events(action="submit.reconciled")
    assert event.details["reconciled_by"] == "window"


async def test_an_intent_the_provider_never_received_is_sent_once_after_the_grace_period(engine, store, emulator):
    from console.engine import submit

    items = [(r["custom_id"], json.dumps(r["body"])) for r in openai_lines(4)]
    batch_id, _ = submit.record(engine, provider="openai", profile=None, endpoint="/v1/chat/completions",
                                model="gpt-6-luna", label=None, deadline=None, job_id="j2",
                                parent_id=None, items=items)
    # Young intent: another process may still be submitting it. Leave it alone.
    assert await engine.reconcile_intents() == []
    assert len(emulator.state()["batches"]) == 0
    emulator.advance(engine.intent_grace + 1)
    assert await engine.reconcile_intents() == [batch_id]
    assert await engine.reconcile_intents() == []
    assert len(emulator.state()["batches"]) == 1
    assert store.get_batch(batch_id).provider_batch_id == emulator.state()["batches"][0]["id"]
    assert len(store.events(action="submit.resent")) == 1


async def test_an_intent_whose_items_do_not_add_up_is_abandoned_never_sent(engine, store, emulator):
    """An intent recorded without (all of) its items — by a process killed mid-record before
    intent and items were one transaction — is never sent short or empty: it is marked failed
    with the reason, and the audit log says so."""
    items = [(r["custom_id"], json.dumps(r["body"])) for r in openai_lines(5)]
    batch_id = store.record_intent(provider="openai", profile="default", endpoint="/v1/chat/completions",
                                   model="gpt-6-luna", label=None, deadline=None, job_id="j3",
                                   parent_id=None, submitted_by="t@h", submit_token="tok-short",
                                   request_count=5, now=emulator.now())
    store.add_items(batch_id, items[:2], model="gpt-6-luna")
    emulator.advance(engine.intent_grace + 1)
    assert await engine.reconcile_intents() == []
    assert emulator.state()["batches"] == []
    batch = store.get_batch(batch_id)
    assert batch.status == BatchStatus.FAILED and batch.provider_batch_id is None
    assert "recorded 5 requests but only 2 were stored" in batch.errors
    assert store.pending_intents() == []
    assert store.count_items(batch_id, status="pending") == 0
    [event] = store.events(action="submit.abandoned")
    assert event.target == str(batch_id)
    assert event.details["recorded_requests"] == 5 and event.details["stored_requests"] == 2
    assert await engine.reconcile_intents() == [] and emulator.state()["batches"] == []


async def test_an_intent_and_its_items_are_recorded_in_one_transaction(engine, store, monkeypatch):
    from console.engine import submit

    items = [(r["custom_id"], json.dumps(r["body"])) for r in openai_lines(4)]

    def fail(*args, **kwargs):
        raise RuntimeError("killed while writing items")

    monkeypatch.setattr(type(store), "add_items", fail)
    try:
        submit.record(engine, provider="openai", profile=None, endpoint="/v1/chat/completions",
                      model="gpt-6-luna", label=None, deadline=None, job_id="j4", parent_id=None,
                      items=items)
    except RuntimeError:
        pass
    assert store.pending_intents() == [] and store.list_batches() == []


async def test_submit_writes_the_submit_event_in_the_attach_transaction(engine, store, emulator, tmp_path,
                                                                       monkeypatch):
    """If the audit write fails, the attach is rolled back with it: never a provider batch
    without its audit record (the intent is then reconciled by token and recorded)."""
    path = write_jsonl(tmp_path / "in.jsonl", openai_lines(3))
    real = type(store).append_event

    def failing(self, action, *args, **kwargs):
        if action == "submit":
            raise RuntimeError("killed before the audit event")
        return real(self, action, *args, **kwargs)

    monkeypatch.setattr(type(store), "append_event", failing)
    try:
        await engine.submit(path, provider="openai", model=None, deadline=None, label=None,
                            endpoint=None, profile=None)
    except RuntimeError:
        pass
    monkeypatch.setattr(type(store), "append_event", real)
    [intent] = store.pending_intents()
    assert intent.provider_batch_id is None
    assert await engine.reconcile_intents() == [intent.id]
    [event] = store.events(action="submit.reconciled")
    assert event.details["provider_batch_id"] == store.get_batch(intent.id).provider_batch_id


async def test_an_intent_resent_after_a_crash_asks_for_the_window_submit_was_given(emulator, store, tmp_path):
    """`submit --window 7d` dies after recording the intent and before calling the provider;
    the sync that sends the intent later asks for 7d, not the provider's default 24h."""
    from tests.providers.test_openai_family import MODELS

    db = tmp_path / "batchdeck.db"
    path = write_jsonl(tmp_path / "in.jsonl", openai_lines(5, model=MODELS["groq"]))
    env = {**os.environ, "GROQ_API_KEY": "test-key", "GROQ_BASE_URL": emulator.base_url_for("groq"),
           "BATCHDECK_CRASH_AT": "before_provider_call"}
    crashed = run_cli(["--db", str(db), "submit", str(path), "--provider", "groq", "--window", "7d", "--yes"], env)
    assert crashed.returncode == 75, crashed.stderr
    assert emulator.state()["batches"] == []  # the provider never heard of it
    [intent] = store.pending_intents()
    assert intent.completion_window == "7d"

    engine = make_engine(store, emulator)
    # The CLI stamped the intent with the wall clock, some seconds after the emulator's clock
    # started: step well past the grace period so the sync sends it.
    emulator.advance(engine.intent_grace + 600)
    report = await engine.sync_once()
    await engine.aclose()
    assert report.reconciled == [intent.id]
    [remote] = emulator.state()["batches"]
    assert emulator.emulator.state.batches[remote["id"]].completion_window == "7d"
    batch = store.get_batch(intent.id)
    assert batch.expires_at - batch.created_at > 6 * 24 * 3600
    assert len(store.events(action="submit.resent")) == 1


async def test_a_submit_still_uploading_past_the_grace_is_not_sent_again_by_another_sync(store, emulator):
    """A submit records its intent and is still uploading when the intent passes the grace
    period (a big file, a 429 storm): a sync in another engine on the same store (a console, a
    cron `sync`) must leave it alone, because the submit run holds its send claim. Exactly one
    batch reaches the provider, and the run that recorded it attaches it."""
    from console.engine import submit
    from store.claims import new_owner

    submitter = make_engine(store, emulator)
    syncer = make_engine(store, emulator)  # another process's engine: its own claim owner
    owner = new_owner()
    items = [(r["custom_id"], json.dumps(r["body"])) for r in openai_lines(6)]
    batch_id, token = submit.record(submitter, provider="openai", profile=None, endpoint="/v1/chat/completions",
                                    model="gpt-6-luna", label=None, deadline=None, job_id="j-slow",
                                    parent_id=None, items=items, owner=owner)
    emulator.advance(syncer.intent_grace + 30)  # the upload is still going
    assert await syncer.reconcile_intents() == []
    assert emulator.state()["batches"] == []
    remote = await submit.send(submitter, batch_id, token, provider="openai", profile=None,
                               endpoint="/v1/chat/completions", model="gpt-6-luna", job_id="j-slow",
                               items=items, event="submit", details={}, owner=owner)
    assert remote is not None
    assert len(emulator.state()["batches"]) == 1
    assert store.get_batch(batch_id).provider_batch_id == remote.provider_batch_id
    assert await syncer.reconcile_intents() == []
    assert len(emulator.state()["batches"]) == 1
    await submitter.aclose()
    await syncer.aclose()


async def test_a_submit_whose_claim_was_taken_sends_nothing_and_says_so(store, emulator):
    """If a submit run's claim lapsed and a sync took the intent, the submit run does not send
    it too: it records `submit.skipped` and reports the batch as awaiting confirmation."""
    from console.engine import submit
    from store.claims import new_owner

    submitter = make_engine(store, emulator)
    owner = new_owner()
    items = [(r["custom_id"], json.dumps(r["body"])) for r in openai_lines(3)]
    batch_id, token = submit.record(submitter, provider="openai", profile=None, endpoint="/v1/chat/completions",
                                    model="gpt-6-luna", label=None, deadline=None, job_id="j-lapsed",
                                    parent_id=None, items=items, owner=owner)
    emulator.advance(submit.SEND_LEASE + 1)  # this run's lease lapses ...
    now = emulator.now()
    # ... and another host takes it:
    assert store.claim_intent(batch_id, owner="elsewhere:1:x", until=now + 600, now=now)
    remote = await submit.send(submitter, batch_id, token, provider="openai", profile=None,
                               endpoint="/v1/chat/completions", model="gpt-6-luna", job_id="j-lapsed",
                               items=items, owner=owner)
    assert remote is None
    assert emulator.state()["batches"] == []
    [event] = store.events(action="submit.skipped")
    assert event.target == str(batch_id)
    await submitter.aclose()
