"""The normalized vocabulary every part of batchdeck speaks.

Standard library only: adapters import this module and nothing else from `store`, and the
console renders these types. Times are UTC epoch seconds (float); money is US dollars
(float); `None` always means "not known", never zero.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class BatchStatus(StrEnum):
    """One lifecycle for every provider's batch (the raw value is kept beside it)."""

    SUBMITTING = "submitting"
    """Recorded locally, provider not yet confirmed: the exactly-once intent record."""
    VALIDATING = "validating"
    IN_PROGRESS = "in_progress"
    FINALIZING = "finalizing"
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELING = "canceling"
    CANCELED = "canceled"
    UNKNOWN = "unknown"
    """A raw status we do not recognise; polled like an active batch, never treated as done."""

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_BATCH_STATUSES


TERMINAL_BATCH_STATUSES = frozenset(
    {BatchStatus.COMPLETED, BatchStatus.FAILED, BatchStatus.EXPIRED, BatchStatus.CANCELED}
)


TRUNCATED = "truncated"
"""Not a status: the item filter word for succeeded items that were cut short."""


class ItemStatus(StrEnum):
    """Per-request outcome. RESUBMITTED and PROMOTED mark items an operator replaced."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    ERRORED = "errored"
    EXPIRED = "expired"
    CANCELED = "canceled"
    RESUBMITTED = "resubmitted"
    PROMOTED = "promoted"


FAILED_ITEM_STATUSES = frozenset({ItemStatus.ERRORED, ItemStatus.EXPIRED, ItemStatus.CANCELED})


class ErrorClass(StrEnum):
    """Whether sending the same request again can succeed."""

    RETRYABLE = "retryable"
    """Rate limit, overloaded, 5xx, timeout, expired, canceled: resubmit as is."""
    PERMANENT = "permanent"
    """Invalid request, auth, content policy: the request must change first."""


class PriceTier(StrEnum):
    """How a request is billed: through batch, or realtime at a service tier."""

    BATCH = "batch"
    FLEX = "flex"
    STANDARD = "standard"
    PRIORITY = "priority"


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage of one request, normalized across providers.

    `input_tokens` excludes cache reads and cache writes, so that cost is a plain sum of
    four counts times four prices (OpenAI's prompt_tokens include cached tokens; the adapter
    subtracts them).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return (
            self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_write_tokens
        )


@dataclass(frozen=True, slots=True)
class RequestCounts:
    """Per-status request counts as the provider (or our ingest) reports them."""

    total: int = 0
    succeeded: int = 0
    errored: int = 0
    expired: int = 0
    canceled: int = 0
    processing: int = 0

    @property
    def done(self) -> int:
        return self.succeeded + self.errored + self.expired + self.canceled


@dataclass(slots=True)
class RemoteBatch:
    """What an adapter reports about one provider batch, already normalized."""

    provider: str
    provider_batch_id: str
    status: BatchStatus
    raw_status: str
    endpoint: str | None = None
    model: str | None = None
    counts: RequestCounts = field(default_factory=RequestCounts)
    created_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    expires_at: float | None = None
    cancel_requested_at: float | None = None
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    results_url: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    errors: str | None = None
    """Batch-level error text (e.g. OpenAI validation errors), shown as-is."""
    reported_cost: float | None = None
    """What the provider says the batch cost (USD), where it reports it (Doubleword analytics)."""
    reported_list_cost: float | None = None
    """The same work at the provider's list price, where it reports it."""
    results_until: float | None = None
    """When the results stop being downloadable (Anthropic archive, OpenAI output file expiry),
    where the provider says or the adapter knows the rule; None when unknown."""
    inputs_until: float | None = None
    """When the provider stops serving the batch's requests (OpenAI: its input file expires),
    where the batch's facts tell (the adapter's `inputs_until()` may ask more exactly); None
    when unknown or the provider never serves them back."""


@dataclass(slots=True)
class ItemResult:
    """One normalized result line, pointing back at its raw bytes in the results file."""

    custom_id: str
    status: ItemStatus
    usage: Usage | None = None
    model: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    http_status: int | None = None
    error_class: ErrorClass | None = None
    offset: int | None = None
    """Byte offset of the raw line in the downloaded results file."""
    length: int | None = None
    truncated: bool = False
    """A success cut short: the output limit was reached (or the model refused)."""


@dataclass(slots=True)
class Batch:
    """A batch as the store knows it (one row of `batches`)."""

    id: int
    provider: str
    status: BatchStatus
    profile: str = "default"
    provider_batch_id: str | None = None
    raw_status: str | None = None
    endpoint: str | None = None
    model: str | None = None
    label: str | None = None
    job_id: str | None = None
    counts: RequestCounts = field(default_factory=RequestCounts)
    created_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    expires_at: float | None = None
    deadline: float | None = None
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    results_url: str | None = None
    parent_id: int | None = None
    submitted_by: str | None = None
    submit_token: str | None = None
    errors: str | None = None
    results_path: str | None = None
    ingested_at: float | None = None
    updated_at: float | None = None
    tracked: bool = False
    """True for a batch some other system submitted and we only watch."""
    cancel_requested_at: float | None = None
    """When a cancel was requested (ours or the provider's report), if ever."""
    metadata: dict[str, str] = field(default_factory=dict)
    """The provider batch's metadata as reported (never secrets)."""
    truncated: int = 0
    """Succeeded items whose answer was cut short (output limit, refusal), as of the last ingest."""
    reported_cost: float | None = None
    """What the provider says the batch cost (USD), where it reports it."""
    reported_list_cost: float | None = None
    """The provider's figure for the same work at list price, where it reports it."""
    inputs: str | None = None
    """What is known of a tracked batch's requests: None (we submitted it: all stored),
    `pending` (the provider keeps them, not read yet), `read`, `unknown` (the provider cannot
    give them back), `attached` (the operator attached the original file)."""
    promoted: int = 0
    """Items of this batch a promotion answered so far (moves while a promote runs)."""
    results_until: float | None = None
    """When the provider stops serving this batch's results (None: not known)."""
    inputs_until: float | None = None
    """When the provider stops serving this batch's requests (None: not known)."""
    exported_at: float | None = None
    """The last `export` that carried this batch's results (they are then in the operator's file)."""
    completion_window: str | None = None
    """The completion window `submit --window` asked for (None: the provider's default)."""


