"""Gemini Developer API wire protocol (base: the host root; paths under /v1beta and /v1, see
API_VERSIONS; the paths below say v1beta).

Batches are long-running operations (reference §4.1): `POST /v1beta/models/{model}:batchGenerateContent`
answers an Operation `{name, metadata, done, response?}`; `GET /v1beta/batches/{id}`, `GET
/v1beta/batches` (`pageSize`/`pageToken` -> `operations`, `nextPageToken`), `POST
/v1beta/batches/{id}:cancel`, `DELETE /v1beta/batches/{id}`. States `BATCH_STATE_PENDING ->
RUNNING -> SUCCEEDED | FAILED | CANCELLED | EXPIRED` (48 h window); `batchStats` counters are
int64 JSON strings, zero ones omitted. Input inline (<= 20 MB) or a JSONL file uploaded with the
Files API's resumable protocol (`POST /upload/v1beta/files` start -> `x-goog-upload-url` ->
`upload, finalize`); results in `files/batch-<id>` (`GET /v1beta/files/{name}:download?alt=media`,
also `/download/v1beta/...`) or inlined in the operation. Realtime: `:generateContent`.
Auth: `x-goog-api-key` (or `?key=`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Match, Route
from starlette.types import Scope

from .. import faults, rand, spool
from ..content import GENERATE_CONTENT, max_output_tokens, prompt_tokens
from ..core import Emulator, break_after, emulator, gate, gated, jresp, raw_json, reply_headers, rfc3339
from ..inputs import (
    GEMINI_FILE_MAX_BYTES,
    GEMINI_INLINE_MAX_BYTES,
    InputError,
    gemini_bad_call,
    gemini_file_pairs,
    parse_gemini,
)
from ..state import GEMINI_FILE_RETENTION, Batch, FileRec
from . import results as gemini_results
from .dialect import DIALECT, google_error

GENAI_DEFAULT_API_VERSION = "v1"
"""The path version google-genai 3.6.1 sends unless told otherwise (its
GOOGLE_AI_API_DEFAULT_VERSION): `/v1/models/...:batchGenerateContent`, `/upload/v1/files`,
`/v1/batches/...`, `/v1/files/...:download`. Reference §4.1 (and the REST docs it cites) put
Batch Mode under `v1beta`, which the SDK still sends when pinned; that Google serves every
batch method at `v1` too is UNCONFIRMED. The emulator answers both (API_VERSIONS), and URLs it
mints (upload sessions, file uris) keep the version the request came in on. `/v1/batches`,
`/v1/files/...` are OpenAI's paths too: there a route is Gemini's only for a request that
carries Google's credentials (GoogleRoute)."""
API_VERSIONS = ("v1beta", GENAI_DEFAULT_API_VERSION)

BATCH_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch"
"""The `@type` of the operation's metadata: varies between API revisions (UNCONFIRMED); never parse it."""
OUTPUT_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput"
GEMINI_WINDOW = "48h"
"""A batch not processed within 48 h becomes BATCH_STATE_EXPIRED (reference §4.5, confirmed)."""
LIST_PAGE_SIZE = 50
"""Default and cap of `pageSize` for batch lists: UNCONFIRMED (the REST reference gives none)."""
LIST_PAGE_MAX = 1000

def state_of(b: Batch, now: float) -> str:
    return b.view(now).status  # already the BATCH_STATE_* name (the dialect's lifecycle)


def _stats(b: Batch, now: float) -> dict[str, str]:
    v = b.view(now)
    p = b.plan()
    n = len(b.items)
    counts = {"requestCount": n, "successfulRequestCount": p.cum_ok[v.done],
              "failedRequestCount": p.cum_err[v.done], "pendingRequestCount": 0 if v.terminal else n - v.done}
    return {k: str(c) for k, c in counts.items() if c}  # int64 as strings, zero omitted (proto3 JSON)


