"""Together batch jobs through httpx (reference §6).

Upload is three calls: `POST /v1/files` (form fields only, redirects not followed) answers 302
with `Location` and `X-Together-File-Id`; the bytes are PUT to `Location` without our key;
`POST /v1/files/{id}/preprocess` finishes it. Create answers `{job, warning}`; list is a bare
array; a job has only a `progress` percentage, so counts stay unknown until the files are read.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters import download as dl
from adapters.base import BatchAdapter, BatchRequest, Capabilities, DownloadReport, RealtimeResult
from adapters.errors import AdapterError, ResultsNotReady, from_http
from adapters.lifecycle import batch_status
from adapters.registry import ProviderSpec
from store.model import PriceTier, RemoteBatch, RequestCounts

TOKEN_FILE = re.compile(r"^batchdeck-(?P<token>[A-Za-z0-9_-]{1,64})\.jsonl$")
"""Input files we upload are named after our submit token (a job has no metadata)."""


def _ts(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class TogetherBatchAdapter(BatchAdapter):
    def __init__(self, spec: ProviderSpec, *, api_key: str | None = None, base_url: str | None = None,
                 capabilities: Capabilities | None = None, timeout: float = 120.0, **_: Any) -> None:
        import httpx

        super().__init__(spec, capabilities=capabilities)
        key, root = self.credentials(api_key, base_url)
        self.client = httpx.AsyncClient(base_url=root.rstrip("/") + "/v1", timeout=timeout,
                                        headers={"Authorization": f"Bearer {key}"})
        self._plain = httpx.AsyncClient(timeout=timeout)  # the presigned PUT carries no key

    # ---- calls -----------------------------------------------------------------------
    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            resp = await self.client.request(method, path, **kwargs)
        except Exception as exc:  # noqa: BLE001 - transport errors: retryable
            raise self._wrap(exc) from None
        if resp.status_code >= 400:
            raise self._http_error(resp)
        return resp

    def _http_error(self, resp: Any) -> AdapterError:
        detail, kind = resp.text[:300], None
        try:
            body = resp.json()
            err = body.get("error", body) if isinstance(body, dict) else {}
            if isinstance(err, dict):
                detail, kind = str(err.get("message") or detail), err.get("type") or err.get("code")
        except ValueError:
            pass
        return from_http(resp.status_code, f"{self.label} answered HTTP {resp.status_code}: {detail}",
                         headers=resp.headers, error_type=kind, secrets=getattr(self, "_secrets", ()))

    def to_remote(self, job: dict[str, Any], metadata: dict[str, str] | None = None) -> RemoteBatch:
        raw = str(job.get("status") or "")
        ended = _ts(job.get("completed_at"))
        return RemoteBatch(
            provider=self.name, provider_batch_id=str(job.get("id")), status=batch_status(self.name, raw),
            raw_status=raw, endpoint=job.get("endpoint"), model=job.get("model_id"),
            counts=RequestCounts(),  # only `progress`: counts come from the files
            created_at=_ts(job.get("created_at")), started_at=_ts(job.get("created_at")),
            ended_at=ended, expires_at=_ts(job.get("job_deadline")),
            input_file_id=job.get("input_file_id") or None, output_file_id=job.get("output_file_id") or None,
            error_file_id=job.get("error_file_id") or None, metadata=metadata or {},
            errors=job.get("error") or None,
        )

    # ---- batches ---------------------------------------------------------------------
    async def _upload(self, data: bytes, name: str) -> str:
        form = {"purpose": (None, "batch-api"), "file_name": (None, name), "file_type": (None, "jsonl"),
                "checksum": (None, hashlib.md5(data).hexdigest())}  # noqa: S324 - the API's checksum, not security
        try:
            first = await self.client.post("/files", files=form, follow_redirects=False)
        except Exception as exc:  # noqa: BLE001
            raise self._wrap(exc) from None
        if first.status_code != 302:
            raise self._http_error(first) if first.status_code >= 400 else AdapterError(
                f"{self.label} upload did not redirect (HTTP {first.status_code})")
        location, file_id = first.headers.get("Location"), first.headers.get("X-Together-File-Id")
        if not location or not file_id:
            raise AdapterError(f"{self.label} upload answered without Location or file id")
        try:
            put = await self._plain.put(location, content=data)
        except Exception as exc:  # noqa: BLE001
            raise self._wrap(exc) from None
        if put.status_code != 200:
            raise self._http_error(put)
        await self._call("POST", f"/files/{file_id}/preprocess")
        return str(file_id)

    async def create_batch(self, requests: list[BatchRequest], *, endpoint: str, model: str | None,
                           metadata: dict[str, str], window: str | None = None) -> RemoteBatch:
        data = b"".join(json.dumps({"custom_id": r.custom_id, "body": r.body}, separators=(",", ":"),
                                   ensure_ascii=False).encode() + b"\n" for r in requests)
        token = metadata.get("batchdeck_token", "")
        name = f"batchdeck-{token}.jsonl" if TOKEN_FILE.match(f"batchdeck-{token}.jsonl") else "batchdeck.jsonl"
        file_id = await self._upload(data, name)
        payload: dict[str, Any] = {"endpoint": endpoint, "input_file_id": file_id,
                                   "completion_window": window or self.capabilities.windows[0]}
        if model:
            payload["model_id"] = model
        answer = (await self._call("POST", "/batches", json=payload)).json()
        job = answer.get("job") if isinstance(answer, dict) else None
        if not isinstance(job, dict):
            raise AdapterError(f"{self.label} create answered without a job")
        return self.to_remote(job, metadata)

    async def retrieve(self, provider_batch_id: str) -> RemoteBatch:
        return self.to_remote((await self._call("GET", f"/batches/{provider_batch_id}")).json())

    async def list_batches(self, *, since: float | None = None) -> AsyncIterator[RemoteBatch]:
        jobs = (await self._call("GET", "/batches")).json()
        jobs = [j for j in jobs if isinstance(j, dict)] if isinstance(jobs, list) else []
        jobs.sort(key=lambda j: _ts(j.get("created_at")) or 0.0, reverse=True)
        for job in jobs:
            remote = self.to_remote(job)
            if since is not None:
                if remote.created_at is not None and remote.created_at < since:
                    return
                # Reconciling after a crash: our token is in the input file's name.
                remote.metadata = await self._token_of(remote.input_file_id)
            yield remote

    async def _token_of(self, file_id: str | None) -> dict[str, str]:
        if not file_id:
            return {}
        info = (await self._call("GET", f"/files/{file_id}")).json()
        found = TOKEN_FILE.match(str(info.get("filename") or "")) if isinstance(info, dict) else None
        return {"batchdeck_token": found["token"]} if found else {}

    async def cancel(self, provider_batch_id: str) -> RemoteBatch:
        return self.to_remote((await self._call("POST", f"/batches/{provider_batch_id}/cancel")).json())

    # ---- results ---------------------------------------------------------------------
    def _opener(self, file_id: str) -> dl.OpenStream:
        @asynccontextmanager
        async def open_stream(headers: dict[str, str]) -> Any:
            try:
                req = self.client.build_request("GET", f"/files/{file_id}/content", headers=headers)
                resp = await self.client.send(req, stream=True)
            except Exception as exc:  # noqa: BLE001
                raise self._wrap(exc) from None
            try:
                if resp.status_code >= 400:
                    await resp.aread()
                    raise self._http_error(resp)
                yield _Stream(resp)
            finally:
                await resp.aclose()

        return open_stream

    async def download_results(self, remote: RemoteBatch, dest: Path) -> DownloadReport:
        # A COMPLETED job can still hold failures: always both files when present.
        ids = [f for f in (remote.output_file_id, remote.error_file_id) if f]
        if not ids:
            raise ResultsNotReady(f"{self.label} job {remote.provider_batch_id} has no output or error file")
        return await dl.download(dest, [self._opener(f) for f in ids], wrap=self._wrap)

    async def fetch_requests(self, remote: RemoteBatch) -> AsyncIterator[tuple[str, str]]:
        if not remote.input_file_id:
            raise ResultsNotReady(f"{self.label} job {remote.provider_batch_id} names no input file")
        async for pair in dl.request_lines(self._opener(remote.input_file_id), wrap=self._wrap):
            yield pair

    # ---- realtime --------------------------------------------------------------------
    async def realtime(self, custom_id: str, body: dict[str, Any], *, endpoint: str,
                       tier: PriceTier) -> RealtimeResult:
        import time

        payload = {k: v for k, v in body.items() if k != "stream"}
        started = time.monotonic()
        try:
            resp = await self._call("POST", endpoint.removeprefix("/v1"), json=payload)
        except AdapterError as exc:
            return self._refused(custom_id, exc, started)
        answer = self.spec.read_realtime(custom_id, resp.text)
        answer.latency_s = time.monotonic() - started
        return answer

    async def aclose(self) -> None:
        await self.client.aclose()
        await self._plain.aclose()


class _Stream:
    """An httpx streaming response in the download helper's interface."""

    def __init__(self, resp: Any) -> None:
        self.status_code = resp.status_code
        self.headers = resp.headers
        self._resp = resp

    def iter_bytes(self, size: int) -> AsyncIterator[bytes]:
        return self._resp.aiter_bytes(size)