@dataclass(slots=True)
class Item:
    """One request of a batch (one row of `items`)."""

    id: int
    batch_id: int
    custom_id: str
    seq: int
    status: ItemStatus
    request: str | None = None
    """The request body as JSON text, needed to resubmit or promote; None if unknown."""
    model: str | None = None
    error_class: ErrorClass | None = None
    error_type: str | None = None
    error_message: str | None = None
    http_status: int | None = None
    usage: Usage | None = None
    batch_cost: float | None = None
    realtime_cost: float | None = None
    """What the same tokens would have cost through the realtime API (standard tier)."""
    promoted_cost: float | None = None
    """What a promotion actually paid through the realtime API."""
    replaced_by: int | None = None
    replaces: int | None = None
    result_offset: int | None = None
    result_length: int | None = None
    result_status: ItemStatus | None = None
    """The outcome the batch itself reported, kept when an operator replaced the item."""
    promoted_tier: str | None = None
    """The realtime tier a promotion used (standard, flex, priority)."""
    truncated: bool = False
    """A success cut short (output limit reached, or a refusal)."""

    @property
    def savings(self) -> float | None:
        if self.batch_cost is None or self.realtime_cost is None:
            return None
        return self.realtime_cost - self.batch_cost - (self.promoted_cost or 0.0)


@dataclass(slots=True)
class Event:
    """One audit-log entry: append-only."""

    id: int
    at: float
    actor: str
    action: str
    target: str | None
    details: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def details_from_json(text: str | None) -> dict[str, Any]:
        return json.loads(text) if text else {}


@dataclass(frozen=True, slots=True)
class PriceRow:
    """List prices in USD per 1M tokens for one provider + model.

    Batch prices are explicit where the provider's rule is not a flat discount (e.g. Gemini
    2.5 cached input is not halved); otherwise they are list × (1 − batch_discount).
    """

    provider: str
    model: str
    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None
    batch_discount: float = 0.5
    batch_input: float | None = None
    batch_output: float | None = None
    batch_cached_input: float | None = None
    batch_cache_write: float | None = None
    flex_multiplier: float | None = None
    """Realtime flex tier price as a multiple of list (OpenAI: about the batch price)."""
    priority_multiplier: float | None = None
    source: str = ""
    effective: str = ""


@dataclass(slots=True)
class IngestStats:
    """What one ingest pass wrote."""

    lines: int = 0
    updated: int = 0
    inserted: int = 0
    unpriced: int = 0


@dataclass(frozen=True, slots=True)
class ErrorGroup:
    """Failed items of a batch grouped by error type ("rate_limit_error 312")."""

    error_type: str
    error_class: ErrorClass | None
    count: int


@dataclass(frozen=True, slots=True)
class SavingsRow:
    """Realized savings for one group (a provider, model, day or batch).

    `realtime_cost` is what the billed tokens would have cost through the realtime API,
    `batch_cost` what they cost through batch, `promoted_cost` what promotions paid on top.
    `savings` = realtime − batch − promoted, and can be negative. Unpriced items are counted
    in `unpriced_items` and excluded from every dollar figure, never counted as $0.
    """

    key: str
    items: int
    priced_items: int
    unpriced_items: int
    batch_cost: float
    realtime_cost: float
    promoted_cost: float
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def savings(self) -> float:
        return self.realtime_cost - self.batch_cost - self.promoted_cost


@dataclass(frozen=True, slots=True)
class FleetTotals:
    """The console header line."""

    in_flight: int
    items_pending: int
    failures_waiting: int
    savings_today: float
    savings_month: float
    unpriced_items: int = 0


@dataclass(frozen=True, slots=True)
class SyncLease:
    """Who syncs a store: one process at a time holds the lease and renews it each pass.

    Attributes:
        holder: an opaque token naming the holding engine (unique per process run).
        who: `user@host` of the holder; `host` and `pid` let a process on the same host see
            that the holder died without waiting for `expires_at`.
        heartbeat_at: when the holder last renewed; `expires_at` when others may take over.
        last_pass_at: when the holder last finished a sync pass (None before its first).
    """

    holder: str
    who: str
    host: str
    pid: int
    acquired_at: float
    heartbeat_at: float
    expires_at: float
    last_pass_at: float | None = None


@dataclass(frozen=True, slots=True)
class ProfileHealth:
    """How one account (provider + profile) answered the sync passes.

    `failing_since` is the first error after the last success (None while healthy);
    `listed_until` the newest creation time a complete discovery pass read in its list, and
    `listed_first_id` the id of the batch at the top of that list (where the next pass stops).
    """

    provider: str
    profile: str
    last_success_at: float | None = None
    last_error_at: float | None = None
    last_error: str | None = None
    failing_since: float | None = None
    listed_until: float | None = None
    listed_first_id: str | None = None
    listed_at: float | None = None
