"""Mistral batch jobs adapter, on httpx.

Wire facts (reference §5): upload the requests as a JSONL file (`purpose=batch`), create a job
naming it (`input_files`, `endpoint`, `model`, `metadata`, `timeout_hours`); statuses QUEUED,
RUNNING, SUCCESS, FAILED, TIMEOUT_EXCEEDED, CANCELLATION_REQUESTED, CANCELLED (an open enum:
`adapters.lifecycle` maps anything else to `unknown`, which keeps being polled); counts total /
completed / succeeded / failed; times are Unix seconds. Results: an output file **and** an error
file, failures possible in both; both are downloaded and each custom_id is counted once.

The job object does not report `timeout_hours` (its window), so the adapter records the one
it asked for in the job's metadata and reads it back; a job made elsewhere is assumed to have
the SDK's default. Why httpx and not `mistralai`: every call is a small JSON request, and the
SDK would add a second HTTP stack (httpx2) and its large generated model package to start-up.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from adapters import download as dl
from adapters.base import BatchAdapter, BatchRequest, Capabilities, DownloadReport, RealtimeResult, as_int
from adapters.errors import AdapterError, BadRequest, ResultsNotReady
from adapters.httpjson import JsonHTTP
from adapters.lifecycle import batch_status
from adapters.registry import ProviderSpec
from store.model import BatchStatus, ItemResult, ItemStatus, PriceTier, RemoteBatch, RequestCounts

DEFAULT_TIMEOUT_HOURS = 24
"""`timeout_hours` when none is asked for (the SDK's default, reference §5)."""
WINDOW_KEY = "batchdeck_timeout_hours"
"""Metadata key holding the window batchdeck asked for (the job object has no such field)."""
LIST_PAGE_SIZE = 100


class MistralBatchAdapter(BatchAdapter):
    """Mistral through httpx at `<MISTRAL_BASE_URL>/v1` with a Bearer key."""

    def __init__(self, spec: ProviderSpec, *, api_key: str | None = None, base_url: str | None = None,
                 capabilities: Capabilities | None = None, timeout: float = 120.0,
                 timeout_hours: int = DEFAULT_TIMEOUT_HOURS, **_: Any) -> None:
        super().__init__(spec, capabilities=capabilities)
        key, server = self.credentials(api_key, base_url)
        self.timeout_hours = timeout_hours
        self.http = JsonHTTP(server.rstrip("/") + "/v1", {"Authorization": f"Bearer {key}"}, label=self.label,
                             secrets=(key,), timeout=timeout)

    # ---- conversion ------------------------------------------------------------------
    def to_remote(self, job: dict[str, Any]) -> RemoteBatch:
        raw = str(job.get("status") or "")
        status = batch_status(self.name, raw)
        total = as_int(job.get("total_requests"))
        ok, failed = as_int(job.get("succeeded_requests")), as_int(job.get("failed_requests"))
        rest = max(0, total - ok - failed)
        counts = RequestCounts(
            total=total, succeeded=ok, errored=failed,
            expired=rest if status is BatchStatus.EXPIRED else 0,
            canceled=rest if status is BatchStatus.CANCELED else 0,
            processing=0 if status.is_terminal else rest,
        )
        metadata = {str(k): str(v) for k, v in (job.get("metadata") or {}).items()}
        created = float(job["created_at"]) if isinstance(job.get("created_at"), int | float) else None
        try:
            hours = int(metadata.get(WINDOW_KEY, DEFAULT_TIMEOUT_HOURS))
        except ValueError:
            hours = DEFAULT_TIMEOUT_HOURS
        errors = job.get("errors") or []
        files = job.get("input_files") or []
        return RemoteBatch(
            provider=self.name,
            provider_batch_id=str(job.get("id")),
            status=status,
            raw_status=raw,
            endpoint=job.get("endpoint"),
            model=job.get("model"),
            counts=counts,
            created_at=created,
            started_at=float(job["started_at"]) if isinstance(job.get("started_at"), int | float) else None,
            ended_at=float(job["completed_at"]) if isinstance(job.get("completed_at"), int | float) else None,
            expires_at=created + hours * 3600.0 if created is not None else None,
            input_file_id=str(files[0]) if files else None,
            output_file_id=job.get("output_file") or None,
            error_file_id=job.get("error_file") or None,
            metadata=metadata,
            errors="; ".join(f"{e.get('message')}" + (f" (x{e['count']})" if e.get("count", 1) != 1 else "")
                             for e in errors if isinstance(e, dict)) or None,
        )

    # ---- batches ---------------------------------------------------------------------
    async def create_batch(self, requests: list[BatchRequest], *, endpoint: str, model: str | None,
                           metadata: dict[str, str], window: str | None = None) -> RemoteBatch:
        hours = int(window[:-1]) if window and window.endswith("h") and window[:-1].isdigit() else self.timeout_hours
        dumps = json.dumps
        with tempfile.SpooledTemporaryFile(max_size=16 << 20) as fh:  # a 200 MB input stays on disk
            for r in requests:
                fh.write(dumps({"custom_id": r.custom_id, "body": r.body}, separators=(",", ":"),
                               ensure_ascii=False).encode() + b"\n")
            fh.seek(0)
            uploaded = await self.http.json("POST", "/files", data={"purpose": "batch"},
                                            files={"file": ("batchdeck.jsonl", fh, "application/jsonl")})
        if not isinstance(uploaded.get("id"), str):
            raise AdapterError("Mistral's upload answer names no file", retryable=True)
        body: dict[str, Any] = {"input_files": [uploaded["id"]], "endpoint": endpoint,
                                "metadata": {**metadata, WINDOW_KEY: str(hours)},
                                "timeout_hours": hours}
        if model:
            body["model"] = model
        try:
            job = await self.http.json("POST", "/batch/jobs", json=body)
        except AdapterError:
            try:
                await self.http.send("DELETE", f"/files/{uploaded['id']}")
            except AdapterError:  # best effort clean-up
                pass
            raise
        return self.to_remote(job)

    async def retrieve(self, provider_batch_id: str) -> RemoteBatch:
        return self.to_remote(await self.http.json("GET", f"/batch/jobs/{provider_batch_id}"))

    async def list_batches(self, *, since: float | None = None) -> AsyncIterator[RemoteBatch]:
        page = 0
        while True:
            params = {"page": str(page), "page_size": str(LIST_PAGE_SIZE), "order_by": "-created"}
            answer = await self.http.json("GET", "/batch/jobs", params=params)
            data = answer.get("data") or []
            for job in data:
                remote = self.to_remote(job)
                if since is not None and remote.created_at is not None and remote.created_at < since:
                    return
                yield remote
            page += 1
            if not data or page * LIST_PAGE_SIZE >= as_int(answer.get("total")):
                return

    async def cancel(self, provider_batch_id: str) -> RemoteBatch:
        return self.to_remote(await self.http.json("POST", f"/batch/jobs/{provider_batch_id}/cancel"))

    # ---- results ---------------------------------------------------------------------
    async def download_results(self, remote: RemoteBatch, dest: Path) -> DownloadReport:
        ids = [f for f in (remote.output_file_id, remote.error_file_id) if f]
        if not ids:
            raise ResultsNotReady(
                f"Mistral job {remote.provider_batch_id} has no output or error file ({remote.raw_status})")
        return await dl.download(dest, [self.http.opener(f"/files/{f}/content") for f in ids], wrap=self._wrap)

    def parse_results(self, path: Path, start: int = 0) -> Iterator[ItemResult]:
        """Each custom_id once across the output and error files: failures can sit in both
        (reference §5), and a request answered twice must not be counted (or paid) twice. A
        success wins over a failure line for the same id; otherwise the first line stands.

        Failures are held back to the end, so a resumed ingest (`start` > 0) may have committed
        successes past failures it never wrote: the lines before `start` are read again to learn
        which ids already succeeded, and their failures are given again (the store's upsert
        writes a repeated one over itself, so none is lost and none counted twice)."""
        seen: dict[str, ItemStatus] = {}
        pending: dict[str, ItemResult] = {}
        if start > 0:
            for result in super().parse_results(path):
                if result.offset is not None and result.offset >= start:
                    break
                before = seen.get(result.custom_id)
                if result.status is ItemStatus.SUCCEEDED:
                    seen[result.custom_id] = result.status
                    pending.pop(result.custom_id, None)
                elif before is None:
                    seen[result.custom_id] = result.status
                    pending[result.custom_id] = result
        for result in super().parse_results(path, start):
            before = seen.get(result.custom_id)
            if before is None:
                seen[result.custom_id] = result.status
                if result.status is ItemStatus.SUCCEEDED:
                    yield result
                else:
                    pending[result.custom_id] = result
            elif before is not ItemStatus.SUCCEEDED and result.status is ItemStatus.SUCCEEDED:
                seen[result.custom_id] = result.status
                pending.pop(result.custom_id, None)
                yield result
        yield from pending.values()

    # ---- requests --------------------------------------------------------------------
    async def fetch_requests(self, remote: RemoteBatch) -> AsyncIterator[tuple[str, str]]:
        if not remote.input_file_id:
            raise ResultsNotReady(f"Mistral job {remote.provider_batch_id} names no input file")
        async for pair in dl.request_lines(self.http.opener(f"/files/{remote.input_file_id}/content"), wrap=self._wrap):
            yield pair

    # ---- realtime --------------------------------------------------------------------
    async def realtime(self, custom_id: str, body: dict[str, Any], *, endpoint: str,
                       tier: PriceTier) -> RealtimeResult:
        import time

        if not body.get("model"):
            raise BadRequest(f"{custom_id}: the request names no model to promote it to")
        payload = {k: v for k, v in body.items() if k != "stream"}
        started = time.monotonic()
        try:
            resp = await self.http.send("POST", endpoint.removeprefix("/v1"), json=payload)
        except AdapterError as exc:
            return self._refused(custom_id, exc, started)
        answer = self.spec.read_realtime(custom_id, resp.text)
        answer.latency_s = time.monotonic() - started
        return answer

    async def aclose(self) -> None:
        await self.http.aclose()
