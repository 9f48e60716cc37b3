"""The pure parts of alerts: rules over a snapshot, the once-per-condition transition, the config."""

from __future__ import annotations

from dataclasses import replace

import pytest

from console.engine.alerts.deliver import Target, redact, secret_pieces
from console.engine.alerts.rules import BatchView, ProviderHealth, Snapshot, SyncHealth, evaluate
from console.engine.alerts.state import transition
from store.alert_config import DEFAULT_RULES, AlertRule
from store.config import ConfigError, load_config
from store.model import Batch, BatchStatus, RequestCounts
from tests.engine.alert_fixtures import write_config

NOW = 1_800_000_000.0


def batch(id: int = 1, *, status=BatchStatus.COMPLETED, total=100, succeeded=100, errored=0, expired=0,
          label=None, profile="default", expires_at=None, deadline=None, started_at=NOW - 3600,
          ingested_at=NOW - 60) -> Batch:
    counts = RequestCounts(total=total, succeeded=succeeded, errored=errored, expired=expired,
                           processing=total - succeeded - errored - expired)
    return Batch(id=id, provider="openai", status=status, profile=profile, label=label, counts=counts,
                 expires_at=expires_at, deadline=deadline, started_at=started_at, created_at=started_at,
                 ended_at=NOW - 60 if status in (BatchStatus.COMPLETED, BatchStatus.EXPIRED) else None,
                 ingested_at=ingested_at, provider_batch_id=f"batch_{id}")


def snap(*views: BatchView, health: SyncHealth | None = None) -> Snapshot:
    return Snapshot(NOW, views, health or SyncHealth(last_pass_at=NOW - 5))


def rule(kind: str, **kw) -> AlertRule:
    thresholds = {k: kw.pop(k) for k in ("count", "percent", "hours", "minutes") if k in kw}
    return AlertRule(name=kw.pop("name", kind), kind=kind, thresholds=thresholds, **kw)


def test_retryable_failures_fire_on_the_count_or_the_share_whichever_first():
    r = rule("retryable_failures", count=10, percent=5)
    few = BatchView(batch(total=1000, succeeded=996, errored=4), retryable_failures=4)
    many = BatchView(batch(2, total=1000, succeeded=990, errored=10), retryable_failures=10)
    share = BatchView(batch(3, total=40, succeeded=37, errored=3), retryable_failures=3)
    conds = evaluate([r], snap(few, many, share))
    assert [c.subject for c in conds] == ["batch:2", "batch:3"]
    assert conds[1].numbers == {"retryable_failures": 3, "items": 40, "percent": 7.5}
    assert conds[0].actions[0].verb == "resubmit"


def test_filters_by_profile_label_and_exclusion():
    views = [BatchView(batch(1, status=BatchStatus.EXPIRED, succeeded=50, expired=50, label="nightly-evals"), 50, 50),
             BatchView(batch(2, status=BatchStatus.EXPIRED, succeeded=50, expired=50, label="billing-extract",
                             profile="prod"), 50, 50),
             BatchView(batch(3, status=BatchStatus.EXPIRED, succeeded=50, expired=50), 50, 50)]
    subjects = lambda r: [c.subject for c in evaluate([r], snap(*views))]  # noqa: E731
    assert subjects(rule("batch_failed")) == ["batch:1", "batch:2", "batch:3"]
    assert subjects(rule("batch_failed", exclude_labels=("nightly-*",))) == ["batch:2", "batch:3"]
    assert subjects(rule("batch_failed", labels=("billing-*",))) == ["batch:2"]
    assert subjects(rule("batch_failed", profiles=("prod",))) == ["batch:2"]
    assert subjects(rule("batch_failed", enabled=False)) == []


def test_a_failed_batch_stops_holding_once_its_failures_are_replaced():
    b = batch(status=BatchStatus.EXPIRED, succeeded=60, expired=40)
    assert len(evaluate([rule("batch_failed")], snap(BatchView(b, 40, 40)))) == 1
    assert evaluate([rule("batch_failed")], snap(BatchView(b, 0, 0))) == []


def test_expiry_soon_and_deadline_risk_need_pending_items():
    near = batch(status=BatchStatus.IN_PROGRESS, succeeded=10, expires_at=NOW + 3600, ingested_at=None)
    done = batch(2, status=BatchStatus.IN_PROGRESS, succeeded=100, expires_at=NOW + 3600, ingested_at=None)
    far = batch(3, status=BatchStatus.IN_PROGRESS, succeeded=10, expires_at=NOW + 5 * 3600, ingested_at=None)
    conds = evaluate([rule("expiry_soon", hours=2)], snap(BatchView(near), BatchView(done), BatchView(far)))
    assert [c.subject for c in conds] == ["batch:1"] and conds[0].numbers["pending"] == 90
    late = batch(4, status=BatchStatus.IN_PROGRESS, succeeded=10, deadline=NOW + 600, ingested_at=None)
    fine = batch(5, status=BatchStatus.IN_PROGRESS, succeeded=95, deadline=NOW + 3600, ingested_at=None)
    conds = evaluate([rule("deadline_risk")], snap(BatchView(late), BatchView(fine)))
    assert [(c.subject, c.numbers["risk"]) for c in conds] == [("batch:4", "at risk")]
    assert conds[0].actions[0].verb == "promote"


