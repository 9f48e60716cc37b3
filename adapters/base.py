"""The one provider interface the engine speaks: `BatchAdapter`.

An adapter turns a provider's batch API into `store.model` types and nothing else leaks out:
no SDK objects, no raw statuses without their normalized twin, no provider error classes.
Adapters import only `store.model` from the store and their SDK, lazily (in `__init__`), so
that `import adapters` stays cheap.

Every network method is async. SDK clients are built with `max_retries=0`: a failure raises
an `adapters.errors.AdapterError` once, and the engine retries with bounded backoff.
"""

from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.lifecycle import classify_error
from adapters.result_lines import iter_lines_with_offsets, tolerant
from store.model import ItemResult, ItemStatus, PriceTier, RemoteBatch


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a provider allows; the engine plans around these, never around provider names.

    Attributes:
        max_requests: requests per batch.
        max_bytes: bytes of one batch's input (file or request body).
        max_line_bytes: bytes of one serialized request line (the reference documents no
            per-line limit for OpenAI or Anthropic; this is a conservative default).
        endpoints: the endpoints a batch may target.
        tiers: realtime service tiers a promotion can use.
        supports_request_readback: the provider can give a batch's original requests back
            (OpenAI keeps the input file; Anthropic cannot).
        supports_metadata: the batch carries our submit token (exactly-once by tag); without
            it the engine reconciles by time window and request count.
        mixed_models: one batch may mix models.
    """

    max_requests: int
    max_bytes: int
    max_line_bytes: int
    endpoints: tuple[str, ...]
    tiers: tuple[PriceTier, ...]
    supports_request_readback: bool
    supports_metadata: bool
    mixed_models: bool = False


@dataclass(slots=True)
class BatchRequest:
    """One normalized request: the provider's body for `endpoint`, keyed by `custom_id`."""

    custom_id: str
    body: dict[str, Any]


@dataclass(slots=True)
class RealtimeResult:
    """One realtime call's outcome, normalized.

    `result.status` is SUCCEEDED with `usage` set, or ERRORED with the error fields set.
    `raw` is the response body as JSON text (kept for export); `tier` is the tier the
    provider reports it ran on (may differ from the one asked for).
    """

    result: ItemResult
    raw: str
    tier: str | None = None
    latency_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class DownloadReport:
    """What a `download_results` call did: bytes fetched now, and whether it resumed."""

    path: Path
    bytes_total: int
    bytes_fetched: int
    resumed: bool
    parts: int


@dataclass(slots=True)
class BatchPage:
    """One page of the account's batch list, newest first, and where the next page starts.

    `next_cursor` is None on the last page. Cursors are opaque to the engine: it hands back
    whatever the adapter gave it (OpenAI's `after`, Anthropic's `after_id`).
    """

    batches: list[RemoteBatch]
    next_cursor: str | None = None


def as_int(value: Any) -> int:
    """A provider's count or token number as an int (0 when absent or not a number)."""
    return int(value) if isinstance(value, (int, float)) else 0


MAX_RESULT_TOKENS = 10**9
"""More tokens than any one request can use (context windows are ~10^6): a larger count in a
result line is garbage, not usage. UNCONFIRMED as a provider limit; a plausibility bound."""


