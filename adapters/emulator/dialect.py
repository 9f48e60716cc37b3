"""A provider's wire personality, as data: what the shared emulator code asks instead of
branching on provider names.

Each emulated provider is a folder, `adapters/emulator/<provider>/`, whose `__init__` gives its
`DIALECT` (this class) and its `routes()`. The shared parts (the gate, the batch timeline, the
spool) read the dialect: how its request ids and errors look, whether a batch validates and
finalizes, what its statuses and timestamps are called, which results files it writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.responses import Response

if TYPE_CHECKING:  # pragma: no cover
    from .state import Batch, View

ErrorMaker = Callable[[int, str, str, "str | None", Mapping[str, str]], Response]
"""(status, kind, message, code, headers) -> the provider's error response."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """One canned error answer: HTTP status, error kind, message and code."""

    status: int
    kind: str
    message: str
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """How a batch of this provider unfolds and what its phases are called.

    `names` maps the canonical phases (validating, in_progress, finalizing, completed,
    failed, expired, cancelling, cancelled) to the provider's raw status; `stamps` maps
    them to the batch field holding when the phase began (None: the provider has no field).
    """

    validates: bool
    """A validating phase of its own (and batch-level validation errors)."""
    finalizes: bool
    """A finalizing phase after the last item (else it just ends shortly after)."""
    start_delay: float = 0.0
    names: Mapping[str, str] = field(default_factory=dict)
    stamps: Mapping[str, str | None] = field(default_factory=dict)
    cached_tokens: bool = False
    """Results report cached prompt tokens on their own (OpenAI-style usage)."""
    max_requests: int | None = None
    """Requests per batch; over it the batch fails validation (`too_many_tasks`)."""

    def name(self, phase: str) -> str:
        return self.names.get(phase, phase)

    def stamp(self, phase: str) -> str | None:
        return self.stamps.get(phase, f"{phase}_at")


@dataclass(frozen=True, slots=True)
class Dialect:
    """One emulated provider.

    Attributes:
        name: the provider name (as in `adapters.registry`).
        batch_id: a new batch id from a hash.
        request_id: the response headers naming a call (from a hash).
        error: builds the provider's error body and response.
        refusals: the gate's answers: missing key, 429, 500 and overload.
        lifecycle: phases and their names.
        result_kinds: the results files a terminal batch has ("output", "error" / "results").
        results: writes one results file (batch, terminal view, kind) as chunks of bytes.
        file_results: results are files in the files API (kept by id on the batch).
        windows: completion windows a create may ask for.
        endpoints: endpoints a batch may target (None: every one the emulator serves).
        paged_list: the batch list pages (`limit`/`after`, `has_more`); else one bare page.
        omit: Batch object fields this provider does not send.
        extras: fields this provider adds to a Batch object (batch, view) -> fields.
    """

    name: str
    batch_id: Callable[[int], str]
    request_id: Callable[[int], dict[str, str]]
    error: ErrorMaker
    refusals: Mapping[str, Refusal]
    lifecycle: Lifecycle
    result_kinds: tuple[str, ...]
    results: Callable[[Batch, View, str], Iterator[bytes]]
    file_results: bool = False
    windows: tuple[str, ...] = ("24h",)
    endpoints: tuple[str, ...] | None = None
    paged_list: bool = True
    omit: tuple[str, ...] = ()
    extras: Callable[[Batch, View], dict[str, object]] | None = None

    def refuse(self, what: str, headers: Mapping[str, str]) -> Response:
        r = self.refusals[what]
        return self.error(r.status, r.kind, r.message, r.code, headers)
