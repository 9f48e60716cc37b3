"""Alerts end to end: the emulator's clock and faults drive each rule from start to resolved,
through a real apprise target (json:// to an HTTP receiver on 127.0.0.1) and an exec target."""

from __future__ import annotations

import contextlib
import json

import pytest

from console.engine import alerts
from store import Store
from store.config import load_config
from tests.engine.alert_fixtures import exec_alerts, exec_sink, receiving, write_config
from tests.engine.conftest import anthropic_lines, make_engine, openai_lines, write_jsonl
from tests.engine.test_discover import keys, other_client_anthropic_batch, other_client_openai_batch  # noqa: F401

HOUR = 3600.0


@pytest.fixture
def receiver():
    with receiving() as r:
        yield r


def configure(engine, tmp_path, receiver, extra: str = "", **top: object):
    target, out = exec_sink(tmp_path)
    settings = "\n".join(f"{k} = {json.dumps(v)}" for k, v in top.items())
    path = write_config(tmp_path, f"""
        [alerts]
        targets = ["{receiver.url}", "{target}"]
        hold_down_minutes = 0
        {settings}
        {extra}
        """)
    engine.config = load_config(path)
    return out


@contextlib.asynccontextmanager
async def restarted(engine, emulator):
    """A new process on the same store file: the old engine closed, a new store and engine
    with the same config (what a restart of `batchdeck sync` amounts to)."""
    path = engine.store.path
    await engine.aclose()
    again = Store.open(path)
    engine2 = make_engine(again, emulator)
    engine2.config = engine.config
    try:
        yield again, engine2
        await engine2.aclose()
    finally:
        again.close()


async def submit(engine, tmp_path, provider: str, n: int, name: str, **kw) -> int:
    lines = openai_lines(n, prefix=name) if provider == "openai" else anthropic_lines(n, prefix=name)
    result = await engine.submit(write_jsonl(tmp_path / f"{name}.jsonl", lines), provider=provider, **kw)
    return result.batch_ids[0]


async def test_expired_batch_fires_once_survives_a_restart_and_resolves_after_resubmit(
        engine, store, emulator, tmp_path, receiver):
    out = configure(engine, tmp_path, receiver)
    a = await submit(engine, tmp_path, "openai", 40, "a", label="billing-extract")
    emulator.batch_faults(store.get_batch(a).provider_batch_id, expire=0.25)
    await engine.sync_once()
    assert receiver.bodies == []
    emulator.advance(25 * HOUR)
    await engine.sync_once()
    kinds = sorted(a["rule"] for a in exec_alerts(out))
    assert kinds == ["batch_failed", "retryable_failures"]
    fired = {a["rule"]: a for a in exec_alerts(out)}["retryable_failures"]
    assert fired["event"] == "firing"
    assert fired["batch"]["id"] == a and fired["batch"]["label"] == "billing-extract"
    assert fired["batch"]["provider"] == "openai" and fired["batch"]["provider_batch_id"]
    assert fired["commands"][0] == f"batchdeck resubmit {a}"
    expired = len(store.failed_items(a))
    assert 0 < expired < 40 and fired["numbers"]["retryable_failures"] == expired
    assert fired["cost"]["usd"] > 0 and "$" in fired["cost"]["what"]
    assert len(receiver.bodies) == 2
    http = {b["title"] for b in receiver.bodies}
    assert any(t.startswith("batchdeck ALERT:") and f"{expired} retryable failures" in t for t in http)
    assert any(f"run: batchdeck resubmit {a}" in b["message"] for b in receiver.bodies)

    # A restart in the middle: a new process (store and engine) sends nothing again.
    await engine.sync_once()
    async with restarted(engine, emulator) as (again, engine2):
        await engine2.sync_once()
        await alerts.check(engine2)
        assert len(receiver.bodies) == 2 and len(exec_alerts(out)) == 2

        # Acting on it ends it: the failed items are resubmitted, both conditions resolve.
        await engine2.resubmit(a)
        await engine2.sync_once()
        assert sorted((x["rule"], x["event"]) for x in exec_alerts(out)[2:]) == [
            ("batch_failed", "resolved"), ("retryable_failures", "resolved")]
        assert len(receiver.bodies) == 4
        assert all(b["title"].startswith("batchdeck RESOLVED:") for b in receiver.bodies[2:])
        actions = [e.action for e in again.events(limit=500) if e.action.startswith("alert.")]
        assert sorted(actions) == ["alert.firing", "alert.firing", "alert.resolved", "alert.resolved"]


