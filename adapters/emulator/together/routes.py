"""Together's batch routes (wire details as the together 3.1.1 SDK was traced, reference §6).

Upload: `POST /v1/files` with form fields only (purpose, file_name, file_type, checksum) answers
302 with `Location` (a presigned-style URL here, on this server) and `X-Together-File-Id`; the
bytes are PUT there without auth (exactly 200); `POST /v1/files/{id}/preprocess` answers the
File object (Unix times, `FileType`). Create answers 201 `{job, warning}`; retrieve and cancel
answer the job unwrapped; list answers a bare JSON array. Job times are ISO datetimes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import faults, rand, results
from ..core import Emulator, bound, emulator, gate, gated, jresp, reply_headers, unix
from ..dialect import Dialect, Lifecycle
from ..inputs import parse_openai
from ..openai import files as openai_files
from ..openai import realtime as openai_realtime
from ..openai.dialect import REFUSALS, openai_error
from ..openai.objects import batch_object
from ..state import Batch, FileRec

PREFIX = "/together/v1"
ENDPOINTS = ("/v1/chat/completions",)
FILE_ID_PREFIX = "file-"

CANCELLING_STATUS = "IN_PROGRESS"
"""What a job reports between cancel and its end. UNCONFIRMED (reference §6: there is no
CANCELLING status, and what cancel returns at once is not documented)."""


def _uuid(h: int) -> str:
    x = rand.hex_id(h, 32)
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


DIALECT = Dialect(
    name="together",
    batch_id=_uuid,
    request_id=lambda h: {"x-request-id": rand.hex_id(h, 32)},
    error=lambda status, kind, message, code, headers: openai_error(status, message, kind, code, headers=headers),
    refusals=REFUSALS,
    lifecycle=Lifecycle(
        validates=True, finalizes=False, cached_tokens=False, max_requests=50_000,
        names={"validating": "VALIDATING", "in_progress": "IN_PROGRESS", "finalizing": "IN_PROGRESS",
               "completed": "COMPLETED", "failed": "FAILED", "expired": "EXPIRED",
               "cancelling": CANCELLING_STATUS, "cancelled": "CANCELLED"},
    ),
    result_kinds=("output", "error"),
    results=results.openai_file,
    file_results=True,
    endpoints=ENDPOINTS,
)


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def job_object(b: Batch, now: float) -> dict[str, Any]:
    """The job as Together shows it: no counts, a progress percentage, ISO times."""
    v = b.view(now)
    openai_like = batch_object(b, now)  # which result files exist at `now`
    n = len(b.items)
    return {
        "id": b.id, "user_id": "emulator-user", "input_file_id": b.input_file_id,
        "file_size_bytes": b.items.n_bytes, "status": v.status,
        "job_deadline": _iso(b.expires_at), "created_at": _iso(b.created_at),
        "completed_at": _iso(v.terminal_at) if v.terminal else None,
        "endpoint": b.endpoint, "progress": round(100.0 * v.done / n, 2) if n else 100.0,
        "model_id": b.items.model,
        "output_file_id": openai_like["output_file_id"] or None,
        "error_file_id": openai_like["error_file_id"] or None,
        "error": "; ".join(e["message"] for e in b.plan().errors) if v.status == "FAILED" else None,
    }


@gated()
async def start_upload(request: Request, emu: Emulator) -> Response:
    h = reply_headers(request)
    form = await request.form()
    purpose, name = form.get("purpose"), form.get("file_name")
    if not isinstance(purpose, str) or not isinstance(name, str) or not name:
        return openai_error(400, "purpose and file_name are required form fields.", headers=h)
    fid = FILE_ID_PREFIX + emu.state.new_id("file").removeprefix("file-")
    emu.state.files[fid] = FileRec(id=fid, filename=name, purpose=purpose, created_at=emu.now(),
                                   expires_at=None, data=None)
    location = f"{request.base_url}{PREFIX.lstrip('/')}/_upload/{fid}"
    return Response(status_code=302, headers={**h, "Location": location, "X-Together-File-Id": fid})


async def put_bytes(request: Request) -> Response:
    """The presigned upload: no API key (as a real presigned URL), exactly 200."""
    f = emulator(request).state.files.get(request.path_params["file_id"])
    if f is None or f.data is not None:
        return Response("no such upload", status_code=404)
    f.data = await request.body()
    return Response(status_code=200)


@gated()
async def preprocess(request: Request, emu: Emulator) -> Response:
    fid = request.path_params["file_id"]
    f = emu.state.files.get(fid)
    if f is None or f.data is None:
        return openai_error(404, f"File {fid} not found or not uploaded", headers=reply_headers(request))
    return jresp({"id": f.id, "object": "file", "bytes": len(f.data), "created_at": unix(f.created_at),
                  "filename": f.filename, "FileType": "jsonl", "purpose": f.purpose,
                  "processing_status": "COMPLETED"}, headers=reply_headers(request))


def _with_envelope(data: bytes, endpoint: str) -> bytes:
    """Together's lines are `{custom_id, body}`: give them OpenAI's envelope for the parser."""
    out = []
    for raw in data.splitlines():
        try:
            obj = json.loads(raw)
        except ValueError:
            out.append(raw)
            continue
        if isinstance(obj, dict) and "url" not in obj:
            obj = {**obj, "method": "POST", "url": endpoint}
        out.append(json.dumps(obj).encode())
    return b"\n".join(out) + b"\n"


@gated()
async def create_job(request: Request, emu: Emulator) -> Response:
    h = reply_headers(request)
    try:
        body = await request.json()
    except ValueError:
        return openai_error(400, "The request body is not valid JSON.", headers=h)
    endpoint, fid = body.get("endpoint"), body.get("input_file_id")
    if endpoint not in ENDPOINTS:
        return openai_error(400, f"endpoint must be one of {', '.join(ENDPOINTS)}", headers=h)
    f = emu.state.files.get(fid or "")
    if f is None or f.data is None or f.batch_id is not None:
        return openai_error(404, f"File {fid} not found", headers=h)
    try:
        knobs = faults.for_create(request.headers, None)
    except faults.FaultSpecError as exc:
        return openai_error(400, str(exc), headers=h)
    items = parse_openai(_with_envelope(f.data, endpoint), endpoint)
    now = emu.now()
    batch = emu.add_batch(DIALECT, items, now, knobs, endpoint=endpoint, input_file_id=fid, completion_window="24h")
    # The window cannot change (reference §6): a different one only earns a warning.
    window = body.get("completion_window")
    warning = None if window in (None, "24h") else f"completion_window {window!r} is ignored; jobs run within 24h"
    return jresp({"job": job_object(batch, now), "warning": warning}, status=201, headers=h)


def _job(request: Request) -> Batch | None:
    b = emulator(request).state.batches.get(request.path_params["job_id"])
    return b if b is not None and b.dialect is DIALECT else None


async def retrieve_job(request: Request) -> Response:
    emu, b = emulator(request), _job(request)
    if (bad := await gate(emu, request, DIALECT, b.http_faults(emu.faults) if b else None)) is not None:
        return bad
    if b is None:
        return openai_error(404, "Batch job not found", headers=reply_headers(request))
    return jresp(job_object(b, emu.now()), headers=reply_headers(request))


async def cancel_job(request: Request) -> Response:
    emu, b = emulator(request), _job(request)
    if (bad := await gate(emu, request, DIALECT, b.http_faults(emu.faults) if b else None)) is not None:
        return bad
    h = reply_headers(request)
    if b is None:
        return openai_error(404, "Batch job not found", headers=h)
    now = emu.now()
    v = b.view(now)
    if v.terminal:
        return openai_error(400, f"Cannot cancel a job with status {v.status}", headers=h)
    if b.cancel_at is None:
        b.cancel_at = now
    return jresp(job_object(b, now), headers=h)


@gated()
async def list_jobs(request: Request, emu: Emulator) -> Response:
    now = emu.now()
    return jresp([job_object(b, now) for b in emu.state.listing(DIALECT.name)], headers=reply_headers(request))


def routes() -> list[Route]:
    p = PREFIX
    return [
        Route(p + "/files", bound(start_upload, DIALECT), methods=["POST"]),
        Route(p + "/_upload/{file_id}", put_bytes, methods=["PUT"]),
        Route(p + "/files/{file_id}/preprocess", bound(preprocess, DIALECT), methods=["POST"]),
        Route(p + "/files/{file_id}", bound(openai_files.retrieve_file, DIALECT), methods=["GET"]),
        Route(p + "/files/{file_id}/content", bound(openai_files.file_content, DIALECT), methods=["GET"]),
        Route(p + "/batches", bound(create_job, DIALECT), methods=["POST"]),
        Route(p + "/batches", bound(list_jobs, DIALECT), methods=["GET"]),
        Route(p + "/batches/{job_id}", bound(retrieve_job, DIALECT), methods=["GET"]),
        Route(p + "/batches/{job_id}/cancel", bound(cancel_job, DIALECT), methods=["POST"]),
        Route(p + "/chat/completions", bound(openai_realtime.realtime, DIALECT), methods=["POST"]),
    ]
