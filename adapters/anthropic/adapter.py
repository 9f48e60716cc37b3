"""Anthropic Message Batches adapter (official `anthropic` SDK, async client, `max_retries=0`).

Wire facts (reference §3): requests go inline in one create call; there are three statuses
(`in_progress`, `canceling`, `ended`) and counts stay 0 until the end, so completed / expired /
canceled are derived (`adapters.lifecycle`); results stream as JSONL from the absolute
`results_url`; there is no batch metadata and no way to read a batch's requests back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters import download as dl
from adapters.anthropic.requests import ENDPOINT
from adapters.base import BatchAdapter, BatchPage, BatchRequest, Capabilities, DownloadReport, RealtimeResult, as_int
from adapters.errors import ReadbackUnsupported, ResultsNotReady
from adapters.lifecycle import batch_status
from adapters.registry import ProviderSpec
from store.model import PriceTier, RemoteBatch, RequestCounts

_TIER_PARAM = {PriceTier.STANDARD: "standard_only", PriceTier.PRIORITY: "auto"}

READBACK_HINT = (
    "Anthropic cannot give back a batch's requests; pass --input FILE with the original "
    "JSONL (lines are matched by custom_id)"
)


def _ts(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


RESULTS_RETENTION = 29 * 86_400.0
"""Anthropic serves a batch's results for 29 days from its *creation* (then `archived_at` is set)."""


class AnthropicBatchAdapter(BatchAdapter):
    """Anthropic through `anthropic.AsyncAnthropic` (base URL without /v1)."""

    def __init__(self, spec: ProviderSpec, *, api_key: str | None = None, base_url: str | None = None,
                 capabilities: Capabilities | None = None, timeout: float = 120.0, **_: Any) -> None:
        from anthropic import AsyncAnthropic

        super().__init__(spec, capabilities=capabilities)
        key, base_url = self.credentials(api_key, base_url)
        self.client = AsyncAnthropic(api_key=key, base_url=base_url, max_retries=0, timeout=timeout)

    def to_remote(self, b: Any) -> RemoteBatch:
        rc = b.request_counts
        succeeded, errored = as_int(rc.succeeded), as_int(rc.errored)
        canceled, expired, processing = as_int(rc.canceled), as_int(rc.expired), as_int(rc.processing)
        counts = RequestCounts(
            total=succeeded + errored + canceled + expired + processing,
            succeeded=succeeded, errored=errored, expired=expired, canceled=canceled,
            processing=processing,
        )
        cancel_at = _ts(getattr(b, "cancel_initiated_at", None))
        raw = b.processing_status
        return RemoteBatch(
            provider=self.name,
            provider_batch_id=b.id,
            status=batch_status(self.name, raw, counts=counts, cancel_initiated=cancel_at is not None),
            raw_status=raw,
            endpoint=ENDPOINT,
            counts=counts,
            created_at=_ts(b.created_at),
            started_at=_ts(b.created_at),
            ended_at=_ts(b.ended_at),
            expires_at=_ts(b.expires_at),
            cancel_requested_at=cancel_at,
            results_url=b.results_url or None,
            results_until=_ts(getattr(b, "archived_at", None)) or (
                created + RESULTS_RETENTION if (created := _ts(b.created_at)) is not None else None),
        )

    # ---- batches ---------------------------------------------------------------------
    async def create_batch(self, requests: list[BatchRequest], *, endpoint: str, model: str | None,
                           metadata: dict[str, str], window: str | None = None) -> RemoteBatch:
        # No metadata on Anthropic batches: the engine reconciles by time window + count.
        try:
            batch = await self.client.messages.batches.create(
                requests=[{"custom_id": r.custom_id, "params": r.body} for r in requests]  # type: ignore[misc]
            )
        except Exception as exc:  # noqa: BLE001
            raise self._wrap(exc) from None
        return self.to_remote(batch)

    async def retrieve(self, provider_batch_id: str) -> RemoteBatch:
        try:
            return self.to_remote(await self.client.messages.batches.retrieve(provider_batch_id))
        except Exception as exc:  # noqa: BLE001
            raise self._wrap(exc) from None

    async def list_batches(self, *, since: float | None = None) -> AsyncIterator[RemoteBatch]:
        cursor: str | None = None
        while True:
            page = await self.list_page(cursor, limit=1000)
            for remote in page.batches:
                if since is not None and remote.created_at is not None and remote.created_at < since:
                    return
                yield remote
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def list_page(self, cursor: str | None = None, *, limit: int = 100) -> BatchPage:
        """One GET /v1/messages/batches (at most 1,000 a page), continuing after `after_id`."""
        kwargs: dict[str, Any] = {"limit": max(1, min(1000, limit))}
        if cursor:
            kwargs["after_id"] = cursor
        try:
            page = await self.client.messages.batches.list(**kwargs)
        except Exception as exc:  # noqa: BLE001
            raise self._wrap(exc) from None
        data = list(page.data)
        last = getattr(page, "last_id", None) or (data[-1].id if data else None)
        more = bool(data) and bool(getattr(page, "has_more", False)) and bool(last)
        return BatchPage([self.to_remote(b) for b in data], last if more else None)

    async def cancel(self, provider_batch_id: str) -> RemoteBatch:
        try:
            return self.to_remote(await self.client.messages.batches.cancel(provider_batch_id))
        except Exception as exc:  # noqa: BLE001
            raise self._wrap(exc) from None

    # ---- results ---------------------------------------------------------------------
    async def download_results(self, remote: RemoteBatch, dest: Path) -> DownloadReport:
        if not remote.results_url:
            raise ResultsNotReady(
                f"{self.label} batch {remote.provider_batch_id} has no results yet ({remote.raw_status})"
            )
        import httpx2

        url = remote.results_url

        @asynccontextmanager
        async def open_stream(headers: dict[str, str]) -> Any:
            try:
                resp = await self.client.get(
                    url,
                    cast_to=httpx2.Response,
                    options={"headers": {"Accept": "application/binary", **headers}},
                    stream=True,
                )
            except Exception as exc:  # noqa: BLE001
                raise self._wrap(exc) from None
            try:
                yield _Stream(resp)
            finally:
                await resp.aclose()

        return await dl.download(dest, [open_stream], wrap=self._wrap)

    # ---- requests --------------------------------------------------------------------
    async def fetch_requests(self, remote: RemoteBatch) -> AsyncIterator[tuple[str, str]]:
        raise ReadbackUnsupported(READBACK_HINT)
        yield  # pragma: no cover  # noqa: V201 - makes this an async generator (raises on first iteration)

    # ---- realtime --------------------------------------------------------------------
    async def realtime(self, custom_id: str, body: dict[str, Any], *, endpoint: str,
                       tier: PriceTier) -> RealtimeResult:
        payload = dict(body)
        payload.pop("stream", None)
        if tier in _TIER_PARAM and "service_tier" not in payload:
            payload["service_tier"] = _TIER_PARAM[tier]
        return await self._post_realtime(custom_id, ENDPOINT, payload)

    async def aclose(self) -> None:
        await self.client.close()


class _Stream:
    """Adapts a raw httpx2 streaming response to the download helper's interface."""

    def __init__(self, resp: Any) -> None:
        self._resp = resp
        self.status_code = resp.status_code
        self.headers = resp.headers

    def iter_bytes(self, size: int) -> AsyncIterator[bytes]:
        return self._resp.aiter_bytes(size)
