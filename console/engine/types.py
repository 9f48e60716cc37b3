"""What the engine's actions return: plain dataclasses the CLI prints and the console shows.

Every result has a `summary` in words ("Promote 212 items of batch 14 at flex: about
$0.42, versus $0.40 if left in the batch") so that both front ends say the same thing.
`to_dict()` gives the stable JSON shape the CLI prints (documented in README).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from console.format.wording import plural

if TYPE_CHECKING:
    from store.model import Batch


class EngineError(Exception):
    """An action that cannot be done; the message is one sentence an operator can act on.

    `exit_code`: 1 for an operational failure (provider down, store busy), 2 for bad usage
    or bad input (unknown batch, invalid file, read-only mode).
    """

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(EngineError):
    """The operator's input is wrong (file, ids, flags)."""

    exit_code = 2


class NotFound(BadInput):
    """No such batch or item."""


def accepted_id(batch: Batch) -> str:
    """The provider's id of a batch the provider has accepted. Polls, cancels and downloads
    only ever reach accepted batches (the store hands out no others); a recorded intent that
    got here would be a bug, so it is refused in words rather than sent as `None`."""
    if batch.provider_batch_id is None:
        raise NotFound(f"batch {batch.id} has no provider id yet (its submission is not confirmed)")
    return batch.provider_batch_id


class ReadOnly(BadInput):
    """A spending or cancelling action was asked for in read-only mode."""


class NeedsInput(BadInput):
    """The provider cannot give the requests back: the operator must pass --input FILE."""


class ProviderFailed(EngineError):
    """The provider refused or could not be reached after bounded retries."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class LineProblem:
    """One bad line of a JSONL file (1-based line number)."""

    line: int
    message: str
    custom_id: str | None = None


class InvalidFile(BadInput):
    """A JSONL file with bad lines; `problems` lists every one of them by number."""

    def __init__(self, path: str, problems: list[LineProblem], total_lines: int) -> None:
        self.path = path
        self.problems = problems
        self.total_lines = total_lines
        first = problems[0]
        more = f" (and {plural(len(problems) - 1, 'more bad line')})" if len(problems) > 1 else ""
        super().__init__(f"{path} line {first.line}: {first.message}{more}")


class _Dict:
    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = asdict(self)  # type: ignore[call-overload]
        return data


@dataclass(slots=True, kw_only=True)
class _SpendFigures(_Dict):
    """The two named figures every spend shows before it asks (submit, resubmit, promote): how
    the expected cost was reached, and the ceiling (console.engine.ceiling)."""

    expected_basis: str = ""
    """How the expected cost was reached."""
    ceiling_cost: float | None = None
    """The most the spend can bill (each output limit in full, input at most a token per byte,
    at the dearest input rate); None when any request has no bound (`ceiling_unbounded`) or a
    model is unpriced."""
    ceiling_bounded_cost: float | None = None
    """The bound of the requests that have one (None: unpriced)."""
    ceiling_unbounded: int = 0
    """Requests with no bound (no max_tokens, media, provider-run tools, request not at hand)."""
    ceiling_reasons: dict[str, int] = field(default_factory=dict)
    """Why those requests have none, counted."""


@dataclass(slots=True)
class TierCost(_Dict):
    """Estimated cost of sending items through one route.

    `tier` is "batch", "flex", "standard" or "priority"; `cost` is None when the model has
    no price (never $0); `note` says what the route means for latency/reliability.
    """

    tier: str
    cost: float | None
    note: str = ""
    available: bool = True


@dataclass(slots=True)
class SplitPlan(_Dict):
    """One provider batch a job would become: which lines, how many bytes."""

    index: int
    requests: int
    bytes: int
    first_line: int
    last_line: int


@dataclass(slots=True)
class FileEstimate(_Dict):
    """`estimate FILE`: tokens, costs by route, the split, and the cheapest route for a deadline."""

    path: str
    provider: str
    model: str | None
    endpoint: str
    requests: int
    input_tokens: int
    output_tokens: int
    batches: list[SplitPlan]
    costs: list[TierCost]
    route: str
    """Cheapest route meeting the deadline: "batch", "flex", "standard" or "priority"."""
    route_reason: str
    deadline: float | None
    summary: str
    unpriced_models: list[str] = field(default_factory=list)
    """Models in the file with no price for this provider (costs are then null, never $0)."""


@dataclass(slots=True)
class SubmitPreview(_SpendFigures):
    """What a `submit` is about to send, shown (and asked about) before anything is recorded."""

    path: str
    provider: str
    requests: int
    batches: int
    cost: float | None
    """Estimated batch cost in USD; None when a model is unpriced (never $0 for unknown)."""
    unpriced_models: list[str]
    summary: str


@dataclass(slots=True)
class SubmitResult(_Dict):
    """`submit`: the job and the local/provider ids of each batch it became."""

    job_id: str
    batch_ids: list[int]
    provider_batch_ids: list[str | None]
    requests: int
    provider: str
    summary: str
    unpriced_models: list[str] = field(default_factory=list)
    """Models submitted that have no price for this provider (costs will show as unpriced)."""


@dataclass(slots=True)
class TrackResult(_Dict):
    """`track`: local ids created (new) and already known."""

    created: list[int]
    existing: list[int]
    summary: str


@dataclass(slots=True)
class BatchChange(_Dict):
    batch_id: int
    old: str
    new: str


@dataclass(slots=True)
class SyncReport(_Dict):
    """One sync pass: what was polled, what changed, what was ingested, what was throttled.

    A throttled poll changes nothing in the store (never marks anything failed).
    """

    polled: int = 0
    skipped: int = 0
    changed: list[BatchChange] = field(default_factory=list)
    ingested: dict[int, int] = field(default_factory=dict)
    """batch id -> result lines ingested this pass."""
    throttled: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)
    reconciled: list[int] = field(default_factory=list)
    """Intents matched to a provider batch (or sent) this pass."""
    awaiting: int = 0
    """Intents still unconfirmed after this pass (provider unreachable, or inside the grace period)."""
    recovered: dict[int, int] = field(default_factory=dict)
    """Kept for the JSON shape; always empty since paid answers are stored with their mark."""
    next_poll_in: float | None = None
    seconds: float = 0.0
    discovered: list[int] = field(default_factory=list)
    """Batches an account listed that the store did not know, tracked this pass."""
    list_calls: int = 0
    """Provider list calls (pages) discovery made this pass, retries not counted."""
    account_errors: dict[str, str] = field(default_factory=dict)
    """`provider:profile` -> why discovery could not read that account's list this pass."""

    @property
    def summary(self) -> str:
        parts = [f"polled {self.polled}"]
        if self.discovered:
            parts.append(f"discovered {len(self.discovered)} new batches")
        if self.account_errors:
            parts.append(f"{len(self.account_errors)} accounts could not be listed")
        if self.changed:
            parts.append(f"{len(self.changed)} changed")
        if self.ingested:
            parts.append(f"ingested {sum(self.ingested.values())} results from {len(self.ingested)} batches")
        if self.throttled:
            parts.append(f"{len(self.throttled)} throttled (retry later)")
        if self.errors:
            parts.append(f"{len(self.errors)} errors")
        if self.reconciled:
            parts.append(f"{len(self.reconciled)} pending submissions reconciled")
        if self.awaiting:
            parts.append(f"{self.awaiting} submissions awaiting provider confirmation")
        if self.recovered:
            parts.append(f"recorded {sum(self.recovered.values())} answers an interrupted promote paid for")
        return ", ".join(parts)