def operation(b: Batch, now: float) -> dict[str, Any]:
    v = b.view(now)
    state = state_of(b, now)
    meta: dict[str, Any] = {"@type": BATCH_TYPE, "name": f"batches/{b.id}", "model": b.model,
                            "displayName": b.display_name or b.id, "state": state,
                            "createTime": rfc3339(b.created_at), "updateTime": rfc3339(v.terminal_at or now)}
    if not b.inline:  # inline requests are not echoed back (they can be 20 MB)
        meta["inputConfig"] = {"fileName": b.input_file_id}
    stats = _stats(b, now)
    if stats:
        meta["batchStats"] = stats
    op: dict[str, Any] = {"name": f"batches/{b.id}", "metadata": meta}
    if v.terminal:
        meta["endTime"] = rfc3339(v.terminal_at)
        op["done"] = True
        if state == "BATCH_STATE_FAILED":
            message = b.plan().errors[0]["message"] if b.plan().errors else "The batch failed."
            op["error"] = {"code": 8, "message": message, "status": "RESOURCE_EXHAUSTED"}
        else:
            output: dict[str, Any] = ({"inlinedResponses": {"inlinedResponses": gemini_results.inlined_responses(b, v)}}
                                      if b.inline else {"responsesFile": f"files/batch-{b.id}"})
            meta["output"] = output
            op["response"] = {"@type": OUTPUT_TYPE, **output}
    return op


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _versioned(request: Request) -> str:
    """The origin plus the request's API version: file uris point back at the same version."""
    return f"{_origin(request)}/{_version(request)}"


# --- batches ---------------------------------------------------------------------------------


