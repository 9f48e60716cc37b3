"""The provider registry: what batchdeck knows about each provider, asked by name.

A provider is one folder, `adapters/<name>/`, whose `__init__` defines `SPEC`, a
`ProviderSpec`. The registry finds the folders itself (every package under `adapters/` except
the emulator), so adding a provider means adding a folder; nothing outside it names the
provider. The engine and the console only ever call the functions below:

    names()                        provider names in display order (the track dialog's choices)
    get(name) -> ProviderSpec      KeyError with the known names when unknown
    adapt_request(name, obj, url)  one input line -> (endpoint, body, converted?)
    answer_text(raw, name)         the model's answer inside a raw result line
    capabilities(name, profile)    limits and flags, with a profile's overrides applied
    build_adapter(name, ...)       the adapter, built lazily (its SDK is imported then)

Importing this module and the provider folders imports no SDK: adapters are named as
"module:Class" and imported on first use.
"""

from __future__ import annotations

import dataclasses
import json
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

from adapters.base import Capabilities, RealtimeResult
from adapters.neutral import MappingError, NeutralChat
from store.model import ItemResult

if TYPE_CHECKING:  # pragma: no cover
    from adapters.base import BatchAdapter

LineParser = Callable[[bytes], ItemResult | None]
"""Parses one raw results line (None: not a results line, skipped)."""


class RequestFormat(Protocol):
    """How one family of providers writes request lines, and its neutral chat conversion."""

    family: str
    default_endpoint: str

    def read_line(self, obj: dict[str, Any]) -> tuple[str | None, Any] | None:
        """(url, body) when `obj` is a line in this format's own envelope, else None."""

    def claims_body(self, body: Any) -> bool:
        """A bare `{custom_id, body}` body that is unmistakably written in this format."""

    def owns_url(self, url: str | None) -> bool:
        """The url is one of this format's own endpoints (no conversion needed)."""

    def converts_url(self, url: str | None) -> bool:
        """A request to `url` has a neutral chat form."""

    def own(self, url: str | None, body: Any) -> tuple[str, Any]:
        """(endpoint, body) for a body already in this format."""

    def to_neutral(self, url: str | None, body: Any) -> NeutralChat: ...

    def from_neutral(self, chat: NeutralChat) -> tuple[str, dict[str, Any]]: ...

    def validate_body(self, body: Any, endpoint: str, endpoints: tuple[str, ...], label: str) -> str | None: ...

    def validate_custom_id(self, custom_id: str) -> str | None: ...


class ResultsFormat(Protocol):
    """How one provider's results lines and realtime answers read."""

    def line_parser(self) -> LineParser:
        """A fresh parser for the lines of one results file."""

    def response_body(self, line: dict[str, Any]) -> Any:
        """The response body inside one raw results line (None for failures)."""

    def response_text(self, body: Any) -> str | None:
        """The generated text inside a response body, where there is one."""

    def read_realtime(self, custom_id: str, text: str) -> RealtimeResult:
        """A successful realtime answer (JSON text) as a result: usage, model, tier."""


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """Everything batchdeck knows about one provider, as data.

    Attributes:
        name: the provider name in the store, the config and the command line.
        display_name: as written in messages ("OpenAI").
        key_env: environment variable holding the API key.
        base_url_env: environment variable overriding the base URL.
        default_base_url: the base URL as its SDK (or httpx client) takes it.
        adapter: "module:Class" of its `BatchAdapter`, imported on first use.
        requests: its request-line format (shared by a family, e.g. OpenAI-style services).
        results: its results-line decoder and answer reader.
        capabilities: default limits and flags; a profile may override them.
        default_concurrency: concurrent provider calls during sync.
        windows: completion windows `submit --window` accepts (first is the default).
        id_field: the results-line field naming the item (`custom_id`; Gemini says `key`).
    """

    name: str
    display_name: str
    key_env: str
    base_url_env: str
    default_base_url: str
    adapter: str
    requests: RequestFormat
    results: ResultsFormat
    capabilities: Capabilities
    default_concurrency: int = 8
    windows: tuple[str, ...] = ("24h",)
    options: Mapping[str, Any] = field(default_factory=dict)
    """Provider quirks the shared adapter code reads (e.g. `paged_list: False`)."""
    rank: int = 100
    """Display order in lists and dialogs (lower first; ties by name)."""
    id_field: str = "custom_id"
    """The field of a results line that names its item (read even from a damaged line)."""

    # ---- what the engine asks, by spec ---------------------------------------------------
    @property
    def default_endpoint(self) -> str:
        return self.requests.default_endpoint

    def validate_body(self, body: Any, endpoint: str, capabilities: Capabilities | None = None) -> str | None:
        """Why this body cannot go to `endpoint` (one short sentence), or None if it can."""
        caps = capabilities or self.capabilities
        return self.requests.validate_body(body, endpoint, caps.endpoints, self.display_name)

    def validate_custom_id(self, custom_id: str) -> str | None:
        return self.requests.validate_custom_id(custom_id)

    def adapt_request(self, obj: dict[str, Any], endpoint: str | None) -> tuple[str, Any, bool]:
        return adapt_request(self.name, obj, endpoint)

    def line_parser(self) -> LineParser:
        return self.results.line_parser()

    def response_body(self, line: dict[str, Any]) -> Any:
        return self.results.response_body(line)

    def response_text(self, body: Any) -> str | None:
        return self.results.response_text(body)

    def read_realtime(self, custom_id: str, text: str) -> RealtimeResult:
        return self.results.read_realtime(custom_id, text)

    def adapter_class(self) -> Callable[..., BatchAdapter]:
        """The adapter's class, called as `cls(spec, api_key=, base_url=, capabilities=)`."""
        module_name, _, class_name = self.adapter.partition(":")
        cls: Callable[..., BatchAdapter] = getattr(import_module(module_name), class_name)
        return cls