def test_provider_down_and_heartbeat_read_the_sync_health():
    health = SyncHealth(last_pass_at=NOW - 11 * 60, providers=(
        ProviderHealth("openai", "default", failing_since=NOW - 20 * 60, last_error="HTTP 503"),
        ProviderHealth("anthropic", "default", failing_since=NOW - 60),
        ProviderHealth("openai", "prod", failing_since=None)))
    conds = evaluate([rule("provider_down", minutes=15), rule("heartbeat_stale", minutes=10)], snap(health=health))
    assert [c.key for c in conds] == ["provider_down:provider:openai/default", "heartbeat_stale:sync"]
    assert "HTTP 503" in conds[0].why
    never = SyncHealth(last_pass_at=None)
    assert evaluate([rule("heartbeat_stale")], snap(health=never)) == []


def test_results_archiving_holds_until_ingested_or_the_date_passes():
    r = rule("results_archiving", hours=48)
    soon = replace(batch(1, ingested_at=None), results_until=NOW + 12 * 3600)
    far = replace(batch(2, ingested_at=None), results_until=NOW + 72 * 3600)
    running = replace(batch(3, status=BatchStatus.IN_PROGRESS, succeeded=10, ingested_at=None),
                      results_until=NOW + 3600)
    unknown = batch(4, ingested_at=None)
    views = [BatchView(b) for b in (soon, far, running, unknown)]
    [cond] = evaluate([r], snap(*views))
    assert cond.key == "results_archiving:batch:1" and cond.numbers["seconds_left"] == 12 * 3600
    assert "12h 00m" in cond.title and "not ingested" in cond.why
    assert [(a.verb, a.batch_id, a.args) for a in cond.actions] == [("sync", None, ("--once",)), ("show", 1, ())]
    assert evaluate([rule("results_archiving", hours=6)], snap(*views)) == []  # 12 h left: over 6 h
    ingested = replace(soon, ingested_at=NOW - 5)
    assert evaluate([r], snap(BatchView(ingested))) == []
    passed = replace(soon, results_until=NOW - 1)
    assert evaluate([r], snap(BatchView(passed))) == []  # resolved, not "lost": the date may be a rule of thumb
    assert evaluate([rule("results_archiving", labels=("billing-*",))], snap(*views)) == []


def test_inputs_expiring_holds_until_read_or_the_date_passes_and_filters_like_the_others():
    r = rule("inputs_expiring", hours=48)
    soon = replace(batch(1, status=BatchStatus.IN_PROGRESS, succeeded=10, ingested_at=None, label="pipeline-a"),
                   inputs="pending", inputs_until=NOW + 12 * 3600)
    far = replace(soon, id=2, inputs_until=NOW + 72 * 3600)
    read = replace(soon, id=3, inputs="read")
    ours = replace(soon, id=4, inputs=None)  # submitted by batchdeck: its requests are stored
    unknown = replace(soon, id=5, inputs_until=None)
    views = [BatchView(b) for b in (soon, far, read, ours, unknown)]
    [cond] = evaluate([r], snap(*views))
    assert cond.key == "inputs_expiring:batch:1" and cond.numbers["seconds_left"] == 12 * 3600
    assert cond.numbers["inputs_until"] == NOW + 12 * 3600
    assert "12h 00m" in cond.title and "not read" in cond.why
    assert [(a.verb, a.batch_id, a.args) for a in cond.actions] == [("sync", None, ("--once",)), ("show", 1, ())]
    assert evaluate([rule("inputs_expiring", hours=6)], snap(*views)) == []  # 12 h left: over 6 h
    assert evaluate([r], snap(BatchView(replace(soon, inputs_until=NOW - 1)))) == []  # resolved past the date
    assert evaluate([rule("inputs_expiring", labels=("billing-*",))], snap(*views)) == []
    assert evaluate([rule("inputs_expiring", exclude_labels=("pipeline-*",))], snap(*views)) == []
    assert evaluate([rule("inputs_expiring", profiles=("prod",))], snap(*views)) == []
    assert [c.key for c in evaluate([rule("inputs_expiring", profiles=("default",))], snap(*views))] == [cond.key]
    assert "inputs_expiring" in [d.kind for d in DEFAULT_RULES]


