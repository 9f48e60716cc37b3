"""The `[alerts]` part of the config file: rules, where alerts go, the deadline guard.

    [alerts]
    targets = ["ntfy://ntfy.example/batchdeck", "exec:/usr/local/bin/page-oncall"]
    repeat_minutes = 0          # 0: say it once while it holds; N: again every N minutes
    hold_down_minutes = 10      # a condition must stay clear this long before "resolved"
    exec_timeout = 10           # seconds an exec target may take

    [alerts.rules.retryable_failures]     # the rule's name; `kind` defaults to the name
    count = 50                            # or ...
    percent = 2.0                         # ... this share of the batch, whichever comes first
    exclude_labels = ["nightly-*"]        # nightly evals may fail quietly

    [alerts.rules.billing-pages]          # a second rule of the same kind, its own targets
    kind = "batch_failed"
    labels = ["billing-*"]
    targets = ["env:PAGERDUTY_URL"]

    [alerts.deadline_guard]               # off unless enabled
    enabled = true
    max_per_batch = 5.0                   # USD
    max_per_day = 20.0                    # USD

`[[alerts.rules]]` (an array, each with `name` or `kind`) works too. Rules not named keep their
defaults (DEFAULT_RULES); `enabled = false` turns one off.

A target is a URL (apprise), `exec:<command>`, or `env:NAME` (the target is read from that
environment variable when an alert is sent). Targets hold secrets (webhook tokens, passwords):
a config file that writes one literally must be private (0600), like an api_key; targets are
hidden from repr() and never written to the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class AlertConfigError(ValueError):
    """One sentence naming the bad setting; store.config turns it into a ConfigError."""


RULE_KINDS: dict[str, dict[str, float]] = {
    # kind -> its thresholds and their defaults
    "batch_failed": {},
    "retryable_failures": {"count": 10.0, "percent": 5.0},
    "expiry_soon": {"hours": 3.0},
    "deadline_risk": {},
    "provider_down": {"minutes": 15.0},
    "heartbeat_stale": {"minutes": 10.0},
    "results_archiving": {"hours": 48.0},
    "inputs_expiring": {"hours": 48.0},
}
"""Every kind of rule. `results_archiving` judges by `batches.results_until` (Anthropic
`archived_at` or 29 days, OpenAI output file expiry); `inputs_expiring` by
`batches.inputs_until` (OpenAI's input file expiry) for tracked batches whose requests are not
read yet."""

_COMMON_KEYS = {"kind", "name", "enabled", "profiles", "labels", "exclude_labels", "targets",
                "repeat_minutes", "hold_down_minutes"}
_ALERTS_KEYS = {"targets", "repeat_minutes", "hold_down_minutes", "exec_timeout", "rules", "deadline_guard"}
_GUARD_KEYS = {"enabled", "max_per_batch", "max_per_day"}


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One rule: a kind, its thresholds, which batches it watches, where it goes."""

    name: str
    kind: str
    thresholds: dict[str, float] = field(default_factory=dict)
    enabled: bool = True
    profiles: tuple[str, ...] = ()
    """Only batches (or providers) of these profiles; empty: all."""
    labels: tuple[str, ...] = ()
    """Only batches whose label matches one of these shell patterns; empty: all."""
    exclude_labels: tuple[str, ...] = ()
    targets: tuple[str, ...] | None = field(default=None, repr=False)
    """None: the [alerts] targets."""
    repeat_minutes: float | None = None
    hold_down_minutes: float | None = None

    def threshold(self, name: str) -> float:
        return self.thresholds.get(name, RULE_KINDS[self.kind][name])


DEFAULT_RULES: tuple[AlertRule, ...] = tuple(AlertRule(name=kind, kind=kind) for kind in RULE_KINDS)


@dataclass(frozen=True, slots=True)
class DeadlineGuardConfig:
    enabled: bool = False
    max_per_batch: float = 5.0
    """USD the guard may spend promoting one batch, in total."""
    max_per_day: float = 20.0
    """USD the guard may spend per UTC day, over every batch."""


@dataclass(frozen=True, slots=True)
class AlertsConfig:
    targets: tuple[str, ...] = field(default=(), repr=False)
    repeat_minutes: float = 0.0
    hold_down_minutes: float = 10.0
    exec_timeout: float = 10.0
    rules: tuple[AlertRule, ...] = DEFAULT_RULES
    guard: DeadlineGuardConfig = field(default_factory=DeadlineGuardConfig)

    def has_literal_targets(self) -> bool:
        """Whether the file itself holds a target (a secret), rather than naming a variable."""
        every = list(self.targets) + [t for r in self.rules for t in (r.targets or ())]
        return any(not t.startswith("env:") for t in every)


def parse_alerts(path: Path, table: Any) -> AlertsConfig:
    if not isinstance(table, dict):
        raise AlertConfigError(f"{path}: [alerts] must be a table.")
    _unknown(path, "[alerts]", table, _ALERTS_KEYS)
    where = f"{path}: [alerts]"
    targets = _targets(where, table.get("targets", []))
    rules = {r.name: r for r in DEFAULT_RULES}
    raw_rules = table.get("rules", {})
    if isinstance(raw_rules, dict):
        named = [(name, t) for name, t in raw_rules.items()]
    elif isinstance(raw_rules, list):
        named = []
        for i, t in enumerate(raw_rules):
            if not isinstance(t, dict):
                raise AlertConfigError(f"{path}: [[alerts.rules]] #{i + 1} must be a table.")
            name = t.get("name", t.get("kind"))
            if not isinstance(name, str) or not name:
                raise AlertConfigError(f"{path}: [[alerts.rules]] #{i + 1} needs name = \"...\" or kind = \"...\".")
            named.append((name, t))
    else:
        raise AlertConfigError(f"{path}: alerts.rules must be [alerts.rules.NAME] or [[alerts.rules]] tables.")
    seen: set[str] = set()
    for name, t in named:
        if name in seen:
            raise AlertConfigError(f"{path}: alert rule {name!r} is defined twice.")
        seen.add(name)
        rules[name] = _rule(path, name, t)
    guard_table = table.get("deadline_guard", {})
    if not isinstance(guard_table, dict):
        raise AlertConfigError(f"{path}: [alerts.deadline_guard] must be a table.")
    _unknown(path, "[alerts.deadline_guard]", guard_table, _GUARD_KEYS)
    defaults = DeadlineGuardConfig()
    guard = DeadlineGuardConfig(
        enabled=_bool(f"{path}: [alerts.deadline_guard] enabled", guard_table.get("enabled", defaults.enabled)),
        max_per_batch=_number(f"{path}: [alerts.deadline_guard] max_per_batch",
                              guard_table.get("max_per_batch", defaults.max_per_batch)),
        max_per_day=_number(f"{path}: [alerts.deadline_guard] max_per_day",
                            guard_table.get("max_per_day", defaults.max_per_day)),
    )
    base = AlertsConfig()
    return AlertsConfig(
        targets=targets,
        repeat_minutes=_number(f"{where} repeat_minutes", table.get("repeat_minutes", base.repeat_minutes)),
        hold_down_minutes=_number(f"{where} hold_down_minutes", table.get("hold_down_minutes", base.hold_down_minutes)),
        exec_timeout=_number(f"{where} exec_timeout", table.get("exec_timeout", base.exec_timeout), positive=True),
        rules=tuple(rules.values()),
        guard=guard,
    )


def _rule(path: Path, name: str, t: Any) -> AlertRule:
    where = f"{path}: [alerts.rules.{name}]"
    if not isinstance(t, dict):
        raise AlertConfigError(f"{where} must be a table.")
    kind = t.get("kind", name)
    if kind not in RULE_KINDS:
        raise AlertConfigError(f"{where} has unknown kind {kind!r}; choose one of {', '.join(RULE_KINDS)}.")
    _unknown(path, f"[alerts.rules.{name}]", t, _COMMON_KEYS | set(RULE_KINDS[kind]))
    thresholds = {k: _number(f"{where} {k}", t[k]) for k in RULE_KINDS[kind] if k in t}
    targets = _targets(where, t["targets"]) if "targets" in t else None
    return AlertRule(
        name=name, kind=kind, thresholds=thresholds,
        enabled=_bool(f"{where} enabled", t.get("enabled", True)),
        profiles=_strings(f"{where} profiles", t.get("profiles", [])),
        labels=_strings(f"{where} labels", t.get("labels", [])),
        exclude_labels=_strings(f"{where} exclude_labels", t.get("exclude_labels", [])),
        targets=targets,
        repeat_minutes=_number(f"{where} repeat_minutes", t["repeat_minutes"]) if "repeat_minutes" in t else None,
        hold_down_minutes=(_number(f"{where} hold_down_minutes", t["hold_down_minutes"])
                           if "hold_down_minutes" in t else None),
    )


def _unknown(path: Path, where: str, table: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise AlertConfigError(f"{path}: {where} has unknown key(s) {', '.join(sorted(unknown))}.")


def _targets(where: str, value: Any) -> tuple[str, ...]:
    # The value itself is never quoted in an error: it may hold a token.
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise AlertConfigError(f"{where} targets must be a list of URLs, \"exec:COMMAND\" or \"env:VARIABLE\".")
    for i, v in enumerate(value):
        if v.startswith("exec:") and not v[5:].strip():
            raise AlertConfigError(f"{where} target #{i + 1} is `exec:` without a command.")
        if v.startswith("env:") and not v[4:].strip():
            raise AlertConfigError(f"{where} target #{i + 1} is `env:` without a variable name.")
        if not v.startswith(("exec:", "env:")) and "://" not in v:
            raise AlertConfigError(f"{where} target #{i + 1} is not a URL (scheme://...), exec: or env:.")
    return tuple(v.strip() for v in value)


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AlertConfigError(f"{where} must be a list of strings.")
    return tuple(value)


def _bool(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise AlertConfigError(f"{where} must be true or false.")
    return value


def _number(where: str, value: Any, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (positive and value == 0):
        raise AlertConfigError(f"{where} must be a {'positive' if positive else 'non-negative'} number.")
    return float(value)