@gated(DIALECT)
async def models_call(request: Request, emu: Emulator) -> Response:
    """`POST /v1beta/models/{model}:batchGenerateContent` or `:generateContent`."""
    model, _, method = request.path_params["rest"].partition(":")
    h = reply_headers(request)
    raw = await request.body()
    try:
        body = json.loads(raw) if len(raw) < 2_000_000 else await asyncio.to_thread(json.loads, raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return google_error(400, "Invalid JSON payload received.", h)
    if not isinstance(body, dict):
        return google_error(400, "Invalid JSON payload received: not an object.", h)
    if method == "generateContent":
        return await _generate(emu, f"models/{model}", body, raw, h)
    if method != "batchGenerateContent":
        return google_error(404, f"Method {method!r} not found for models/{model}.", h)
    return await _create(request, emu, f"models/{model}", body, len(raw), h)


async def _create(request: Request, emu: Emulator, model: str, body: dict[str, Any], n_bytes: int,
                  h: dict[str, str]) -> Response:
    try:
        knobs = faults.for_create(request.headers)
    except faults.FaultSpecError as exc:
        return google_error(400, str(exc), h)
    batch = body.get("batch")
    if not isinstance(batch, dict) or not isinstance(batch.get("inputConfig"), dict):
        return google_error(400, "* BatchGenerateContentRequest.batch.input_config: input_config is required", h)
    config = batch["inputConfig"]
    file_name = config.get("fileName")
    inline = isinstance(config.get("requests"), dict)
    now = emu.now()
    try:
        if inline:
            if n_bytes > GEMINI_INLINE_MAX_BYTES:
                return google_error(400, f"Request payload size exceeds the limit: {GEMINI_INLINE_MAX_BYTES} bytes.", h)
            rows = config["requests"].get("requests")
            if not isinstance(rows, list) or not rows:
                return google_error(
                    400, "* BatchGenerateContentRequest.batch.input_config.requests: requests is empty", h)
            pairs: list[tuple[str, Any]] = []
            for i, row in enumerate(rows):
                row = row if isinstance(row, dict) else {}
                meta = row.get("metadata")
                key = meta.get("key") if isinstance(meta, dict) else None
                pairs.append((key if isinstance(key, str) and key else str(i + 1), row.get("request")))
            items = parse_gemini(pairs, model, n_bytes)
        else:
            f = emu.state.api_files.get(file_name or "")
            if f is None or f.deleted or (f.expires_at is not None and now >= f.expires_at):
                return google_error(404, f"File {file_name} not found.", h)
            items = parse_gemini(gemini_file_pairs(f.data or b""), model, len(f.data or b""))
    except InputError as exc:
        return google_error(400, str(exc), h)
    limits = emu.faults.with_(knobs)
    if limits.max_requests is not None and len(items) > limits.max_requests:
        return google_error(400, f"The batch has {len(items)} requests; the limit is {limits.max_requests}.", h)
    b = emu.add_batch(DIALECT, items, now, knobs, completion_window=GEMINI_WINDOW, model=model,
                      display_name=batch.get("displayName") if isinstance(batch.get("displayName"), str) else None,
                      inline=inline, input_file_id=None if inline else file_name)
    return jresp(operation(b, now), headers=h)


def _lookup(request: Request) -> tuple[Batch | None, str, str]:
    bid, _, method = request.path_params["rest"].partition(":")
    b = emulator(request).state.batches.get(bid)
    if b is None or b.provider != "gemini" or b.deleted:
        return None, bid, method
    return b, bid, method


async def _batch_route(request: Request) -> tuple[Emulator, Batch | None, str, str, Response | None]:
    emu = emulator(request)
    b, bid, method = _lookup(request)
    bad = await gate(emu, request, DIALECT, b.http_faults(emu.faults) if b else None)
    if bad is None and b is None:
        bad = google_error(404, f"Batch batches/{bid} not found.", reply_headers(request))
    return emu, b, bid, method, bad


async def get_batch(request: Request) -> Response:
    emu, b, _, method, bad = await _batch_route(request)
    if bad is not None or b is None:
        return bad or Response(status_code=500)
    if method:
        return google_error(404, f"Method {method!r} not found.", reply_headers(request))
    return jresp(operation(b, emu.now()), headers=reply_headers(request))


async def post_batch(request: Request) -> Response:
    """`POST /v1beta/batches/{id}:cancel`: empty answer; the batch ends CANCELLED."""
    emu, b, _, method, bad = await _batch_route(request)
    if bad is not None or b is None:
        return bad or Response(status_code=500)
    h = reply_headers(request)
    if method != "cancel":
        return google_error(404, f"Method {method!r} not found.", h)
    now = emu.now()
    v = b.view(now)
    if v.terminal:
        return google_error(400, f"Batch batches/{b.id} is already in a terminal state ({state_of(b, now)}).", h)
    if b.cancel_at is None:
        b.cancel_at = now
    return jresp({}, headers=h)


async def delete_batch(request: Request) -> Response:
    _, b, _, _, bad = await _batch_route(request)
    if bad is not None or b is None:
        return bad or Response(status_code=500)
    b.deleted = True
    b.drop_files()
    return jresp({}, headers=reply_headers(request))


@gated(DIALECT)
async def list_batches(request: Request, emu: Emulator) -> Response:
    h = reply_headers(request)
    q = request.query_params
    try:
        size = int(q.get("pageSize") or LIST_PAGE_SIZE)
    except ValueError:
        return google_error(400, "Invalid value at 'page_size' (TYPE_INT32).", h)
    size = max(1, min(size, LIST_PAGE_MAX))
    rows = emu.state.listing("gemini")
    token = q.get("pageToken")
    if token:
        ids = [b.id for b in rows]
        if token not in ids:
            return google_error(400, "Invalid page token.", h)
        rows = rows[ids.index(token) + 1:]
    page = rows[:size]
    now = emu.now()
    out: dict[str, Any] = {"operations": [operation(b, now) for b in page]}
    if len(rows) > len(page):
        out["nextPageToken"] = page[-1].id
    return jresp(out, headers=h)


# --- realtime --------------------------------------------------------------------------------


async def _generate(emu: Emulator, model: str, body: dict[str, Any], raw: bytes, h: dict[str, str]) -> Response:
    problem = gemini_bad_call(body)
    if problem is not None:
        return google_error(400, problem[1], h)
    delay = emu.faults.realtime_latency_ms
    if delay > 0:
        await asyncio.sleep(delay / 1000.0)
    hh = rand.h128(emu.rt_key, raw.decode("utf-8", "replace"))
    in_tokens, _ = prompt_tokens(body, GENERATE_CONTENT)
    return raw_json(gemini_results.response_body(hh, model.removeprefix("models/"), in_tokens, max_output_tokens(body)),
                    headers=h)


# --- files -----------------------------------------------------------------------------------


def _version(request: Request) -> str:
    """The API version segment of the request's path (`/v1/...`, `/upload/v1beta/files`...)."""
    parts = request.url.path.strip("/").split("/")
    found = parts[1] if parts[0] in ("upload", "download") and len(parts) > 1 else parts[0]
    return found if found in API_VERSIONS else API_VERSIONS[0]


def file_object(f: FileRec, origin: str) -> dict[str, Any]:
    size = len(f.data or b"")
    return {"name": f.id, "displayName": f.filename, "mimeType": "application/jsonl", "sizeBytes": str(size),
            "createTime": rfc3339(f.created_at), "updateTime": rfc3339(f.created_at),
            "expirationTime": rfc3339(f.expires_at), "uri": f"{origin}/{f.id}", "state": "ACTIVE",
            "source": "UPLOADED"}


def output_object(b: Batch, size: int, at: float, origin: str) -> dict[str, Any]:
    name = f"files/batch-{b.id}"
    return {"name": name, "mimeType": "application/jsonl", "sizeBytes": str(size), "createTime": rfc3339(at),
            "updateTime": rfc3339(at), "expirationTime": rfc3339(at + GEMINI_FILE_RETENTION),
            "uri": f"{origin}/{name}", "downloadUri": f"{origin}/{name}:download?alt=media",
            "state": "ACTIVE", "source": "GENERATED"}


async def upload(request: Request) -> Response:
    """The resumable protocol: `start` opens a session and answers `x-goog-upload-url`;
    `upload[, finalize]` at that URL appends a chunk at `X-Goog-Upload-Offset`. The session
    URL is its own credential (the SDK sends no key there), so only `start` passes the gate."""
    emu = emulator(request)
    command = request.headers.get("x-goog-upload-command", "").replace(" ", "")
    upload_id = request.query_params.get("upload_id")
    if command == "start" and (bad := await gate(emu, request, DIALECT)) is not None:
        return bad
    h = reply_headers(request)
    now = emu.now()
    if command == "start":
        if request.headers.get("x-goog-upload-protocol") != "resumable":
            return google_error(
                400, "Only the resumable upload protocol is supported (X-Goog-Upload-Protocol: resumable).", h)
        try:
            declared = int(request.headers.get("x-goog-upload-header-content-length", "0"))
        except ValueError:
            declared = 0
        limit = emu.faults.max_bytes or GEMINI_FILE_MAX_BYTES
        if declared > limit:
            return google_error(400, f"File too large: {declared} bytes; the limit is {limit} bytes.", h)
        try:
            meta = json.loads(await request.body() or b"{}").get("file") or {}
        except (json.JSONDecodeError, AttributeError):
            meta = {}
        given, shown = meta.get("name"), meta.get("displayName")
        name = given if isinstance(given, str) and given else emu.state.new_id("gemini_file")
        name = name if name.startswith("files/") else f"files/{name}"
        uid = rand.hex_id(rand.mix(emu.seed, "upload", name), 32)
        emu.state.uploads[uid] = FileRec(id=name, filename=shown if isinstance(shown, str) and shown else name,
                                         purpose="gemini",
                                         created_at=now, expires_at=now + GEMINI_FILE_RETENTION, data=b"")
        session = f"{_origin(request)}/upload/{_version(request)}/files?upload_id={uid}"
        return jresp({}, headers={**h, "x-goog-upload-url": session,
                                  "x-goog-upload-status": "active"})
    rec = emu.state.uploads.get(upload_id or "")
    if rec is None:
        return google_error(404, "No such upload session.", h)
    chunk = await request.body()
    offset = int(request.headers.get("x-goog-upload-offset", "0") or 0)
    data = rec.data or b""
    if offset != len(data):
        return google_error(400, f"Upload offset {offset} does not match the {len(data)} bytes received.", h)
    rec.data = data + chunk
    if "finalize" not in command.split(","):
        return jresp({}, headers={**h, "x-goog-upload-status": "active"})
    del emu.state.uploads[upload_id or ""]
    emu.state.api_files[rec.id] = rec
    return jresp({"file": file_object(rec, _versioned(request))}, headers={**h, "x-goog-upload-status": "final"})


async def get_file(request: Request) -> Response:
    """`GET /v1beta/files/{id}` (metadata) or `{id}:download?alt=media` (bytes)."""
    emu = emulator(request)
    fid, _, method = request.path_params["rest"].partition(":")
    b = emu.state.batches.get(fid.removeprefix("batch-")) if fid.startswith("batch-") else None
    if b is not None and (b.provider != "gemini" or b.inline or b.deleted):
        b = None
    if (bad := await gate(emu, request, DIALECT, b.http_faults(emu.faults) if b else None)) is not None:
        return bad
    h = reply_headers(request)
    now = emu.now()
    if b is None:
        f = emu.state.api_files.get(f"files/{fid}")
        if f is None or f.deleted or (f.expires_at is not None and now >= f.expires_at):
            return google_error(404, f"File files/{fid} not found.", h)
        if method == "download":
            return Response(f.data or b"", media_type="application/jsonl", headers=h)
        return jresp(file_object(f, _versioned(request)), headers=h)
    v = b.view(now)
    if not v.terminal or v.status == "BATCH_STATE_FAILED" or now >= (v.terminal_at or now) + GEMINI_FILE_RETENTION:
        return google_error(404, f"File files/{fid} not found.", h)
    if method != "download":
        entry = await emu.spool.ensure(b, v, "responses")
        return jresp(output_object(b, entry.size, v.terminal_at or now, _versioned(request)), headers=h)
    b.downloads += 1
    entry, handle = await emu.spool.open(b, v, "responses")
    bf = b.faults
    if bf.broken_download > 0 and (bf.broken_download_times is None or b.downloads <= bf.broken_download_times):
        chunks = break_after(spool.line_blocks(handle), v.done, bf.broken_download)
        return StreamingResponse(chunks, media_type="application/jsonl", headers=h)
    try:
        rng = spool.byte_range(request.headers.get("range"), entry.size)
    except spool.Unsatisfiable:
        handle.close()
        return google_error(416, f"Requested range not satisfiable: the file has {entry.size} bytes.", h)
    return spool.file_response(handle, entry.size, rng, "application/jsonl", h)


def finalizable(emu: Emulator, now: float) -> list[spool.Target]:
    out: list[spool.Target] = []
    for b in emu.state.batches.values():
        if b.provider == "gemini" and not b.deleted and not b.inline:
            v = b.view(now)
            if v.terminal and v.status != "BATCH_STATE_FAILED":
                out.append((b, v, "responses"))
    return out


class GoogleRoute(Route):
    """A route that matches only a request carrying Google's credentials (`x-goog-api-key` or
    `?key=`, as google-genai and our adapter send on every call): under `/v1` Gemini's paths are
    OpenAI's too, and an OpenAI call (Bearer auth) must fall through to OpenAI's routes."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is Match.NONE:
            return match, child
        headers = dict(scope.get("headers") or [])
        query = scope.get("query_string") or b""
        google = b"x-goog-api-key" in headers or any(p.startswith(b"key=") for p in query.split(b"&"))
        return (match, child) if google else (Match.NONE, {})


def routes() -> list[Route]:
    out: list[Route] = []
    for v in API_VERSIONS:
        shared = GoogleRoute if v == GENAI_DEFAULT_API_VERSION else Route  # see API_VERSIONS
        out += [
            shared(f"/{v}/models/{{rest}}", models_call, methods=["POST"]),
            shared(f"/{v}/batches", list_batches, methods=["GET"]),
            shared(f"/{v}/batches/{{rest}}", get_batch, methods=["GET"]),
            shared(f"/{v}/batches/{{rest}}", post_batch, methods=["POST"]),
            shared(f"/{v}/batches/{{rest}}", delete_batch, methods=["DELETE"]),
            Route(f"/upload/{v}/files", upload, methods=["POST"]),  # the session URL carries no key
            shared(f"/{v}/files/{{rest}}", get_file, methods=["GET"]),
            Route(f"/download/{v}/files/{{rest}}", get_file, methods=["GET"]),
        ]
    return out