def test_config_sets_the_inputs_expiring_threshold(tmp_path):
    path = write_config(tmp_path, """
        [alerts]
        [alerts.rules.inputs_expiring]
        hours = 6
        labels = ["billing-*"]
        """)
    rules = {r.name: r for r in load_config(path).alerts.rules}
    assert rules["inputs_expiring"].threshold("hours") == 6 and rules["inputs_expiring"].labels == ("billing-*",)
    assert rules["results_archiving"].threshold("hours") == 48


def _cond():
    views = [BatchView(batch(status=BatchStatus.EXPIRED, succeeded=50, expired=50), 50, 50)]
    return evaluate([rule("batch_failed")], snap(*views))[0]


def test_transition_fires_once_repeats_and_resolves_after_the_hold_down():
    c = _cond()
    row, event = transition(None, c, NOW, repeat=0, hold_down=600)
    assert event == "firing" and row.sends == 1
    row, event = transition(row, c, NOW + 60, repeat=0, hold_down=600)
    assert event is None
    row, event = transition(row, None, NOW + 120, repeat=0, hold_down=600)   # clear...
    assert event is None and row.active and row.clear_since == NOW + 120
    row, event = transition(row, c, NOW + 300, repeat=0, hold_down=600)      # ...back: same alert
    assert event is None and row.clear_since is None and row.started_at == NOW
    row, event = transition(row, None, NOW + 400, repeat=0, hold_down=600)
    row, event = transition(row, None, NOW + 999, repeat=0, hold_down=600)
    assert event is None
    row, event = transition(row, None, NOW + 1000, repeat=0, hold_down=600)
    assert event == "resolved" and not row.active and row.sends == 2
    assert transition(row, None, NOW + 2000, repeat=0, hold_down=600) == (row, None)
    again, event = transition(row, c, NOW + 3000, repeat=0, hold_down=600)
    assert event == "firing" and again.started_at == NOW + 3000 and again.sends == 3


def test_transition_repeats_at_the_interval_while_it_holds():
    c = _cond()
    row, _ = transition(None, c, NOW, repeat=1800, hold_down=0)
    events = []
    for minutes in (10, 29, 30, 45, 61):
        row, event = transition(row, c, NOW + minutes * 60, repeat=1800, hold_down=0)
        events.append(event)
    assert events == [None, None, "repeat", None, "repeat"]


def test_secret_pieces_blank_tokens_in_urls_and_commands():
    url = "pagerduty://integration-key-123@routing-key-456/"
    message = "POST to pagerduty://integration-key-123@routing-key-456/ refused for routing-key-456"
    assert "key-123" not in redact(message, secret_pieces(url)) and "key-456" not in redact(message, secret_pieces(url))
    assert "routing-key-456" not in repr(Target(1, url)) and Target(1, url).label == "target 1 (pagerduty)"


def test_config_alerts_table_both_rule_forms(tmp_path):
    path = write_config(tmp_path, """
        [alerts]
        targets = ["env:ONCALL"]
        repeat_minutes = 60
        [[alerts.rules]]
        name = "billing-pages"
        kind = "batch_failed"
        labels = ["billing-*"]
        targets = ["json://127.0.0.1:1/"]
        [[alerts.rules]]
        kind = "expiry_soon"
        hours = 1.5
        """)
    cfg = load_config(path).alerts
    assert cfg is not None and cfg.repeat_minutes == 60 and cfg.targets == ("env:ONCALL",)
    by_name = {r.name: r for r in cfg.rules}
    assert by_name["billing-pages"].kind == "batch_failed" and by_name["billing-pages"].labels == ("billing-*",)
    assert by_name["expiry_soon"].threshold("hours") == 1.5
    assert by_name["batch_failed"] == next(r for r in DEFAULT_RULES if r.name == "batch_failed")
    assert "127.0.0.1" not in repr(cfg)


@pytest.mark.parametrize("body, message", [
    ("[alerts.rules.x]\nkind = \"bogus\"", "unknown kind 'bogus'"),
    ("[alerts.rules.expiry_soon]\nminutes = 5", "unknown key(s) minutes"),
    ("[alerts.rules.provider_down]\nminutes = -1", "minutes must be a non-negative number"),
    ("[alerts]\ntargets = [\"not a url\"]", "target #1 is not a URL"),
    ("[alerts]\nexec_timeout = 0", "exec_timeout must be a positive number"),
    ("[alerts.deadline_guard]\nenabled = \"yes\"", "enabled must be true or false"),
])
def test_config_alerts_mistakes_are_one_sentence(tmp_path, body, message):
    path = write_config(tmp_path, body)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(path)


def test_an_exec_target_that_hangs_is_stopped_at_the_timeout(tmp_path):
    import sys
    import time

    from console.engine.alerts.deliver import deliver, targets_of

    started = time.monotonic()
    [outcome] = deliver(targets_of([f"exec:{sys.executable} -c 'import time; time.sleep(30)'"]),
                        {"event": "test", "title": "t"}, timeout=0.5)
    assert not outcome.ok and outcome.error == "did not finish within 0.5 s"
    assert time.monotonic() - started < 10
