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
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.lifecycle import classify_error
from adapters.result_lines import read_results
from store.model import ItemResult, ItemStatus, PriceTier, RemoteBatch

if TYPE_CHECKING:  # pragma: no cover
    from adapters.registry import ProviderSpec


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
        windows: completion windows a batch may ask for (the first is the default).
        max_embedding_inputs: embedding inputs summed over one `/v1/embeddings` batch
            (None: no such cap).
    """

    max_requests: int
    max_bytes: int
    max_line_bytes: int
    endpoints: tuple[str, ...]
    tiers: tuple[PriceTier, ...]
    supports_request_readback: bool
    supports_metadata: bool
    mixed_models: bool = False
    windows: tuple[str, ...] = ("24h",)
    max_embedding_inputs: int | None = None


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
    """A provider's count or token number as an int: numbers and numeric strings ("12")
    count; absent, non-numeric or non-finite values are 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and value not in (float("inf"), float("-inf")) else 0
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                return as_int(float(value))
            except ValueError:
                return 0
    return 0


MAX_RESULT_TOKENS = 10**9
"""More tokens than any one request can use (context windows are ~10^6): a larger count in a
result line is garbage, not usage. UNCONFIRMED as a provider limit; a plausibility bound. The
results decoders declare token counts as whole numbers from 0 to this (msgspec `Meta`): a
string, true, a negative, NaN, 1e999 or 10^30 makes the line malformed instead of priced."""


class BatchAdapter(ABC):
    """A provider's batch API, normalized. One instance per (provider, profile, event loop).

    Built from the provider's `ProviderSpec` (adapters.registry) and the capabilities its
    profile resolves to: instance data, so a profile with another base URL has its own limits.

    Attributes:
        spec: the provider's registry entry (name, display name, credentials, formats).
        name: the provider name used in the store.
        label: the provider's name as written in messages.
        capabilities: limits and flags the engine plans with.
    """

    client: Any
    """The provider SDK's (or httpx's) async client, set by each adapter's constructor."""

    def __init__(self, spec: ProviderSpec, *, capabilities: Capabilities | None = None) -> None:
        self.spec = spec
        self.name = spec.name
        self.label = spec.display_name
        self.capabilities = capabilities or spec.capabilities
        self.default_endpoint = spec.default_endpoint

    def credentials(self, api_key: str | None, base_url: str | None) -> tuple[str, str]:
        """(key, base URL) from the profile, else the provider's usual environment variables,
        else the provider's default host.

        The key is remembered only as a secret to redact from every error message.
        """
        from adapters.errors import AuthFailed

        spec = self.spec
        key = api_key or os.environ.get(spec.key_env)
        if not key:
            raise AuthFailed(f"no {self.label} API key: set {spec.key_env} or name a profile with --profile")
        self._secrets = (key,)
        url = base_url or os.environ.get(spec.base_url_env) or spec.default_base_url
        if not url:
            raise AuthFailed(f"no {self.label} base URL: set {spec.base_url_env} or base_url in the profile")
        return key, url

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
        window: str | None = None,
    ) -> RemoteBatch:
        """Submit one batch (already validated and within limits) and return its state.

        `window` is one of `capabilities.windows` (None: the first, the provider's default).

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

    def parse_results(self, path: Path, start: int = 0) -> Iterator[ItemResult]:
        """Normalized results from a downloaded file (`adapters.result_lines.read_results`),
        from byte `start` (where an interrupted ingest's committed lines end)."""
        return read_results(self.spec, path, start)

    # ---- requests ----------------------------------------------------------------
    @abstractmethod
    def fetch_requests(self, remote: RemoteBatch) -> AsyncIterator[tuple[str, str]]:
        """The batch's original requests as (custom_id, body JSON text), where the provider
        can give them back; raises `ReadbackUnsupported` with an operator hint otherwise."""

    async def inputs_until(self, remote: RemoteBatch) -> float | None:
        """When the provider stops serving this batch's requests, as exactly as it can say.

        The engine asks when a read of the requests failed (how long is left to retry). This
        default gives the batch's own facts (`remote.inputs_until`, None when unknown); an
        adapter whose provider keeps the input as a file with its own expiry asks for it (one
        call) and answers the estimate when that call fails. Never raises for a failed call.
        """
        return remote.inputs_until

    # ---- realtime ----------------------------------------------------------------
    @abstractmethod
    async def realtime(
        self, custom_id: str, body: dict[str, Any], *, endpoint: str, tier: PriceTier
    ) -> RealtimeResult:
        """Send one request through the realtime API at `tier` and normalize the answer.

        Transport failures and HTTP 429/5xx raise `AdapterError` (the engine retries);
        a permanent 4xx for this request comes back as an ERRORED result instead.
        """

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
        answer = self.spec.read_realtime(custom_id, resp.text)
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