def token_count(value: Any) -> int:
    """One token count from a result line's usage, strictly: absent (None) is 0; a whole
    number from 0 to MAX_RESULT_TOKENS is itself; anything else (a string, true, a negative,
    NaN, 1e999 read as infinity, 10^30) raises ValueError, so the line is flagged as
    malformed instead of being priced from a made-up number."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"token count {value!r} is not a number")
    if isinstance(value, float) and not value.is_integer():  # NaN and infinities included
        raise ValueError(f"token count {value!r} is not a whole number")
    if not 0 <= value <= MAX_RESULT_TOKENS:
        raise ValueError(f"token count {value!r} is out of range")
    return int(value)


class BatchAdapter(ABC):
    """A provider's batch API, normalized. One instance per (provider, profile, event loop).

    Attributes:
        name: the provider name used in the store (`openai`, `anthropic`).
        capabilities: limits and flags the engine plans with.
    """

    name: str = ""
    capabilities: Capabilities
    default_endpoint: str = ""
    label: str = ""
    """The provider's name as written in messages ("OpenAI")."""
    key_env: str = ""
    base_url_env: str = ""
    client: Any
    """The provider SDK's (or httpx's) async client, set by each adapter's constructor."""

    if TYPE_CHECKING:  # the constructor every adapter offers (the engine builds them by registry name)
        def __init__(self, *, api_key: str | None = None, base_url: str | None = None, **options: Any) -> None: ...

    def credentials(self, api_key: str | None, base_url: str | None) -> tuple[str, str | None]:
        """(key, base URL) from the profile, else the provider's usual environment variables.

        The key is remembered only as a secret to redact from every error message.
        """
        from adapters.errors import AuthFailed

        key = api_key or os.environ.get(self.key_env)
        if not key:
            raise AuthFailed(f"no {self.label} API key: set {self.key_env} or name a profile with --profile")
        self._secrets = (key,)
        return key, base_url or os.environ.get(self.base_url_env) or None

    def _wrap(self, exc: BaseException) -> Any:
        """An SDK exception as an AdapterError, with the key redacted."""
        from adapters.errors import wrap_sdk_error

        return wrap_sdk_error(exc, provider=self.label, secrets=getattr(self, "_secrets", ()))

    # ---- batches -----------------------------------------------------------------
    @abstractmethod
    async def create_batch(
        self,
        requests: list[BatchRequest],
        *,
        endpoint: str,
        model: str | None,
        metadata: dict[str, str],
    ) -> RemoteBatch:
        """Submit one batch (already validated and within limits) and return its state.

        `metadata` carries our submit token where the provider stores metadata; otherwise
        it is ignored and the engine reconciles by time window and request count.
        """

    @abstractmethod
    async def retrieve(self, provider_batch_id: str) -> RemoteBatch:
        """The batch's current state (one GET)."""

    @abstractmethod
    def list_batches(self, *, since: float | None = None) -> AsyncIterator[RemoteBatch]:
        """Every batch the account lists, newest first; stops early at `created_at < since`."""

    async def list_page(self, cursor: str | None = None, *, limit: int = 100) -> BatchPage:
        """One page of the account's batches, newest first, starting after `cursor`.

        One provider call, so the engine can retry each page with its bounded backoff and
        stop paging as soon as it meets a batch it already knows. This fallback, for an
        adapter whose provider does not page, reads the whole list as one page.
        """
        return BatchPage([remote async for remote in self.list_batches()], None)

    @abstractmethod
    async def cancel(self, provider_batch_id: str) -> RemoteBatch:
        """Ask the provider to cancel; returns the batch (usually `canceling`)."""

    # ---- results -----------------------------------------------------------------
    @abstractmethod
    async def download_results(self, remote: RemoteBatch, dest: Path) -> DownloadReport:
        """Stream the batch's results (and errors) to `dest`, resuming a broken download.

        Never holds the whole file in memory. A break midway raises
        `DownloadIncomplete` and keeps the partial part file; the next call continues with
        an HTTP Range request when the server honours it, or restarts that part otherwise.
        `dest` appears only once complete (atomic rename), so its presence means "whole".
        Raises `ResultsNotReady` when the provider has no results (yet).
        """

    @classmethod
    @abstractmethod
    def line_parser(cls) -> Callable[[bytes], ItemResult | None]:
        """A parser for the lines of one results file (`None` for a line to skip)."""

    def parse_results(self, path: Path, start: int = 0) -> Iterator[ItemResult]:
        """Normalized results from a downloaded file, each with its line's byte offset/length.

        Streams line by line; a line with wrong types is flagged, never fatal (`tolerant`).
        `start`: the byte offset to begin at (a line boundary: where an interrupted ingest's
        committed lines end), so a resumed ingest reads only what it has not stored yet.
        """
        parse = tolerant(self.line_parser())
        for offset, line in iter_lines_with_offsets(path, start=start):
            result = parse(line)
            if result is None:
                continue
            result.offset = offset
            result.length = len(line)
            yield result

    # ---- requests ----------------------------------------------------------------
    @abstractmethod
    def fetch_requests(self, remote: RemoteBatch) -> AsyncIterator[tuple[str, str]]:
        """The batch's original requests as (custom_id, body JSON text), where the provider
        can give them back; raises `ReadbackUnsupported` with an operator hint otherwise."""

    @classmethod
    @abstractmethod
    def adapt_line(cls, source: str, url: str | None, payload: Any) -> tuple[str, dict[str, Any]]:
        """(endpoint, body) for one input line, converting the other provider's shape.

        `source` is "body" (`{custom_id, body}`), "openai" (`{custom_id, method, url, body}`)
        or "anthropic" (`{custom_id, params}`). Raises `adapters.mapping.MappingError` with a
        one-sentence reason when no faithful mapping exists.
        """

    @classmethod
    @abstractmethod
    def validate_body(cls, body: Any, endpoint: str) -> str | None:
        """Why this body cannot go to `endpoint` (one short sentence), or None if it can."""

    @classmethod
    def validate_custom_id(cls, custom_id: str) -> str | None:
        """Why this custom_id is unacceptable to the provider, or None."""
        return None

    @classmethod
    def response_body(cls, line: dict[str, Any]) -> Any:
        """The provider's response body inside one raw results line (None for failures)."""
        return None

    @classmethod
    def response_text(cls, body: Any) -> str | None:
        """The generated text inside a response body, where there is one."""
        return None

    # ---- realtime ----------------------------------------------------------------
    @abstractmethod
    async def realtime(
        self, custom_id: str, body: dict[str, Any], *, endpoint: str, tier: PriceTier
    ) -> RealtimeResult:
        """Send one request through the realtime API at `tier` and normalize the answer.

        Transport failures and HTTP 429/5xx raise `AdapterError` (the engine retries);
        a permanent 4xx for this request comes back as an ERRORED result instead.
        """

    @classmethod
    @abstractmethod
    def read_realtime(cls, custom_id: str, text: str) -> RealtimeResult:
        """A successful realtime answer's body (JSON text) as a result: usage, model, tier.

        Also reads answers kept from an earlier run, so that a promotion interrupted after it
        was paid for is recorded from its answer instead of being sent (and paid) again."""

    async def _post_realtime(self, custom_id: str, path: str, payload: dict[str, Any]) -> RealtimeResult:
        """POST one realtime request through the adapter's SDK client (`self.client`) and read
        the answer from the raw body: the SDK's response models cost more than the call does
        on a 1,000-item promotion."""
        import httpx2

        started = time.monotonic()
        try:
            resp = await self.client.post(path, body=payload, cast_to=httpx2.Response)
        except Exception as exc:  # noqa: BLE001
            return self._refused(custom_id, exc, started)
        answer = self.read_realtime(custom_id, resp.text)
        answer.latency_s = time.monotonic() - started
        return answer

    def _refused(self, custom_id: str, exc: Exception, started: float) -> RealtimeResult:
        """A realtime call that failed: re-raised (as AdapterError) when worth retrying (429,
        5xx, transport), else the item's ERRORED result with the provider's reason."""
        err = self._wrap(exc)
        if err.retryable:
            raise err from None
        result = ItemResult(custom_id=custom_id, status=ItemStatus.ERRORED,
                            error_type=err.error_type or f"http_{err.status}",
                            error_message=err.message, http_status=err.status,
                            error_class=classify_error(err.error_type, err.status))
        return RealtimeResult(result=result, raw="", latency_s=time.monotonic() - started)

    async def aclose(self) -> None:  # noqa: B027 - optional hook: adapters without a client keep it
        """Close the SDK client."""