@dataclass(slots=True)
class ResubmitEstimate(_SpendFigures):
    """What `resubmit` would do: items chosen, how many lack a request body, batch cost."""

    batch_id: int
    provider: str
    items: int
    retryable: int
    permanent: int
    missing_requests: int
    needs_input: bool
    batches: int
    cost: TierCost
    summary: str


@dataclass(slots=True)
class ResubmitResult(_Dict):
    parent_id: int
    new_batch_ids: list[int]
    items: int
    summary: str
    skipped: dict[str, int] = field(default_factory=dict)
    """reason -> chosen items not sent: claimed by a running promote, replaced, or finished."""


@dataclass(slots=True)
class PromotionEstimate(_SpendFigures):
    """What `promote` would cost: per tier, beside leaving the items in the batch.

    `costs` has one TierCost per route ("batch" first, then the provider's realtime tiers,
    unavailable ones marked so). `tier` is the tier that will be used unless told otherwise.
    `expected_cost` and `ceiling_cost` are the chosen tier's two numbers, each named in the
    summary; `costs` holds every tier at the expected output.
    """

    batch_id: int
    provider: str
    model: str | None
    items: int
    missing_requests: int
    needs_input: bool
    input_tokens: int
    output_tokens: int
    costs: list[TierCost]
    tier: str
    summary: str
    expected_cost: float | None = None
    """The chosen tier's expected cost: prompt tokens plus the output this batch's finished
    items produced per item (or promote.EXPECTED_OUTPUT_TOKENS); None when unpriced."""
    tier_ceilings: dict[str, float | None] = field(default_factory=dict)
    """Every offered realtime tier's bound of the items that have one (the console's tier choice)."""
    ceiling_output_tokens: int = 0
    batch_copies_running: int = 0
    """Promoted items whose batch copies keep running at the provider (billed too if they finish)."""
    cancel_offered: bool = False
    """Every pending item of a running batch is being promoted: cancelling the batch is offered."""


@dataclass(slots=True)
class PromoteResult(_Dict):
    batch_id: int
    tier: str
    promoted: int
    failed: dict[str, str]
    """custom_id -> why it could not be promoted (left as it was)."""
    cost: float | None
    retries: int
    seconds: float
    summary: str
    skipped: dict[str, int] = field(default_factory=dict)
    """reason -> items not bought: claimed by another run, replaced, promoted, or finished."""


@dataclass(slots=True)
class CancelPreview(_Dict):
    batch_id: int
    provider: str
    provider_batch_id: str | None
    status: str
    pending_items: int
    cancellable: bool
    summary: str


@dataclass(slots=True)
class CancelResult(_Dict):
    batch_id: int
    status: str
    summary: str


@dataclass(slots=True)
class ExportResult(_Dict):
    batch_id: int
    rows: int
    format: str
    summary: str
