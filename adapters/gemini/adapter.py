"""Gemini Batch Mode adapter (Developer API), on httpx.

Wire facts (reference §4): a batch is a long-running operation created with
`POST /v1beta/models/{model}:batchGenerateContent`; requests go inline up to 20 MB, larger
ones as a JSONL file uploaded through the Files API's resumable protocol (submit picks by
size); lines are keyed by `key` (our custom_id). States BATCH_STATE_*; the window is 48 h, so
`expires_at` is creation + 48 h (the console's countdown and deadline risk read it).
`batchStats` counters are int64 strings and zero ones are omitted (absent = 0). Results are a
responses file (`files/batch-<id>`, `:download?alt=media`) or inlined in the operation; both
are written to the same JSONL line shape (`adapters.gemini.results`).

Why httpx and not `google-genai`: the SDK reads only part of the operation (it drops
`batchStats`, reference §4.1), defaults the Developer API to `v1` while batches are documented
under `v1beta`, and would add a second HTTP stack (httpx2) to the console's start-up.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters import download as dl
from adapters.base import BatchAdapter, BatchRequest, Capabilities, DownloadReport, RealtimeResult, as_int
from adapters.errors import AdapterError, AuthFailed, BadRequest, ReadbackUnsupported, ResultsNotReady
from adapters.gemini.requests import model_name, request_of
from adapters.httpjson import JsonHTTP
from adapters.lifecycle import batch_status
from adapters.registry import ProviderSpec
from store.model import BatchStatus, PriceTier, RemoteBatch, RequestCounts

API_VERSION = "v1beta"
"""The path version batchdeck's own calls use when GEMINI_BASE_URL names none: reference §4.1
documents Batch Mode under `v1beta`. google-genai 3.6.1 sends `v1` instead unless pinned (its
GOOGLE_AI_API_DEFAULT_VERSION; the emulator's GENAI_DEFAULT_API_VERSION serves both), and that
every batch method is served at `v1` is UNCONFIRMED, so the documented version stays the
default. A base URL ending in a version (`.../v1beta`, `.../v1`, as the SDK composes its URLs)
is honoured instead of having this one appended after it."""
KNOWN_VERSIONS = ("v1beta", "v1")
WINDOW_S = 48 * 3600.0
"""A batch not processed within 48 h becomes BATCH_STATE_EXPIRED (reference §4.5, confirmed)."""
INLINE_LIMIT = 20 * 1024 * 1024
"""Inline requests: at most 20 MB in all (§4.2); larger batches go through the Files API."""
INLINE_MARGIN = 64 * 1024
"""Room left under the inline limit for the envelope around the requests."""
TOKEN_PREFIX = "batchdeck:"
"""Gemini batches carry no metadata; our submit token rides in `displayName` instead."""
LIST_PAGE_SIZE = 100
KEY_ENVS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
"""The google-genai SDK reads both; GEMINI_API_KEY is the one it prefers."""

READBACK_HINT = ("Gemini cannot give back a batch's requests (uploaded files are not downloadable and inline "
                 "requests are not returned); pass --input FILE with the original JSONL")


def split_version(url: str) -> tuple[str, str]:
    """(host root, API version) of a GEMINI_BASE_URL: a trailing known version is taken from it
    (so it is not appended twice), otherwise the root is the whole URL and API_VERSION is used."""
    root = url.rstrip("/")
    head, _, last = root.rpartition("/")
    if last in KNOWN_VERSIONS and "://" in head:
        return head, last
    return root, API_VERSION


def _ts(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _obj(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (a provider can send anything)."""
    return value if isinstance(value, dict) else {}


def batch_name(provider_batch_id: str) -> str:
    """`batches/<id>` from either spelling."""
    return provider_batch_id if provider_batch_id.startswith("batches/") else f"batches/{provider_batch_id}"


class GeminiBatchAdapter(BatchAdapter):
    """Gemini through httpx at `<GEMINI_BASE_URL>/<API_VERSION>` with `x-goog-api-key`."""

    def __init__(self, spec: ProviderSpec, *, api_key: str | None = None, base_url: str | None = None,
                 capabilities: Capabilities | None = None, timeout: float = 120.0, **_: Any) -> None:
        super().__init__(spec, capabilities=capabilities)
        if not api_key:
            api_key = next((os.environ[v] for v in KEY_ENVS if os.environ.get(v)), None)
        if not api_key:
            raise AuthFailed(f"no Gemini API key: set {' or '.join(KEY_ENVS)} or name a profile with --profile")
        key, root = self.credentials(api_key, base_url)
        self.root, self.version = split_version(root)
        self.http = JsonHTTP(self.root, {"x-goog-api-key": key}, label=self.label, secrets=(key,), timeout=timeout)

    # ---- conversion ------------------------------------------------------------------
    def to_remote(self, op: dict[str, Any]) -> RemoteBatch:
        meta = _obj(op.get("metadata")) or op
        raw = str(meta.get("state") or "")
        stats = _obj(meta.get("batchStats"))
        total = as_int(stats.get("requestCount"))  # int64 as a string; absent means 0
        ok, failed = as_int(stats.get("successfulRequestCount")), as_int(stats.get("failedRequestCount"))
        pending = as_int(stats.get("pendingRequestCount"))
        status = batch_status(self.name, raw)
        rest = max(0, total - ok - failed)
        counts = RequestCounts(
            total=total, succeeded=ok, errored=failed,
            expired=rest if status is BatchStatus.EXPIRED else 0,
            canceled=rest if status is BatchStatus.CANCELED else 0,
            processing=0 if status.is_terminal else max(pending, rest),
        )
        output = _obj(meta.get("output")) or _obj(op.get("response"))
        display = meta.get("displayName")
        metadata = ({"batchdeck_token": display[len(TOKEN_PREFIX):]}
                    if isinstance(display, str) and display.startswith(TOKEN_PREFIX) else {})
        err = _obj(op.get("error"))
        created = _ts(meta.get("createTime"))
        input_config = _obj(meta.get("inputConfig"))
        return RemoteBatch(
            provider=self.name,
            provider_batch_id=str(op.get("name") or meta.get("name")),
            status=status,
            raw_status=raw,
            endpoint=self.default_endpoint,
            model=str(meta["model"]).removeprefix("models/") if meta.get("model") else None,
            counts=counts,
            created_at=created,
            ended_at=_ts(meta.get("endTime")) if status.is_terminal else None,
            expires_at=created + WINDOW_S if created is not None else None,
            input_file_id=input_config.get("fileName") if isinstance(input_config.get("fileName"), str) else None,
            output_file_id=output.get("responsesFile") if isinstance(output.get("responsesFile"), str) else None,
            metadata=metadata,
            errors=f"{err.get('status') or err.get('code')}: {err.get('message')}" if err else None,
        )

    # ---- batches ---------------------------------------------------------------------
    async def create_batch(self, requests: list[BatchRequest], *, endpoint: str, model: str | None,
                           metadata: dict[str, str], window: str | None = None) -> RemoteBatch:
        # `window`: Gemini has one, 48 h; the engine has checked it against `windows`.
        model = model or next((r.body.get("model") for r in requests if isinstance(r.body.get("model"), str)), None)
        if not model:
            raise BadRequest("a Gemini batch runs one model: name it with --model (or a body's model)")
        token = metadata.get("batchdeck_token")
        batch: dict[str, Any] = {"displayName": f"{TOKEN_PREFIX}{token}" if token else "batchdeck"}
        inline = _inline_or_none(requests)
        if inline is not None:
            batch["inputConfig"] = {"requests": {"requests": inline}}
        else:
            batch["inputConfig"] = {"fileName": await self._upload(requests, token)}
        op = await self.http.json("POST", f"/{self.version}/{model_name(model)}:batchGenerateContent",
                                  json={"batch": batch})
        return self.to_remote(op)

    async def _upload(self, requests: list[BatchRequest], token: str | None) -> str:
        """Upload the requests as a JSONL file (resumable: start, then one `upload, finalize`
        streamed from a spooled file, so a 2 GB input never sits in memory)."""
        dumps = json.dumps
        with tempfile.SpooledTemporaryFile(max_size=16 << 20) as fh:
            for r in requests:
                fh.write(dumps({"key": r.custom_id, "request": request_of(r.body)}, separators=(",", ":"),
                               ensure_ascii=False).encode() + b"\n")
            size = fh.tell()
            start = await self.http.send(
                "POST", f"/upload/{self.version}/files",
                json={"file": {"displayName": f"batchdeck-{token or 'input'}.jsonl"}},
                headers={"X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start",
                         "X-Goog-Upload-Header-Content-Length": str(size),
                         "X-Goog-Upload-Header-Content-Type": "application/jsonl"})
            url = start.headers.get("x-goog-upload-url")
            if not url:
                raise AdapterError("Gemini did not answer the upload start with an upload URL", retryable=True)
            fh.seek(0)
            done = await self.http.send("POST", url, content=_blocks(fh),
                                        headers={"X-Goog-Upload-Command": "upload, finalize",
                                                 "X-Goog-Upload-Offset": "0", "Content-Length": str(size)})
        if done.headers.get("x-goog-upload-status") != "final":
            raise AdapterError("Gemini did not finalize the uploaded input file", retryable=True)
        name = _obj(done.json().get("file")).get("name")
        if not isinstance(name, str):
            raise AdapterError("Gemini's upload answer names no file", retryable=True)
        return name

    async def retrieve(self, provider_batch_id: str) -> RemoteBatch:
        return self.to_remote(await self.http.json("GET", f"/{self.version}/{batch_name(provider_batch_id)}"))

    async def list_batches(self, *, since: float | None = None) -> AsyncIterator[RemoteBatch]:
        token: str | None = None
        while True:
            params = {"pageSize": str(LIST_PAGE_SIZE)}
            if token:
                params["pageToken"] = token
            page = await self.http.json("GET", f"/{self.version}/batches", params=params)
            ops = page.get("operations") or []
            for op in ops:
                remote = self.to_remote(op)
                if since is not None and remote.created_at is not None and remote.created_at < since:
                    return
                yield remote
            token = page.get("nextPageToken")
            if not ops or not token:
                return

    async def cancel(self, provider_batch_id: str) -> RemoteBatch:
        name = batch_name(provider_batch_id)
        await self.http.json("POST", f"/{self.version}/{name}:cancel", json={})
        return await self.retrieve(name)

    # ---- results ---------------------------------------------------------------------
    async def download_results(self, remote: RemoteBatch, dest: Path) -> DownloadReport:
        if remote.output_file_id:
            name = remote.output_file_id.removeprefix("files/")
            opener = self.http.opener(f"/{self.version}/files/{name}:download", {"alt": "media"})
            return await dl.download(dest, [opener], wrap=self._wrap)
        op = await self.http.json("GET", f"/{self.version}/{batch_name(remote.provider_batch_id)}")
        output = _obj(_obj(op.get("metadata")).get("output")) or _obj(op.get("response"))
        inlined = _obj(output.get("inlinedResponses")).get("inlinedResponses")
        if not isinstance(inlined, list):
            raise ResultsNotReady(f"Gemini batch {remote.provider_batch_id} has no results yet ({remote.raw_status})")
        return _write_inlined(inlined, dest)

    # ---- requests --------------------------------------------------------------------
    async def fetch_requests(self, remote: RemoteBatch) -> AsyncIterator[tuple[str, str]]:
        raise ReadbackUnsupported(READBACK_HINT)
        yield  # pragma: no cover  # noqa: V201 - makes this an async generator (raises on first iteration)

    # ---- realtime --------------------------------------------------------------------
    async def realtime(self, custom_id: str, body: dict[str, Any], *, endpoint: str,
                       tier: PriceTier) -> RealtimeResult:
        import time

        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise BadRequest(f"{custom_id}: the request names no model to promote it to")
        started = time.monotonic()
        try:
            resp = await self.http.send("POST", f"/{self.version}/{model_name(model)}:generateContent",
                                        json=request_of(body))
        except AdapterError as exc:
            return self._refused(custom_id, exc, started)
        answer = self.spec.read_realtime(custom_id, resp.text)
        answer.latency_s = time.monotonic() - started
        if answer.result.model is None:
            answer.result.model = model.removeprefix("models/")
        return answer

    async def aclose(self) -> None:
        await self.http.aclose()


def _inline_or_none(requests: list[BatchRequest]) -> list[dict[str, Any]] | None:
    """The inline request list, or None as soon as it would pass the 20 MB inline limit."""
    dumps = json.dumps
    size = INLINE_MARGIN
    out: list[dict[str, Any]] = []
    for r in requests:
        entry = {"request": request_of(r.body), "metadata": {"key": r.custom_id}}
        size += len(dumps(entry, separators=(",", ":"), ensure_ascii=False).encode()) + 1
        if size > INLINE_LIMIT:
            return None
        out.append(entry)
    return out


async def _blocks(fh: Any, size: int = 1 << 20) -> AsyncIterator[bytes]:
    while block := fh.read(size):
        yield block


def _write_inlined(inlined: list[Any], dest: Path) -> DownloadReport:
    """Inlined responses as responses-file lines (`{key, response | error}`), written atomically."""
    tmp = dest.with_name(dest.name + ".inline")
    size = 0
    with open(tmp, "wb") as f:
        for i, entry in enumerate(inlined):
            entry = _obj(entry)
            meta = _obj(entry.get("metadata"))
            line: dict[str, Any] = {"key": str(meta.get("key", i + 1))}  # no key: request order, from 1
            for part in ("response", "error"):
                if part in entry:
                    line[part] = entry[part]
            data = json.dumps(line, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
            f.write(data)
            size += len(data)
    os.replace(tmp, dest)
    return DownloadReport(path=dest, bytes_total=size, bytes_fetched=size, resumed=False, parts=1)