async def test_pending_items_near_expiry_alert_with_promote_command_and_cost(
        engine, store, emulator, tmp_path, receiver):
    out = configure(engine, tmp_path, receiver, extra="[alerts.rules.expiry_soon]\nhours = 2")
    a = await submit(engine, tmp_path, "openai", 10, "a")
    emulator.batch_faults(store.get_batch(a).provider_batch_id, expire=0.5)  # half never finish
    await engine.sync_once()
    emulator.advance(21 * HOUR)
    await engine.sync_once()
    assert exec_alerts(out) == []  # 3 h left: over the 2 h threshold
    emulator.advance(1.5 * HOUR)
    await engine.sync_once()
    [fired] = exec_alerts(out)
    assert (fired["rule"], fired["event"]) == ("expiry_soon", "firing")
    assert fired["commands"][0] == f"batchdeck promote {a} --tier flex"
    pending = fired["numbers"]["pending"]
    assert 0 < pending < 10
    # Results arrive only when the batch ends, so every item is still pending here: all ten would go.
    assert "promoting 10 pending items at flex costs about $0.0" in fired["cost"]["what"]
    emulator.advance(2 * HOUR)
    await engine.sync_once()  # the window closes: nothing pending any more, resolved
    assert [(x["rule"], x["event"]) for x in exec_alerts(out) if x["rule"] == "expiry_soon"] == [
        ("expiry_soon", "firing"), ("expiry_soon", "resolved")]


async def test_deadline_at_risk_fires_and_resolves_when_the_batch_ends(engine, store, emulator, tmp_path, receiver):
    out = configure(engine, tmp_path, receiver)
    emulator.set_faults(duration=3 * HOUR)
    a = await submit(engine, tmp_path, "anthropic", 10, "a", label="nightly-evals",
                     deadline=emulator.emulator.now() + 2 * HOUR)
    await engine.sync_once()
    emulator.advance(0.5 * HOUR)
    await engine.sync_once()
    assert exec_alerts(out) == []  # a quarter of the time gone: not judged yet
    emulator.advance(0.75 * HOUR)
    await engine.sync_once()
    [fired] = exec_alerts(out)
    assert (fired["rule"], fired["event"]) == ("deadline_risk", "firing")
    assert fired["commands"][0].startswith(f"batchdeck promote {a} --tier ")
    assert fired["cost"]["usd"] is not None
    emulator.advance(2 * HOUR)
    await engine.sync_once()
    assert [(x["rule"], x["event"]) for x in exec_alerts(out)] == [
        ("deadline_risk", "firing"), ("deadline_risk", "resolved")]


async def test_label_filters_let_nightly_runs_fail_quietly(engine, store, emulator, tmp_path, receiver):
    out = configure(engine, tmp_path, receiver, extra="""
        [alerts.rules.batch_failed]
        exclude_labels = ["nightly-*"]
        [alerts.rules.retryable_failures]
        enabled = false
        """)
    quiet = await submit(engine, tmp_path, "openai", 20, "q", label="nightly-evals")
    loud = await submit(engine, tmp_path, "openai", 20, "l", label="billing-extract")
    for b in (quiet, loud):
        emulator.batch_faults(store.get_batch(b).provider_batch_id, expire=0.5)
    emulator.advance(25 * HOUR)
    await engine.sync_once()
    assert [(x["rule"], x["batch"]["id"]) for x in exec_alerts(out)] == [("batch_failed", loud)]


