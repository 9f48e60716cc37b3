"""OpenAI Batch API adapter (official `openai` SDK, async client, `max_retries=0`).

Wire facts (reference §2): upload a JSONL file (`purpose=batch`), then create a batch naming
it; results come back as an output file and an error file (two error-line shapes); a batch
whose items all failed ends `completed` with no output file; an empty-string file id means
none. Realtime promotion POSTs the line's body to its URL with `service_tier`.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from adapters import download as dl
from adapters.base import BatchAdapter, BatchPage, BatchRequest, Capabilities, DownloadReport, RealtimeResult, as_int
from adapters.errors import ResultsNotReady
from adapters.lifecycle import batch_status
from adapters.registry import ProviderSpec
from store.model import PriceTier, RemoteBatch, RequestCounts

_TIER_PARAM = {
    PriceTier.FLEX: "flex",
    PriceTier.STANDARD: "default",
    PriceTier.PRIORITY: "priority",
}


def _money(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        amount = float(value)
    except ValueError:
        return None
    return amount if amount == amount and 0 <= amount < float("inf") else None


def _none_if_empty(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class OpenAIBatchAdapter(BatchAdapter):
    """OpenAI, and every service that copies its files + batches API, through
    `openai.AsyncOpenAI` (base URL ending in the service's /v1)."""

    def __init__(self, spec: ProviderSpec, *, api_key: str | None = None, base_url: str | None = None,
                 capabilities: Capabilities | None = None, timeout: float = 120.0, **_: Any) -> None:
        from openai import AsyncOpenAI

        super().__init__(spec, capabilities=capabilities)
        key, base_url = self.credentials(api_key, base_url)
        # A service whose SDK takes the host root (Groq) keeps its API under a path of its own.
        base_url = base_url.rstrip("/") + str(spec.options.get("api_path", ""))
        self.paged_list = bool(spec.options.get("paged_list", True))
        # The service's default input-file retention, where known (OpenAI); others: unknown.
        retention = spec.options.get("input_retention")
        self._input_retention = float(retention) if isinstance(retention, (int, float)) else None
        # Services that add batch analytics only when asked (Doubleword: include=analytics).
        self._include: dict[str, Any] = (
            {"extra_query": {"include": str(spec.options["include"])}} if spec.options.get("include") else {})
        self.client = AsyncOpenAI(api_key=key, base_url=base_url, max_retries=0, timeout=timeout)

    # ---- conversion ------------------------------------------------------------------
    def to_remote(self, b: Any) -> RemoteBatch:
        raw = b.status
        rc = b.request_counts
        total = as_int(getattr(rc, "total", 0)) if rc else 0
        done = as_int(getattr(rc, "completed", 0)) if rc else 0
        failed = as_int(getattr(rc, "failed", 0)) if rc else 0
        rest = max(0, total - done - failed)
        status = batch_status(self.name, raw)
        expired = rest if raw == "expired" else 0
        canceled = rest if raw == "cancelled" else 0
        processing = 0 if status.is_terminal else rest
        counts = RequestCounts(total=total, succeeded=done, errored=failed, expired=expired,
                               canceled=canceled, processing=processing)
        errors = None
        if getattr(b, "errors", None) and getattr(b.errors, "data", None):
            errors = "; ".join(
                f"{e.code or 'error'}"
                + (f" (line {e.line})" if getattr(e, "line", None) else "")
                + (f": {e.message}" if e.message else "")
                for e in b.errors.data
            )
        ended = b.completed_at or b.failed_at or b.expired_at or b.cancelled_at
        # Doubleword's `analytics` (billed and list cost), where the service sends it.
        analytics = (getattr(b, "model_extra", None) or {}).get("analytics")
        analytics = analytics if isinstance(analytics, dict) else {}
        created = float(b.created_at) if b.created_at else None
        input_file_id = _none_if_empty(b.input_file_id)
        return RemoteBatch(
            provider=self.name,
            provider_batch_id=b.id,
            status=status,
            raw_status=raw,
            endpoint=b.endpoint,
            model=getattr(b, "model", None),
            counts=counts,
            created_at=created,
            started_at=float(b.in_progress_at) if b.in_progress_at else None,
            ended_at=float(ended) if ended else None,
            expires_at=float(b.expires_at) if b.expires_at else None,
            cancel_requested_at=float(b.cancelling_at) if b.cancelling_at else None,
            input_file_id=input_file_id,
            output_file_id=_none_if_empty(b.output_file_id),
            error_file_id=_none_if_empty(b.error_file_id),
            metadata=dict(b.metadata or {}),
            errors=errors,
            reported_cost=_money(analytics.get("total_cost")),
            reported_list_cost=_money(analytics.get("total_list_cost")),
            inputs_until=(created + self._input_retention
                          if created is not None and input_file_id and self._input_retention else None),
        )

    # ---- batches ---------------------------------------------------------------------
    async def create_batch(self, requests: list[BatchRequest], *, endpoint: str, model: str | None,
                           metadata: dict[str, str], window: str | None = None) -> RemoteBatch:
        dumps = json.dumps
        with tempfile.SpooledTemporaryFile(max_size=16 << 20) as fh:
            for r in requests:
                fh.write(dumps({"custom_id": r.custom_id, "method": "POST", "url": endpoint,
                                "body": r.body}, separators=(",", ":"), ensure_ascii=False).encode())
                fh.write(b"\n")
            fh.seek(0)
            try:
                uploaded = await self.client.files.create(
                    file=("batchdeck.jsonl", fh, "application/jsonl"), purpose="batch"
                )
            except Exception as exc:  # noqa: BLE001
                raise self._wrap(exc) from None
        try:
            batch = await self.client.batches.create(
                input_file_id=uploaded.id,
                endpoint=endpoint,  # type: ignore[arg-type]
                # The SDK types this as "24h"; other services take their own windows as sent.
                completion_window=window or self.capabilities.windows[0],  # type: ignore[arg-type]
                metadata=metadata or None,
            )
        except Exception as exc:  # noqa: BLE001
            try:
                await self.client.files.delete(uploaded.id)
            except Exception:  # noqa: BLE001 - best effort clean-up
                pass
            raise self._wrap(exc) from None
        return self.to_remote(batch)

    async def retrieve(self, provider_batch_id: str) -> RemoteBatch:
        try:
            remote = self.to_remote(await self.client.batches.retrieve(provider_batch_id, **self._include))
        except Exception as exc:  # noqa: BLE001
            raise self._wrap(exc) from None
        if remote.status.is_terminal and remote.output_file_id:
            remote.results_until = await self._file_expiry(remote.output_file_id)
        return remote

    async def _file_expiry(self, file_id: str) -> float | None:
        """When a file stops being downloadable (`expires_at`; set by `output_expires_after`,
        default retention UNCONFIRMED). One call, made once when a batch is seen ended; a
        failure only leaves the expiry unknown."""
        try:
            info = await self.client.files.retrieve(file_id)
        except Exception:  # noqa: BLE001 - the batch's state is what was asked; this is extra
            return None
        expires = getattr(info, "expires_at", None)
        return float(expires) if isinstance(expires, (int, float)) and expires else None

    async def inputs_until(self, remote: RemoteBatch) -> float | None:
        """The input file's own `expires_at` (one call): exact where the batch's facts only
        estimate (an uploader may have set a shorter `expires_after`); the estimate if the
        call fails or the service does not say."""
        if not remote.input_file_id:
            return remote.inputs_until
        return await self._file_expiry(remote.input_file_id) or remote.inputs_until

    async def list_batches(self, *, since: float | None = None) -> AsyncIterator[RemoteBatch]:
        cursor: str | None = None
        while True:
            page = await self.list_page(cursor)
            for remote in page.batches:
                if since is not None and remote.created_at is not None and remote.created_at < since:
                    return
                yield remote
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def list_page(self, cursor: str | None = None, *, limit: int = 100) -> BatchPage:
        """One GET /v1/batches (at most 100 a page), continuing `after` the cursor. A service
        whose list does not page (Groq) answers everything at once: one page, no cursor."""
        kwargs: dict[str, Any] = {"limit": max(1, min(100, limit))} if self.paged_list else {}
        if cursor and self.paged_list:
            kwargs["after"] = cursor
        try:
            page = await self.client.batches.list(**kwargs)
        except Exception as exc:  # noqa: BLE001
            raise self._wrap(exc) from None
        data = list(page.data)
        more = self.paged_list and bool(data) and bool(getattr(page, "has_more", False))
        return BatchPage([self.to_remote(b) for b in data], data[-1].id if more else None)

    async def cancel(self, provider_batch_id: str) -> RemoteBatch:
        try:
            return self.to_remote(await self.client.batches.cancel(provider_batch_id))
        except Exception as exc:  # noqa: BLE001
            raise self._wrap(exc) from None

    # ---- results ---------------------------------------------------------------------
    def _opener(self, file_id: str) -> dl.OpenStream:
        @asynccontextmanager
        async def open_stream(headers: dict[str, str]) -> Any:
            try:
                cm = self.client.files.with_streaming_response.content(file_id, extra_headers=headers)
                resp = await cm.__aenter__()
            except Exception as exc:  # noqa: BLE001
                raise self._wrap(exc) from None
            try:
                yield resp
            finally:
                await cm.__aexit__(None, None, None)

        return open_stream

    async def download_results(self, remote: RemoteBatch, dest: Path) -> DownloadReport:
        ids = [f for f in (remote.output_file_id, remote.error_file_id) if f]
        if not ids:
            raise ResultsNotReady(f"{self.label} batch {remote.provider_batch_id} has no output or error file")
        return await dl.download(dest, [self._opener(f) for f in ids], wrap=self._wrap)

    # ---- requests --------------------------------------------------------------------
    async def fetch_requests(self, remote: RemoteBatch) -> AsyncIterator[tuple[str, str]]:
        if not remote.input_file_id:
            raise ResultsNotReady(f"{self.label} batch {remote.provider_batch_id} names no input file")
        async for pair in dl.request_lines(self._opener(remote.input_file_id), wrap=self._wrap):
            yield pair

    # ---- realtime --------------------------------------------------------------------
    async def realtime(self, custom_id: str, body: dict[str, Any], *, endpoint: str,
                       tier: PriceTier) -> RealtimeResult:
        payload = dict(body)
        payload.pop("stream", None)
        if tier in _TIER_PARAM:
            payload["service_tier"] = _TIER_PARAM[tier]
        path = endpoint[3:] if endpoint.startswith("/v1/") else endpoint
        return await self._post_realtime(custom_id, path, payload)

    async def aclose(self) -> None:
        await self.client.close()
