"""Mistral wire protocol, mounted under /mistral (its /v1 paths would collide with OpenAI's).

The server URL the `mistralai` SDK takes is `http://127.0.0.1:PORT/mistral` (as it would take
`https://api.mistral.ai` or the `api.eu.`/`api.us.` hosts); paths below are under it.
Files: `POST /v1/files` (multipart `file`, `purpose=batch`), `GET|DELETE /v1/files/{id}`,
`GET /v1/files/{id}/content`. Jobs: `POST /v1/batch/jobs` (`input_files` or inline
`requests`, `endpoint`, `model`, `metadata`, `timeout_hours`), `GET /v1/batch/jobs/{id}`
(`inline=true` adds `outputs`), `GET /v1/batch/jobs` (`page` from 0, `page_size`, `status`
repeated, `model`; answers `{data, object: "list", total}`), `POST .../{id}/cancel`,
`DELETE .../{id}`. Statuses QUEUED, RUNNING, SUCCESS, FAILED, TIMEOUT_EXCEEDED,
CANCELLATION_REQUESTED, CANCELLED; times are Unix seconds. Results: see `mistral_results`
(failures in the output file too). Realtime: `POST /v1/chat/completions`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .. import faults, rand, results, spool
from ..content import max_output_tokens, prompt_tokens
from ..core import Emulator, break_after, emulator, gate, gated, jresp, raw_json, reply_headers, unix
from ..inputs import InputError, bad_call, mistral_file_rows, parse_mistral
from ..state import Batch, FileRec, View
from . import results as mistral_results
from .dialect import DIALECT, mistral_error

PREFIX = "/mistral"
DEFAULT_TIMEOUT_HOURS = 24
MAX_TIMEOUT_HOURS = 168
"""The largest `timeout_hours` accepted: UNCONFIRMED (reference §5 and §14); a guess of 7 days."""
ENDPOINTS = ("/v1/chat/completions", "/v1/embeddings")
FILE_RETENTION = None
"""Retention of Mistral files: UNCONFIRMED (reference §5); the emulator keeps them."""

def status_of(v: View) -> str:
    return v.status  # already Mistral's name (the dialect's lifecycle)


def _file_ids(b: Batch, v: View) -> tuple[str | None, str | None]:
    if not v.terminal or v.status == "FAILED":
        return None, None
    n_out, n_err = mistral_results.counts(b, v)
    return (b.output_file_id if n_out else None), (b.error_file_id if n_err else None)


def job_object(b: Batch, now: float, inline: bool = False) -> dict[str, Any]:
    v = b.view(now)
    p = b.plan()
    out_id, err_id = _file_ids(b, v)
    obj: dict[str, Any] = {
        "id": b.id, "object": "batch", "input_files": [b.input_file_id] if b.input_file_id else [],
        "metadata": b.metadata, "endpoint": b.endpoint, "model": b.model, "agent_id": None,
        "output_file": out_id, "error_file": err_id,
        "errors": [{"message": e["message"], "count": 1} for e in p.errors] if v.status == "FAILED" else [],
        "status": status_of(v), "created_at": unix(b.created_at),
        "total_requests": len(b.items), "completed_requests": v.done,
        "succeeded_requests": p.cum_ok[v.done], "failed_requests": p.cum_err[v.done],
        "started_at": unix(b.created_at + p.validating) if v.status not in ("QUEUED", "FAILED") else None,
        "completed_at": unix(v.terminal_at),
    }
    if inline:
        obj["outputs"] = _inline_outputs(b, v) if v.terminal else None
    return obj


def _inline_outputs(b: Batch, v: View) -> list[dict[str, Any]]:
    lines = b"".join(mistral_results.output_file(b, v)) + b"".join(mistral_results.error_file(b, v))
    return [json.loads(line) for line in lines.splitlines() if line]


def file_object(f: FileRec, size: int, sample_type: str, source: str) -> dict[str, Any]:
    return {"id": f.id, "object": "file", "bytes": size, "created_at": unix(f.created_at), "filename": f.filename,
            "purpose": "batch", "sample_type": sample_type, "source": source,
            "num_lines": (f.data or b"").count(b"\n") if f.data is not None else None,
            "mimetype": "application/jsonl", "signature": None, "expires_at": unix(f.expires_at)}


# --- files -----------------------------------------------------------------------------------


@gated(DIALECT)
async def upload_file(request: Request, emu: Emulator) -> Response:
    h = reply_headers(request)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return mistral_error(400, "Expected a multipart/form-data body with 'file' and 'purpose'.", headers=h)
    form = await request.form(max_part_size=16 * 1024 * 1024)
    try:
        up = form.get("file")
        purpose = form.get("purpose") or "fine-tune"
        if up is None or isinstance(up, str):
            return mistral_error(422, "file: Field required", headers=h)
        data = await up.read()
        name = up.filename or "upload.jsonl"
    finally:
        await form.close()
    now = emu.now()
    fid = emu.state.new_id("mistral_file")
    f = FileRec(id=fid, filename=name, purpose=str(purpose), created_at=now, expires_at=None, data=data)
    emu.state.api_files[fid] = f
    return jresp(file_object(f, len(data), "batch_request", "upload"), headers=h)


def _virtual(emu: Emulator, f: FileRec, now: float) -> tuple[Batch, View] | None:
    b = emu.state.batches.get(f.batch_id or "")
    if b is None or b.deleted:
        return None
    v = b.view(now)
    out_id, err_id = _file_ids(b, v)
    if f.id not in (out_id, err_id):
        return None
    return b, v


async def _file_route(request: Request) -> tuple[Emulator, FileRec | None, tuple[Batch, View] | None, Response | None]:
    emu = emulator(request)
    f = emu.state.api_files.get(request.path_params["file_id"])
    if f is not None and (f.deleted or f.purpose == "gemini"):
        f = None
    batch = emu.state.batches.get(f.batch_id) if f and f.batch_id else None
    if (bad := await gate(emu, request, DIALECT, batch.http_faults(emu.faults) if batch else None)) is not None:
        return emu, f, None, bad
    found = _virtual(emu, f, emu.now()) if f is not None and f.batch_id else None
    if f is None or (f.batch_id and found is None) or (
            f.batch_id is None and f.purpose not in ("batch", "fine-tune", "ocr")):
        return emu, f, None, mistral_error(404, f"File {request.path_params['file_id']} not found", "not_found",
                                           headers=reply_headers(request))
    return emu, f, found, None


async def retrieve_file(request: Request) -> Response:
    emu, f, found, bad = await _file_route(request)
    if bad is not None or f is None:
        return bad or Response(status_code=500)
    h = reply_headers(request)
    if found is None:
        return jresp(file_object(f, len(f.data or b""), "batch_request", "upload"), headers=h)
    b, v = found
    entry = await emu.spool.ensure(b, v, f.kind or "output")
    sample = "batch_result" if f.kind == "output" else "batch_error"
    obj = file_object(f, entry.size, sample, "mistral")
    obj["created_at"] = unix(v.terminal_at)
    return jresp(obj, headers=h)


async def delete_file(request: Request) -> Response:
    emu, f, found, bad = await _file_route(request)
    if bad is not None or f is None:
        return bad or Response(status_code=500)
    f.deleted = True
    f.data = None
    if found is not None:
        found[0].drop_files(f.kind)
    return jresp({"id": f.id, "object": "file", "deleted": True}, headers=reply_headers(request))


async def file_content(request: Request) -> Response:
    emu, f, found, bad = await _file_route(request)
    if bad is not None or f is None:
        return bad or Response(status_code=500)
    h = reply_headers(request)
    if found is None:
        return Response(f.data or b"", media_type="application/octet-stream", headers=h)
    b, v = found
    kind = f.kind or "output"
    b.downloads += 1
    entry, handle = await emu.spool.open(b, v, kind)
    bf = b.faults
    if bf.broken_download > 0 and (bf.broken_download_times is None or b.downloads <= bf.broken_download_times):
        n_out, n_err = mistral_results.counts(b, v)
        chunks = break_after(spool.line_blocks(handle), n_out if kind == "output" else n_err, bf.broken_download)
        return StreamingResponse(chunks, media_type="application/octet-stream", headers=h)
    try:
        rng = spool.byte_range(request.headers.get("range"), entry.size)
    except spool.Unsatisfiable:
        handle.close()
        return mistral_error(416, f"Requested range not satisfiable: the file has {entry.size} bytes.", headers=h)
    return spool.file_response(handle, entry.size, rng, "application/octet-stream", h)


# --- jobs ------------------------------------------------------------------------------------


@gated(DIALECT)
async def create_job(request: Request, emu: Emulator) -> Response:
    h = reply_headers(request)
    raw = await request.body()
    try:
        body = json.loads(raw) if len(raw) < 2_000_000 else await asyncio.to_thread(json.loads, raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return mistral_error(400, "Invalid JSON body.", headers=h)
    if not isinstance(body, dict):
        return mistral_error(422, "body: Input should be a valid dictionary", headers=h)
    endpoint = body.get("endpoint")
    if endpoint not in ENDPOINTS:
        return mistral_error(422, f"endpoint: the emulator supports {', '.join(ENDPOINTS)}, not {endpoint!r}",
                             headers=h)
    hours = body.get("timeout_hours", DEFAULT_TIMEOUT_HOURS)
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_TIMEOUT_HOURS:
        return mistral_error(422, f"timeout_hours: must be an integer from 1 to {MAX_TIMEOUT_HOURS}", headers=h)
    metadata = body.get("metadata")
    if metadata is not None and (
            not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values())):
        return mistral_error(422, "metadata: Input should be a dictionary of strings", headers=h)
    try:
        knobs = faults.for_create(request.headers)
    except faults.FaultSpecError as exc:
        return mistral_error(400, str(exc), headers=h)
    model = body.get("model") if isinstance(body.get("model"), str) else None
    files = body.get("input_files") or []
    inline = body.get("requests")
    limits = emu.faults.with_(knobs)
    try:
        if inline:
            if not isinstance(inline, list):
                raise InputError("requests: Input should be a valid list", 422)
            rows = inline
            input_file = None
        else:
            if not isinstance(files, list) or len(files) != 1:
                raise InputError("input_files: give one batch input file id (or inline requests)", 422)
            f = emu.state.api_files.get(files[0])
            if f is None or f.deleted or f.batch_id is not None or f.purpose != "batch":
                return mistral_error(404, f"File {files[0]} not found", "not_found", headers=h)
            rows = mistral_file_rows(f.data or b"")
            input_file = f.id
        items = parse_mistral(rows, model, endpoint, limits.max_requests)
    except InputError as exc:
        return mistral_error(exc.status, str(exc), headers=h)
    now = emu.now()
    b = emu.add_batch(DIALECT, items, now, knobs, endpoint=endpoint, input_file_id=input_file, metadata=metadata,
                      completion_window=f"{hours}h", model=model or items.model)
    for kind in DIALECT.result_kinds:
        fid = emu.state.new_id("mistral_file")
        emu.state.api_files[fid] = FileRec(id=fid, filename=f"{b.id}_{kind}.jsonl", purpose="batch",
                                       created_at=now, expires_at=None, batch_id=b.id, kind=kind)
        if kind == "output":
            b.output_file_id = fid
        else:
            b.error_file_id = fid
    return jresp(job_object(b, now), headers=h)


async def _job_route(request: Request) -> tuple[Emulator, Batch | None, Response | None]:
    emu = emulator(request)
    jid = request.path_params["job_id"]
    b = emu.state.batches.get(jid)
    if b is not None and (b.provider != "mistral" or b.deleted):
        b = None
    if (bad := await gate(emu, request, DIALECT, b.http_faults(emu.faults) if b else None)) is not None:
        return emu, b, bad
    if b is None:
        return emu, b, mistral_error(404, f"Batch job {jid} not found", "not_found", headers=reply_headers(request))
    return emu, b, None


async def get_job(request: Request) -> Response:
    emu, b, bad = await _job_route(request)
    if bad is not None or b is None:
        return bad or Response(status_code=500)
    inline = request.query_params.get("inline", "").lower() == "true"
    return jresp(job_object(b, emu.now(), inline), headers=reply_headers(request))


async def cancel_job(request: Request) -> Response:
    emu, b, bad = await _job_route(request)
    if bad is not None or b is None:
        return bad or Response(status_code=500)
    now = emu.now()
    v = b.view(now)
    if v.terminal:
        return mistral_error(400, f"Batch job {b.id} is {status_of(v)} and cannot be cancelled",
                             headers=reply_headers(request))
    if b.cancel_at is None:
        b.cancel_at = now
    return jresp(job_object(b, now), headers=reply_headers(request))


async def delete_job(request: Request) -> Response:
    _, b, bad = await _job_route(request)
    if bad is not None or b is None:
        return bad or Response(status_code=500)
    b.deleted = True
    b.drop_files()
    return jresp({"id": b.id, "object": "batch", "deleted": True}, headers=reply_headers(request))


@gated(DIALECT)
async def list_jobs(request: Request, emu: Emulator) -> Response:
    h = reply_headers(request)
    q = request.query_params
    try:
        page = int(q.get("page") or 0)
        size = int(q.get("page_size") or 100)
    except ValueError:
        return mistral_error(422, "page and page_size must be integers", headers=h)
    if page < 0 or not 1 <= size <= 1000:
        return mistral_error(422, "page must be >= 0 and page_size from 1 to 1000", headers=h)
    now = emu.now()
    rows = emu.state.listing("mistral")
    if q.get("order_by") == "created":
        rows.reverse()
    wanted = set(q.getlist("status"))
    model = q.get("model")
    objs = [job_object(b, now) for b in rows]
    objs = [o for o in objs if (not wanted or o["status"] in wanted) and (not model or o["model"] == model)]
    return jresp({"data": objs[page * size:(page + 1) * size], "object": "list", "total": len(objs)}, headers=h)


# --- realtime --------------------------------------------------------------------------------


@gated(DIALECT)
async def chat(request: Request, emu: Emulator) -> Response:
    h = reply_headers(request)
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return mistral_error(400, "Invalid JSON body.", headers=h)
    if not isinstance(body, dict):
        return mistral_error(422, "body: Input should be a valid dictionary", headers=h)
    problem = bad_call({**body, "stream": None}, "/v1/chat/completions")
    if problem is not None:
        return mistral_error(422, f"{problem[2]}: {problem[1]}", headers=h)
    delay = emu.faults.realtime_latency_ms
    if delay > 0:
        await asyncio.sleep(delay / 1000.0)
    hh = rand.h128(emu.rt_key, raw.decode("utf-8", "replace"))
    in_tokens, _ = prompt_tokens(body, "/v1/chat/completions")
    return raw_json(results.chat_body(f"{hh:032x}", hh, json.dumps(body.get("model")), int(emu.now()), in_tokens, 0,
                                      max_output_tokens(body), "standard"), headers=h)


def finalizable(emu: Emulator, now: float) -> list[spool.Target]:
    out: list[spool.Target] = []
    for b in emu.state.batches.values():
        if b.provider == "mistral" and not b.deleted:
            v = b.view(now)
            out_id, err_id = _file_ids(b, v)
            if out_id:
                out.append((b, v, "output"))
            if err_id:
                out.append((b, v, "error"))
    return out


def routes() -> list[Route]:
    """Mistral's routes, every path under /mistral."""
    table = [
        ("/v1/files", upload_file, "POST"),
        ("/v1/files/{file_id}", retrieve_file, "GET"),
        ("/v1/files/{file_id}", delete_file, "DELETE"),
        ("/v1/files/{file_id}/content", file_content, "GET"),
        ("/v1/batch/jobs", create_job, "POST"),
        ("/v1/batch/jobs", list_jobs, "GET"),
        ("/v1/batch/jobs/{job_id}", get_job, "GET"),
        ("/v1/batch/jobs/{job_id}", delete_job, "DELETE"),
        ("/v1/batch/jobs/{job_id}/cancel", cancel_job, "POST"),
        ("/v1/chat/completions", chat, "POST"),
    ]
    return [Route(PREFIX + path, endpoint, methods=[method]) for path, endpoint, method in table]
