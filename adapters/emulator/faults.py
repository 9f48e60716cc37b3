"""Fault knobs: one flat set of named values, server-wide and per batch.

The same knob names are used everywhere: in `--faults SPEC` (``"error_rate=0.1,expire=0.2"``
or a JSON object), in the admin endpoints' JSON bodies, in OpenAI batch `metadata`
(prefixed ``emulator_``: ``{"emulator_error_rate": "0.1"}``) and in the ``x-emulator-faults``
request header on a batch create (``error_rate=0.1,stuck_finalizing=true``). The package
docstring (`adapters/emulator/__init__.py`) says what each knob does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

METADATA_PREFIX = "emulator_"
HEADER = "x-emulator-faults"
"""The request header that sets a batch's own knobs on a create (both providers)."""

# Knobs that decide how a batch's items turn out; snapshotted when the batch is created.
OUTCOME_KNOBS = frozenset(
    {
        "error_rate",
        "retryable_share",
        "expire",
        "duration",
        "stuck_finalizing",
        "token_limit",
        "broken_download",
        "broken_download_times",
        "max_requests",
        "max_bytes",
        "empty_error_file_id",
    }
)
# Knobs that act on HTTP calls; read live from the server (a batch's own overrides win).
HTTP_KNOBS = frozenset(
    {
        "http_429_rate",
        "list_429_rate",
        "list_429_calls",
        "http_500_rate",
        "http_529_rate",
        "retry_after",
        "latency_ms",
        "slow_rate",
        "slow_ms",
        "realtime_latency_ms",
        "flex_unavailable_rate",
        "echo_auth_401",
    }
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

STUCK_FINALIZING_DEFAULT = 12 * 3600.0
"""Emulated seconds a batch stays in `finalizing` when `stuck_finalizing=true`."""

# Number-valued knobs that also take true/false: the value `true` stands for.
_SWITCHED_FLOATS = {"stuck_finalizing": STUCK_FINALIZING_DEFAULT, "broken_download": 0.5, "expire": 0.3}


@dataclass(frozen=True)
class Faults:
    # --- outcomes of batch items -------------------------------------------------------------
    error_rate: float = 0.0
    retryable_share: float = 0.5
    expire: float = 0.0
    duration: float | None = None
    stuck_finalizing: float = 0.0
    token_limit: bool = False
    broken_download: float = 0.0
    broken_download_times: int | None = None
    max_requests: int | None = None
    max_bytes: int | None = None
    empty_error_file_id: bool = False
    # --- HTTP behaviour ----------------------------------------------------------------------
    http_429_rate: float = 0.0
    list_429_rate: float = 0.0
    """Share of list calls (GET /v1/batches, GET /v1/messages/batches) answered 429: a storm
    on the list endpoints only, as discovery meets it (live-fleet-14)."""
    list_429_calls: int = 0
    """The next N list calls after these knobs are set are answered 429: a storm of known
    length, so a test can prove retries without depending on the seed."""
    http_500_rate: float = 0.0
    http_529_rate: float = 0.0
    retry_after: float = 1.0
    latency_ms: float = 0.0
    slow_rate: float = 0.0
    slow_ms: float = 2000.0
    realtime_latency_ms: float = 3.0
    flex_unavailable_rate: float = 0.1
    echo_auth_401: bool = False

    def with_(self, knobs: Mapping[str, Any]) -> Faults:
        """A copy with `knobs` (names without prefix, values as str/number/bool) applied."""
        return replace(self, **coerce(knobs))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_TYPES = {f.name: f.type for f in fields(Faults)}
KNOB_NAMES = frozenset(_TYPES)


class FaultSpecError(ValueError):
    """An unknown knob name or a value of the wrong kind."""


def _coerce_one(name: str, value: Any) -> Any:
    kind = _TYPES[name]
    if isinstance(value, str):
        value = value.strip()
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if str(value).lower() in _TRUE:
                return True
            if str(value).lower() in _FALSE:
                return False
            raise ValueError(value)
        if name in _SWITCHED_FLOATS:
            word = str(value).lower() if not isinstance(value, bool) else ("true" if value else "false")
            if word in ("true", "yes", "on"):
                return _SWITCHED_FLOATS[name]
            if word in ("false", "no", "off"):
                return 0.0
            return float(value)
        if kind.startswith("int"):
            if value is None or str(value).lower() in ("none", "null", ""):
                return None
            return int(float(value))
        if kind == "float | None":
            if value is None or str(value).lower() in ("none", "null", ""):
                return None
            return float(value)
        return float(value)
    except (TypeError, ValueError) as exc:
        raise FaultSpecError(f"bad value for fault knob {name!r}: {value!r}") from exc


def coerce(knobs: Mapping[str, Any]) -> dict[str, Any]:
    """Check names and convert values; names may carry the `emulator_` prefix."""
    out: dict[str, Any] = {}
    for raw_name, value in knobs.items():
        name = raw_name[len(METADATA_PREFIX) :] if raw_name.startswith(METADATA_PREFIX) else raw_name
        if name not in KNOB_NAMES:
            raise FaultSpecError(f"unknown fault knob {raw_name!r}; known: {', '.join(sorted(KNOB_NAMES))}")
        out[name] = _coerce_one(name, value)
    return out


def parse_spec(spec: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """Parse ``"a=1,b=true"`` or a JSON object (or pass a mapping through) into coerced knobs."""
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        return coerce(spec)
    text = spec.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FaultSpecError(f"fault spec is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise FaultSpecError("fault spec JSON must be an object")
        return coerce(data)
    pairs: dict[str, Any] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            # A bare name switches a boolean-ish knob on.
            pairs[part] = "true"
            continue
        key, _, value = part.partition("=")
        pairs[key.strip()] = value
    return coerce(pairs)


def from_metadata(metadata: Mapping[str, str] | None) -> dict[str, Any]:
    """The `emulator_*` keys of an OpenAI batch's metadata, coerced (other keys ignored)."""
    if not metadata:
        return {}
    return coerce({k: v for k, v in metadata.items() if k.startswith(METADATA_PREFIX)})


def for_create(headers: Mapping[str, str], metadata: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The knobs a batch create asks for: `emulator_*` metadata keys (OpenAI), then the
    `x-emulator-faults` header, which wins. Raises `FaultSpecError`."""
    knobs = from_metadata(metadata)
    knobs.update(parse_spec(headers.get(HEADER)))
    return knobs