async def test_provider_refusing_for_minutes_fires_then_resolves(engine, store, emulator, tmp_path, receiver):
    out = configure(engine, tmp_path, receiver, extra="[alerts.rules.provider_down]\nminutes = 10")
    await submit(engine, tmp_path, "openai", 5, "a")
    await engine.sync_once()
    emulator.advance(60)
    emulator.set_faults(http_500_rate=1.0, retry_after=1)
    await engine.sync_once()
    emulator.advance(5 * 60)
    await engine.sync_once()
    assert exec_alerts(out) == []  # refusing for 5 min: under the 10 min threshold
    emulator.advance(6 * 60)
    await engine.sync_once()
    [fired] = exec_alerts(out)
    assert (fired["rule"], fired["event"]) == ("provider_down", "firing")
    assert fired["key"] == "provider_down:provider:openai/default"
    assert "openai (default) unreachable for 11m" in fired["title"]
    emulator.set_faults(http_500_rate=0.0)
    await engine.sync_once()
    assert [x["event"] for x in exec_alerts(out)] == ["firing", "resolved"]


async def test_a_stale_heartbeat_is_noticed_by_alerts_check_and_cleared_by_a_pass(
        engine, store, emulator, tmp_path, receiver):
    out = configure(engine, tmp_path, receiver)
    await engine.sync_once()
    emulator.advance(9 * 60)
    await alerts.check(engine)
    assert exec_alerts(out) == []
    emulator.advance(2 * 60)
    await alerts.check(engine)
    await alerts.check(engine)
    [fired] = exec_alerts(out)
    assert (fired["rule"], fired["event"], fired["commands"][0].split()[:2]) == (
        "heartbeat_stale", "firing", ["batchdeck", "sync"])
    await engine.sync_once()
    assert [x["event"] for x in exec_alerts(out)] == ["firing", "resolved"]


async def test_hold_down_keeps_a_flapping_provider_from_paging_twice(engine, store, emulator, tmp_path, receiver):
    out = configure(engine, tmp_path, receiver, extra="""
        [alerts.rules.provider_down]
        minutes = 0
        hold_down_minutes = 10
        """)
    await submit(engine, tmp_path, "openai", 5, "a")
    for _ in range(3):  # down, up, down, up... every two minutes
        emulator.set_faults(http_500_rate=1.0, retry_after=1)
        await engine.sync_once()
        emulator.advance(60)
        emulator.set_faults(http_500_rate=0.0)
        await engine.sync_once()
        emulator.advance(60)
    assert [x["event"] for x in exec_alerts(out)] == ["firing"]
    emulator.advance(10 * 60)
    await engine.sync_once()
    assert [x["event"] for x in exec_alerts(out)] == ["firing", "resolved"]


async def test_repeat_interval_says_it_again_while_it_holds(engine, store, emulator, tmp_path, receiver):
    out = configure(engine, tmp_path, receiver, repeat_minutes=30,
                    extra="[alerts.rules.retryable_failures]\nenabled = false")
    a = await submit(engine, tmp_path, "openai", 20, "a")
    emulator.batch_faults(store.get_batch(a).provider_batch_id, expire=0.5)
    emulator.advance(25 * HOUR)
    await engine.sync_once()
    emulator.advance(20 * 60)
    await engine.sync_once()
    emulator.advance(11 * 60)
    await engine.sync_once()
    await engine.sync_once()
    assert [x["event"] for x in exec_alerts(out)] == ["firing", "repeat"]
    assert any(b["title"].startswith("batchdeck STILL:") for b in receiver.bodies)


async def test_deadline_guard_promotes_on_the_cheapest_tier_within_its_cap(engine, store, emulator, tmp_path, receiver):
    out = configure(engine, tmp_path, receiver, extra="""
        [alerts.deadline_guard]
        enabled = true
        max_per_batch = 1.0
        max_per_day = 1.0
        """)
    emulator.set_faults(duration=3 * HOUR)
    a = await submit(engine, tmp_path, "openai", 12, "a", deadline=emulator.emulator.now() + 2 * HOUR)
    await engine.sync_once()
    emulator.advance(1.25 * HOUR)
    await engine.sync_once()
    [promote] = store.events(action="promote")
    assert promote.target == str(a) and promote.details["tier"] == "flex" and promote.actor == "tester@host"
    [guarded] = store.events(action="deadline_guard.promoted")
    assert guarded.details["spent"] <= guarded.details["claimed"] <= 1.0
    assert guarded.details["promoted"] == promote.details["promoted"] > 0
    events = [(x["rule"], x["event"]) for x in exec_alerts(out)]
    assert ("deadline_guard", "action") in events and ("deadline_risk", "firing") in events
    acted = next(x for x in exec_alerts(out) if x["event"] == "action")
    assert "deadline guard promoted" in acted["title"] and acted["cost"]["usd"] == guarded.details["spent"]
    await engine.sync_once()
    assert len(store.events(action="promote")) == 1  # nothing pending: never twice


