"""OpenAI wire protocol: files, batches, and realtime chat/responses/embeddings under /v1.

Objects carry exactly the fields of reference §2.3 (Batch) and §2.8 (FileObject), Unix-second
timestamps, `request_counts` that grow while `in_progress`, `finalizing`, `expired` with
partial output, both error-line shapes, and an all-failed batch that ends `completed` with
`output_file_id: null`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Iterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from . import rand, results, spool
from .core import BrokenDownload, Emulator, gate, jresp, openai_error, raw_json, unix
from .content import embedding_dims, embedding_inputs, max_output_tokens, openai_cached_tokens, prompt_tokens
from .faults import FaultSpecError, from_metadata, parse_spec
from .inputs import OPENAI_ENDPOINTS, OPENAI_MAX_BYTES, bad_call, parse_openai
from .state import FILE_RETENTION, OPENAI_COUNT_UNRUN_AS_FAILED, Batch, FileRec, View

FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
INPUT_FILE_RETENTION = 30 * 86_400.0


def _emu(request: Request) -> Emulator:
    return request.app.state.emu


def _h(request: Request) -> dict[str, str]:
    return getattr(request.state, "request_headers", {})


# --- objects ---------------------------------------------------------------------------------


def batch_object(b: Batch, now: float) -> dict[str, Any]:
    v = b.view(now)
    p = b.plan()
    d = v.done
    at = v.at
    counted = v.status not in ("validating", "failed")
    n = len(b.items)
    unrun = (n - d) if v.terminal else 0
    failed = p.cum_err[d] + (unrun if OPENAI_COUNT_UNRUN_AS_FAILED else 0)
    out_id = err_id = None
    if v.terminal and v.status != "failed":
        if p.cum_ok[d] > 0:
            out_id = b.output_file_id
        if p.cum_err[d] > 0 or unrun > 0:
            err_id = b.error_file_id
        elif b.faults.empty_error_file_id:
            err_id = ""
    usage = None
    if counted:
        i_t, o_t = p.cum_in[d], p.cum_out[d]
        usage = {
            "input_tokens": i_t,
            "input_tokens_details": {"cached_tokens": p.cum_cached[d]},
            "output_tokens": o_t,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": i_t + o_t,
        }
    return {
        "id": b.id,
        "object": "batch",
        "endpoint": b.endpoint,
        "model": b.items.model,
        "errors": {"object": "list", "data": p.errors} if v.status == "failed" else None,
        "input_file_id": b.input_file_id,
        "completion_window": b.completion_window,
        "status": v.status,
        "output_file_id": out_id,
        "error_file_id": err_id,
        "created_at": unix(b.created_at),
        "in_progress_at": unix(at.get("in_progress_at")),
        "expires_at": unix(b.expires_at),
        "finalizing_at": unix(at.get("finalizing_at")),
        "completed_at": unix(at.get("completed_at")),
        "failed_at": unix(at.get("failed_at")),
        "expired_at": unix(at.get("expired_at")),
        "cancelling_at": unix(at.get("cancelling_at")),
        "cancelled_at": unix(at.get("cancelled_at")),
        "request_counts": {
            "total": n if counted else 0,
            "completed": p.cum_ok[d],
            "failed": failed if counted else 0,
        },
        "usage": usage,
        "metadata": b.metadata,
    }


def _virtual(emu: Emulator, f: FileRec, now: float) -> tuple[Batch, View] | None:
    """The batch and its terminal view if virtual file `f` exists at `now`."""
    b = emu.state.batches.get(f.batch_id or "")
    if b is None:
        return None
    v = b.view(now)
    obj = batch_object(b, now)
    if obj["output_file_id" if f.kind == "output" else "error_file_id"] != f.id:
        return None
    return b, v


def _describe(emu: Emulator, f: FileRec, now: float) -> tuple[dict[str, Any], tuple[Batch, View] | None] | None:
    """The FileObject of `f` at `now` and, for a batch output/error file, its batch and view
    (its `bytes` are then left at -1 for `file_object` to fill in); None if it does not exist
    (deleted, expired, not yet written)."""
    if f.deleted:
        return None
    if f.batch_id is None:
        if f.expires_at is not None and now >= f.expires_at:
            return None
        return {"id": f.id, "object": "file", "bytes": len(f.data or b""), "created_at": unix(f.created_at),
                "filename": f.filename, "purpose": f.purpose, "status": "processed",
                "expires_at": unix(f.expires_at), "status_details": None}, None
    found = _virtual(emu, f, now)
    if found is None:
        return None
    b, v = found
    created = v.terminal_at or now
    expires = created + (b.output_expires_after or FILE_RETENTION)
    if now >= expires:
        return None
    return {"id": f.id, "object": "file", "bytes": -1, "created_at": unix(created), "filename": f.filename,
            "purpose": "batch_output", "status": "processed", "expires_at": unix(expires), "status_details": None}, found


def _exists(emu: Emulator, f: FileRec, now: float) -> bool:
    return _describe(emu, f, now) is not None


async def file_object(emu: Emulator, f: FileRec, now: float) -> dict[str, Any] | None:
    """The FileObject of `f` at `now`, or None if it does not exist. A batch output file's
    `bytes` is the size of its spooled file, which this writes if it is not yet."""
    described = _describe(emu, f, now)
    if described is None:
        return None
    obj, found = described
    if found is not None:
        b, v = found
        obj["bytes"] = (await emu.spool.ensure(b, v, f.kind or "output")).size
    return obj


def finalizable(emu: Emulator, now: float) -> list[spool.Target]:
    """Every output/error file that exists at `now`, to be spooled."""
    out: list[spool.Target] = []
    for f in emu.state.files.values():
        if f.batch_id is not None and (described := _describe(emu, f, now)) is not None and described[1] is not None:
            b, v = described[1]
            out.append((b, v, f.kind or "output"))
    return out


def _no_file(file_id: str, headers: dict[str, str]) -> Response:
    return openai_error(404, f"No such File object: {file_id}", param="id", headers=headers)


def _no_batch(batch_id: str, headers: dict[str, str]) -> Response:
    return openai_error(404, f"No batch found with id '{batch_id}'.", param="batch_id", headers=headers)


# --- files -----------------------------------------------------------------------------------


async def upload_file(request: Request) -> Response:
    emu = _emu(request)
    if (bad := await gate(emu, request, "openai")) is not None:
        return bad
    h = _h(request)
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        return openai_error(400, "Expected a multipart/form-data body with 'file' and 'purpose'.", headers=h)
    form = await request.form(max_part_size=16 * 1024 * 1024)
    try:
        upload = form.get("file")
        purpose = form.get("purpose")
        if upload is None or isinstance(upload, str):
            return openai_error(400, "Missing required parameter: 'file'.", code="missing_required_parameter", param="file", headers=h)
        if not isinstance(purpose, str) or not purpose:
            return openai_error(400, "Missing required parameter: 'purpose'.", code="missing_required_parameter", param="purpose", headers=h)
        if purpose not in FILE_PURPOSES:
            return openai_error(400, f"Invalid value for 'purpose': {purpose!r}.", code="invalid_value", param="purpose", headers=h)
        data = await upload.read()
        filename = upload.filename or "upload.jsonl"
        limit = emu.faults.max_bytes or OPENAI_MAX_BYTES
        if purpose == "batch":
            if not filename.endswith(".jsonl"):
                return openai_error(400, "Invalid file format for Batch API. Must be .jsonl", param="file", headers=h)
            if len(data) > limit:
                return openai_error(400, f"File is too large: {len(data)} bytes; the Batch API accepts at most {limit} bytes.",
                                    code="file_too_large", param="file", headers=h)
        now = emu.now()
        expires = now + INPUT_FILE_RETENTION if purpose == "batch" else None
        anchor, secs = form.get("expires_after[anchor]"), form.get("expires_after[seconds]")
        if isinstance(secs, str) and secs:
            try:
                seconds = int(secs)
            except ValueError:
                return openai_error(400, "Invalid value for 'expires_after[seconds]'.", param="expires_after", headers=h)
            if anchor not in (None, "created_at") or not 3600 <= seconds <= 2_592_000:
                return openai_error(400, "expires_after must be anchored at created_at with 3600..2592000 seconds.",
                                    param="expires_after", headers=h)
            expires = now + seconds
    finally:
        await form.close()
    fid = emu.state.new_id("file")
    emu.state.files[fid] = FileRec(id=fid, filename=filename, purpose=purpose, created_at=now, expires_at=expires, data=data)
    return jresp(await file_object(emu, emu.state.files[fid], now), headers=h)


async def list_files(request: Request) -> Response:
    emu = _emu(request)
    if (bad := await gate(emu, request, "openai")) is not None:
        return bad
    now = emu.now()
    q = request.query_params
    purpose = q.get("purpose")
    objs = []
    for f in reversed(list(emu.state.files.values())):
        obj = await file_object(emu, f, now)
        if obj is not None and (purpose is None or obj["purpose"] == purpose):
            objs.append(obj)
    if q.get("order") == "asc":
        objs.reverse()
    after = q.get("after")
    if after:
        ids = [o["id"] for o in objs]
        objs = objs[ids.index(after) + 1 :] if after in ids else []
    limit = _int(q.get("limit"), 10_000)
    page = objs[:limit]
    return jresp({"object": "list", "data": page, "first_id": page[0]["id"] if page else None,
                  "last_id": page[-1]["id"] if page else None, "has_more": len(objs) > len(page)}, headers=_h(request))


async def retrieve_file(request: Request) -> Response:
    emu = _emu(request)
    if (bad := await gate(emu, request, "openai")) is not None:
        return bad
    fid = request.path_params["file_id"]
    f = emu.state.files.get(fid)
    obj = await file_object(emu, f, emu.now()) if f else None
    if obj is None:
        return _no_file(fid, _h(request))
    return jresp(obj, headers=_h(request))


async def delete_file(request: Request) -> Response:
    emu = _emu(request)
    if (bad := await gate(emu, request, "openai")) is not None:
        return bad
    fid = request.path_params["file_id"]
    f = emu.state.files.get(fid)
    if f is None or not _exists(emu, f, emu.now()):
        return _no_file(fid, _h(request))
    f.deleted = True
    f.data = None
    if f.batch_id is not None:
        emu.state.batches[f.batch_id].drop_files(f.kind or "output")
    return jresp({"id": fid, "object": "file", "deleted": True}, headers=_h(request))


async def file_content(request: Request) -> Response:
    emu = _emu(request)
    fid = request.path_params["file_id"]
    f = emu.state.files.get(fid)
    batch = emu.state.batches.get(f.batch_id) if f and f.batch_id else None
    faults = batch.http_faults(emu.faults) if batch else None
    if (bad := await gate(emu, request, "openai", faults)) is not None:
        return bad
    h = _h(request)
    now = emu.now()
    described = _describe(emu, f, now) if f is not None else None
    if f is None or described is None:
        return _no_file(fid, h)
    if described[1] is None:
        return Response(f.data or b"", media_type="application/octet-stream", headers=h)
    b, v = described[1]
    kind = f.kind or "output"
    b.downloads += 1
    entry, handle = await emu.spool.open(b, v, kind)
    bf = b.faults
    if bf.broken_download > 0 and (bf.broken_download_times is None or b.downloads <= bf.broken_download_times):
        # A plain 200 even to a Range request: this attempt must fail as before; the
        # client restarts the file, or resumes it once downloads stop breaking.
        p = b.plan()
        lines = p.cum_ok[v.done] if kind == "output" else len(b.items) - p.cum_ok[v.done]
        chunks = break_after(spool.line_blocks(handle), lines, bf.broken_download)
        return StreamingResponse(chunks, media_type="application/octet-stream", headers=h)
    try:
        rng = spool.byte_range(request.headers.get("range"), entry.size)
    except spool.Unsatisfiable:
        handle.close()
        return openai_error(416, f"Requested range not satisfiable: the file has {entry.size} bytes.",
                            headers={**h, "content-range": f"bytes */{entry.size}"})
    return spool.file_response(handle, entry.size, rng, "application/octet-stream", h)


def break_after(chunks: Iterator[bytes], total_lines: int, fraction: float) -> Iterator[bytes]:
    """Pass `chunks` through until `fraction` of `total_lines` (plus half a line), then fail."""
    keep = int(total_lines * min(max(fraction, 0.0), 1.0))
    seen = 0
    for chunk in chunks:
        lines = chunk.split(b"\n")
        n = len(lines) - 1
        if seen + n <= keep:
            seen += n
            yield chunk
            continue
        take = keep - seen
        head = b"\n".join(lines[:take])
        partial = lines[take][: max(1, len(lines[take]) // 2)]
        yield (head + b"\n" if take else b"") + partial
        break
    raise BrokenDownload("results download cut by the broken_download fault")


# --- batches ---------------------------------------------------------------------------------


async def create_batch(request: Request) -> Response:
    emu = _emu(request)
    if (bad := await gate(emu, request, "openai")) is not None:
        return bad
    h = _h(request)
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return openai_error(400, "We could not parse the JSON body of your request.", headers=h)
    if not isinstance(body, dict):
        return openai_error(400, "The request body must be a JSON object.", headers=h)
    for name in ("input_file_id", "endpoint", "completion_window"):
        if not body.get(name):
            return openai_error(400, f"Missing required parameter: '{name}'.", code="missing_required_parameter", param=name, headers=h)
    endpoint = body["endpoint"]
    if endpoint not in OPENAI_ENDPOINTS:
        return openai_error(400, f"Invalid value for 'endpoint': {endpoint!r}. The emulator supports {', '.join(OPENAI_ENDPOINTS)}.",
                            code="invalid_value", param="endpoint", headers=h)
    if body["completion_window"] != "24h":
        return openai_error(400, "Invalid value for 'completion_window': only '24h' is supported.",
                            code="invalid_value", param="completion_window", headers=h)
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict) or len(metadata) > 16 or any(
            not isinstance(k, str) or not isinstance(v, str) or len(k) > 64 or len(v) > 512 for k, v in metadata.items()
        ):
            return openai_error(400, "Invalid 'metadata': at most 16 string pairs, keys up to 64 and values up to 512 characters.",
                                code="invalid_value", param="metadata", headers=h)
    oea = body.get("output_expires_after")
    oea_seconds = None
    if oea is not None:
        if not isinstance(oea, dict) or oea.get("anchor") != "created_at" or not isinstance(oea.get("seconds"), int) \
                or not 3600 <= oea["seconds"] <= 2_592_000:
            return openai_error(400, "Invalid 'output_expires_after'.", code="invalid_value", param="output_expires_after", headers=h)
        oea_seconds = float(oea["seconds"])
    try:
        knobs = from_metadata(metadata)
        knobs.update(parse_spec(request.headers.get("x-emulator-faults")))
    except FaultSpecError as exc:
        return openai_error(400, str(exc), code="invalid_value", param="metadata", headers=h)
    fid = body["input_file_id"]
    f = emu.state.files.get(fid)
    now = emu.now()
    if f is None or f.batch_id is not None or not _exists(emu, f, now):
        return openai_error(404, f"No such File object: {fid}", param="input_file_id", headers=h)
    if f.purpose != "batch":
        return openai_error(400, f"File {fid} has purpose {f.purpose!r}; batch input files need purpose 'batch'.",
                            param="input_file_id", headers=h)
    items = await asyncio.to_thread(parse_openai, f.data or b"", endpoint) if len(f.data or b"") > 1_000_000 \
        else parse_openai(f.data or b"", endpoint)
    state = emu.state
    bid = state.new_id("openai_batch")
    batch = Batch(provider="openai", id=bid, seq=len(state.batches), created_at=now, items=items,
                  base_faults=emu.faults, seed=emu.seed, endpoint=endpoint, input_file_id=fid,
                  completion_window="24h", metadata=metadata, output_expires_after=oea_seconds,
                  overrides=knobs)
    state.add_batch(batch)
    return jresp(batch_object(batch, now), headers=h)


def _lookup_batch(request: Request) -> Any:
    """The OpenAI batch named in the path (None for an unknown id or another provider's)."""
    b = _emu(request).state.batches.get(request.path_params["batch_id"])
    return b if b is not None and b.provider == "openai" else None


async def retrieve_batch(request: Request) -> Response:
    emu, bid, b = _emu(request), request.path_params["batch_id"], _lookup_batch(request)
    if (bad := await gate(emu, request, "openai", b.http_faults(emu.faults) if b else None)) is not None:
        return bad
    if b is None:
        return _no_batch(bid, _h(request))
    return jresp(batch_object(b, emu.now()), headers=_h(request))


async def cancel_batch(request: Request) -> Response:
    emu, bid, b = _emu(request), request.path_params["batch_id"], _lookup_batch(request)
    if (bad := await gate(emu, request, "openai", b.http_faults(emu.faults) if b else None)) is not None:
        return bad
    h = _h(request)
    if b is None:
        return _no_batch(bid, h)
    now = emu.now()
    status = b.view(now).status
    if status == "cancelling":
        return jresp(batch_object(b, now), headers=h)
    if status not in ("validating", "in_progress", "finalizing"):
        return openai_error(400, f"Cannot cancel a batch with status '{status}'.", code="batch_not_cancellable", headers=h)
    b.cancel_at = now
    return jresp(batch_object(b, now), headers=h)


def _int(value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    return int(value)


async def list_batches(request: Request) -> Response:
    emu = _emu(request)
    if (bad := await gate(emu, request, "openai")) is not None:
        return bad
    h = _h(request)
    q = request.query_params
    try:
        limit = _int(q.get("limit"), 20)
    except ValueError:
        return openai_error(400, "Invalid value for 'limit'.", param="limit", headers=h)
    if not 1 <= limit <= 100:
        return openai_error(400, "Invalid 'limit': must be between 1 and 100.", code="invalid_value", param="limit", headers=h)
    rows = emu.state.listing("openai")
    after = q.get("after")
    if after:
        ids = [b.id for b in rows]
        rows = rows[ids.index(after) + 1 :] if after in ids else []
    page = rows[:limit]
    now = emu.now()
    data = [batch_object(b, now) for b in page]
    return jresp({"object": "list", "data": data, "first_id": page[0].id if page else None,
                  "last_id": page[-1].id if page else None, "has_more": len(rows) > len(page)}, headers=h)


# --- realtime --------------------------------------------------------------------------------

_TIERS = {None: "default", "auto": "default", "default": "default", "flex": "flex", "scale": "scale",
          "priority": "priority", "fast": "priority"}
TIER_LATENCY_FACTOR = {"priority": 0.5, "default": 1.0, "scale": 1.0, "flex": 4.0}


async def realtime(request: Request) -> Response:
    emu = _emu(request)
    if (bad := await gate(emu, request, "openai")) is not None:
        return bad
    h = _h(request)
    endpoint = request.url.path
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return openai_error(400, "We could not parse the JSON body of your request.", headers=h)
    if not isinstance(body, dict):
        return openai_error(400, "The request body must be a JSON object.", headers=h)
    problem = bad_call(body, endpoint)  # the same per-request checks as batch lines
    if problem is not None:
        code, message, param = problem
        return openai_error(400, message, code=code if code != "invalid_request_error" else None, param=param, headers=h)
    requested = body.get("service_tier")
    if requested not in _TIERS:
        return openai_error(400, f"Invalid value for 'service_tier': {requested!r}.", code="invalid_value", param="service_tier", headers=h)
    tier = _TIERS[requested]
    f = emu.faults
    if tier == "flex":
        emu.flex_calls += 1
        if rand.unit(rand.mix(emu.seed, "flex", emu.flex_calls), 0) < f.flex_unavailable_rate:
            wait = f.retry_after
            return openai_error(429, "Resource unavailable: flex processing capacity is temporarily exhausted. "
                                "Please retry later or use the default service tier.", "resource_unavailable",
                                "resource_unavailable", headers={**h, "retry-after": str(int(max(1, wait))),
                                                                 "retry-after-ms": str(int(wait * 1000))})
    delay = f.realtime_latency_ms * TIER_LATENCY_FACTOR.get(tier, 1.0)
    if delay > 0:
        await asyncio.sleep(delay / 1000.0)
    hh = rand.h128(emu.rt_key, raw.decode("utf-8", "replace"))
    hx = f"{hh:032x}"
    model_js = json.dumps(body.get("model"))
    in_tokens, _ = prompt_tokens(body, endpoint)
    created = int(emu.now())
    if endpoint.endswith("/embeddings"):
        text = results.embeddings_body(hh, model_js, in_tokens, embedding_inputs(body), embedding_dims(body),
                                       body.get("encoding_format") == "base64")
    elif endpoint.endswith("/responses"):
        text = results.responses_body(hx, hh, model_js, created, in_tokens, openai_cached_tokens(hh, in_tokens),
                                      max_output_tokens(body), tier)
    else:
        text = results.chat_body(hx, hh, model_js, created, in_tokens, openai_cached_tokens(hh, in_tokens),
                                 max_output_tokens(body), tier)
    return raw_json(text, headers=h)


def routes() -> list[Route]:
    return [
        Route("/v1/files", upload_file, methods=["POST"]),
        Route("/v1/files", list_files, methods=["GET"]),
        Route("/v1/files/{file_id}", retrieve_file, methods=["GET"]),
        Route("/v1/files/{file_id}", delete_file, methods=["DELETE"]),
        Route("/v1/files/{file_id}/content", file_content, methods=["GET"]),
        Route("/v1/batches", create_batch, methods=["POST"]),
        Route("/v1/batches", list_batches, methods=["GET"]),
        Route("/v1/batches/{batch_id}", retrieve_batch, methods=["GET"]),
        Route("/v1/batches/{batch_id}/cancel", cancel_batch, methods=["POST"]),
        Route("/v1/chat/completions", realtime, methods=["POST"]),
        Route("/v1/responses", realtime, methods=["POST"]),
        Route("/v1/embeddings", realtime, methods=["POST"]),
    ]