@cache
def _all() -> dict[str, ProviderSpec]:
    import adapters

    found: dict[str, ProviderSpec] = {}
    for info in pkgutil.iter_modules(adapters.__path__):
        if not info.ispkg or info.name == "emulator":
            continue
        spec = getattr(import_module(f"adapters.{info.name}"), "SPEC", None)
        if isinstance(spec, ProviderSpec):
            found[spec.name] = spec
    return dict(sorted(found.items(), key=lambda kv: (kv[1].rank, kv[0])))


def names() -> list[str]:
    """Provider names in display order."""
    return list(_all())


def specs() -> list[ProviderSpec]:
    return list(_all().values())


def get(name: str) -> ProviderSpec:
    """The provider's spec. KeyError (one sentence naming the known ones) if unknown."""
    try:
        return _all()[name]
    except KeyError:
        raise KeyError(f"unknown provider {name!r}; known providers: {', '.join(names())}") from None


def capabilities(name: str, profile: Mapping[str, Any] | None = None) -> Capabilities:
    """The provider's capabilities, with a profile's `max_requests`, `max_bytes`,
    `max_line_bytes` and `endpoints` applied (an OpenAI-compatible service sets its own)."""
    caps = get(name).capabilities
    if not profile:
        return caps
    changes: dict[str, Any] = {}
    for key in ("max_requests", "max_bytes", "max_line_bytes", "max_embedding_inputs"):
        value = profile.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            changes[key] = value
    endpoints = profile.get("endpoints")
    if isinstance(endpoints, (list, tuple)) and endpoints and all(isinstance(e, str) for e in endpoints):
        changes["endpoints"] = tuple(endpoints)
    windows = profile.get("windows")
    if isinstance(windows, (list, tuple)) and windows and all(isinstance(w, str) for w in windows):
        changes["windows"] = tuple(windows)
    return dataclasses.replace(caps, **changes) if changes else caps


def _formats(first: RequestFormat) -> list[RequestFormat]:
    """Each distinct request format once, the target's own first."""
    seen: dict[str, RequestFormat] = {first.family: first}
    for spec in specs():
        seen.setdefault(spec.requests.family, spec.requests)
    return list(seen.values())


def adapt_request(name: str, obj: dict[str, Any], endpoint: str | None) -> tuple[str, Any, bool]:
    """(endpoint, body, converted) for one parsed input line sent to provider `name`.

    The line's envelope says which format it is written in (`{custom_id, params}`,
    `{custom_id, method, url, body}`); a bare `{custom_id, body}` is the target's own unless
    another format unmistakably claims it. A line in another format converts through the
    neutral chat form. Raises MappingError with a one-sentence reason when it cannot.
    """
    spec = get(name)
    target = spec.requests
    formats = _formats(target)
    source: RequestFormat | None = None
    url: str | None = None
    payload: Any = None
    for fmt in formats:
        found = fmt.read_line(obj)
        if found is not None:
            source, (url, payload) = fmt, found
            break
    if source is None:
        if "body" not in obj:
            raise MappingError("line has neither body nor params (or a method other than POST)")
        payload = obj["body"]
        source = target
        if not target.claims_body(payload):
            source = next((f for f in formats[1:] if f.claims_body(payload)), target)
    url = url or endpoint
    if source is target or target.owns_url(url) and url is not None:
        ep, body = target.own(url, payload)
        return ep, body, False
    if not source.converts_url(url):
        raise MappingError(f"{url} has no {spec.display_name} equivalent (only chat requests convert)")
    ep, body = target.from_neutral(source.to_neutral(url, payload))
    return ep, body, True


def answer_text(raw: str | bytes | None, name: str | None = None) -> str | None:
    """The model's answer inside a raw result line (or a kept realtime answer), if any.

    With `name`, that provider's reader; without, each provider's in turn (the first that
    finds a response body answers)."""
    if not raw:
        return None
    try:
        line = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(line, dict):
        return None
    readers = [get(name).results] if name else [s.results for s in specs()]
    for results in readers:
        try:
            body = results.response_body(line)
            if body is not None:
                return results.response_text(body)
        except (AttributeError, TypeError, ValueError):
            continue
    return None


def build_adapter(name: str, *, api_key: str | None, base_url: str | None,
                  profile: Mapping[str, Any] | None = None, **options: Any) -> BatchAdapter:
    """The provider's adapter with the profile's capabilities (imports its SDK now)."""
    spec = get(name)
    return spec.adapter_class()(spec, api_key=api_key, base_url=base_url,
                                capabilities=capabilities(name, profile), **options)