async def test_deadline_guard_sends_only_the_items_whose_ceilings_fit_and_says_so(
        engine, store, emulator, tmp_path, receiver):
    from console.engine.alerts.guard import engine_estimator

    emulator.set_faults(duration=3 * HOUR)
    a = await submit(engine, tmp_path, "openai", 12, "a", deadline=emulator.emulator.now() + 2 * HOUR)
    ceilings = sorted(c for c, _ in engine_estimator(engine)(a).at("flex"))
    cap = sum(ceilings[:5]) + ceilings[5] / 2  # room for five items' ceilings, not six
    out = configure(engine, tmp_path, receiver, extra=f"""
        [alerts.deadline_guard]
        enabled = true
        max_per_batch = {cap!r}
        max_per_day = 10.0
        """)
    await engine.sync_once()
    emulator.advance(1.25 * HOUR)
    await engine.sync_once()
    [promote] = store.events(action="promote")
    assert promote.details["tier"] == "flex" and promote.details["items"] == 5
    [guarded] = store.events(action="deadline_guard.promoted")
    assert guarded.details["items"] == 5 and guarded.details["pending"] == 12
    assert guarded.details["left"] == {"over the budget": 7}
    assert guarded.details["spent"] <= guarded.details["claimed"] <= cap
    acted = next(x for x in exec_alerts(out) if x["event"] == "action")
    assert "sent 5 of 12 pending items and left 7 (over the budget)" in acted["why"]


async def test_deadline_guard_declines_over_its_cap_and_says_so_once(engine, store, emulator, tmp_path, receiver):
    out = configure(engine, tmp_path, receiver, extra="""
        [alerts.deadline_guard]
        enabled = true
        max_per_batch = 0.000001
        """)
    emulator.set_faults(duration=3 * HOUR)
    a = await submit(engine, tmp_path, "openai", 12, "a", deadline=emulator.emulator.now() + 2 * HOUR)
    await engine.sync_once()
    emulator.advance(1.25 * HOUR)
    await engine.sync_once()
    await engine.sync_once()
    assert store.events(action="promote") == []
    held = [x for x in exec_alerts(out) if x["rule"] == "deadline_guard"]
    assert [x["event"] for x in held] == ["firing"]
    assert "would pass its budget" in held[0]["why"] and held[0]["numbers"]["max_per_batch_usd"] == 0.000001
    assert held[0]["commands"][0].startswith(f"batchdeck promote {a} --tier ")


async def test_read_only_turns_the_deadline_guard_off(store, emulator, tmp_path, receiver):
    engine = make_engine(store, emulator, read_only=True)
    configure(engine, tmp_path, receiver, extra="[alerts.deadline_guard]\nenabled = true")
    emulator.set_faults(duration=3 * HOUR)
    writable = make_engine(store, emulator)
    await submit(writable, tmp_path, "openai", 12, "a", deadline=emulator.emulator.now() + 2 * HOUR)
    await engine.sync_once()
    emulator.advance(1.25 * HOUR)
    await engine.sync_once()
    assert store.events(action="promote") == [] and store.events(action="deadline_guard.promoted") == []
    assert [e.details["rule"] for e in store.events(action="alert.firing")] == ["deadline_risk"]
    await engine.aclose()
    await writable.aclose()


async def test_an_alerting_failure_never_stops_the_sync_pass(engine, store, emulator, tmp_path, receiver, monkeypatch):
    from console.engine.alerts import rules

    configure(engine, tmp_path, receiver)
    a = await submit(engine, tmp_path, "openai", 5, "a")

    def broken(*args, **kwargs):
        raise RuntimeError("rule bug")

    monkeypatch.setattr(rules, "evaluate", broken)
    emulator.advance(6 * HOUR)
    report = await engine.sync_once()
    assert report.ingested == {a: 5}
    [event] = store.events(action="alert.error")
    assert event.details == {"error": "RuntimeError: rule bug"}


async def test_results_about_to_be_archived_fire_with_the_sync_command_and_resolve_once_ingested(
        engine, store, emulator, tmp_path, receiver, keys, monkeypatch):  # noqa: F811
    monkeypatch.delenv("OPENAI_API_KEY")
    out = configure(engine, tmp_path, receiver)
    pid = other_client_anthropic_batch(emulator, n=3)
    emulator.advance(28.5 * 24 * HOUR)  # a pipeline's batch nobody looked at: 12 h before Anthropic archives it
    await engine.sync_once()  # found by discovery; its results are fetched on the next pass
    batch = store.get_batch(pid)
    assert batch.ingested_at is None and batch.results_until is not None
    [fired] = exec_alerts(out)
    assert (fired["rule"], fired["event"]) == ("results_archiving", "firing")
    assert fired["batch"]["id"] == batch.id and fired["batch"]["provider_batch_id"] == pid
    assert fired["numbers"]["seconds_left"] == 12 * HOUR
    assert fired["commands"] == ["batchdeck sync --once", f"batchdeck show {batch.id}"]
    assert any("run: batchdeck sync --once" in b["message"] for b in receiver.bodies)
    await engine.sync_once()
    assert store.get_batch(pid).ingested_at is not None
    assert [(x["rule"], x["event"]) for x in exec_alerts(out)] == [
        ("results_archiving", "firing"), ("results_archiving", "resolved")]


async def test_inputs_about_to_expire_unread_fire_survive_a_restart_and_resolve_once_read(
        engine, store, emulator, tmp_path, receiver, keys, monkeypatch):  # noqa: F811
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    out = configure(engine, tmp_path, receiver, extra="""
        [alerts.rules.inputs_expiring]
        hours = 24
        exclude_labels = ["scratch-*"]
        """)
    pid = other_client_openai_batch(emulator, n=3, metadata={"label": "billing-extract"})
    quiet = other_client_openai_batch(emulator, n=2, metadata={"label": "scratch-run"})
    emulator.advance(29.5 * 24 * HOUR)  # a pipeline's batches nobody tracked: their input files expire in 12 h
    await engine.track("openai", None, all=True)  # the next pass reads their requests...
    emulator.set_faults(http_500_rate=1.0)  # ...but the provider refuses it
    await engine.sync_once()
    batch = store.get_batch(pid)
    assert batch.inputs == "pending" and store.get_batch(quiet).inputs == "pending"
    [fired] = exec_alerts(out)  # the scratch batch is excluded by its label
    assert (fired["rule"], fired["event"]) == ("inputs_expiring", "firing")
    assert fired["batch"]["id"] == batch.id and fired["batch"]["label"] == "billing-extract"
    assert abs(fired["numbers"]["seconds_left"] - 12 * HOUR) <= 1  # the provider's times are whole seconds
    assert fired["commands"] == ["batchdeck sync --once", f"batchdeck show {batch.id}"]
    assert any("run: batchdeck sync --once" in b["message"] for b in receiver.bodies)

    # A restart while the provider still refuses: a new process says nothing again.
    async with restarted(engine, emulator) as (again, engine2):
        await engine2.sync_once()
        assert len(exec_alerts(out)) == 1 and len(receiver.bodies) == 1
        emulator.set_faults(http_500_rate=0.0)
        await engine2.sync_once()  # reads the requests: the condition ends
        assert again.get_batch(pid).inputs == "read"
        assert [(x["rule"], x["event"]) for x in exec_alerts(out)] == [
            ("inputs_expiring", "firing"), ("inputs_expiring", "resolved")]
        assert receiver.bodies[-1]["title"].startswith("batchdeck RESOLVED:")
