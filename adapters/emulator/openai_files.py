"""OpenAI Files routes: upload, list, retrieve, delete, and content (the results downloads).

Uploaded files live in memory; a batch's output and error files are virtual (see
`openai_objects`), their bytes written once by the spool and served with `Range` support,
or cut short by the `broken_download` fault.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from . import spool
from .core import Emulator, break_after, emulator, gate, gated, int_param, jresp, openai_error, reply_headers
from .inputs import OPENAI_MAX_BYTES
from .openai_objects import describe_file, file_exists, file_object
from .state import FileRec

FILE_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
INPUT_FILE_RETENTION = 30 * 86_400.0


def _no_file(file_id: str, headers: dict[str, str]) -> Response:
    return openai_error(404, f"No such File object: {file_id}", param="id", headers=headers)


@gated("openai")
async def upload_file(request: Request, emu: Emulator) -> Response:
    h = reply_headers(request)
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        return openai_error(400, "Expected a multipart/form-data body with 'file' and 'purpose'.", headers=h)
    form = await request.form(max_part_size=16 * 1024 * 1024)
    try:
        upload = form.get("file")
        purpose = form.get("purpose")
        if upload is None or isinstance(upload, str):
            return openai_error(400, "Missing required parameter: 'file'.", code="missing_required_parameter",
                                param="file", headers=h)
        if not isinstance(purpose, str) or not purpose:
            return openai_error(400, "Missing required parameter: 'purpose'.", code="missing_required_parameter",
                                param="purpose", headers=h)
        if purpose not in FILE_PURPOSES:
            return openai_error(400, f"Invalid value for 'purpose': {purpose!r}.", code="invalid_value",
                                param="purpose", headers=h)
        data = await upload.read()
        filename = upload.filename or "upload.jsonl"
        limit = emu.faults.max_bytes or OPENAI_MAX_BYTES
        if purpose == "batch":
            if not filename.endswith(".jsonl"):
                return openai_error(400, "Invalid file format for Batch API. Must be .jsonl", param="file", headers=h)
            if len(data) > limit:
                return openai_error(400, f"File is too large: {len(data)} bytes; "
                                         f"the Batch API accepts at most {limit} bytes.",
                                    code="file_too_large", param="file", headers=h)
        now = emu.now()
        expires = now + INPUT_FILE_RETENTION if purpose == "batch" else None
        anchor, secs = form.get("expires_after[anchor]"), form.get("expires_after[seconds]")
        if isinstance(secs, str) and secs:
            try:
                seconds = int(secs)
            except ValueError:
                return openai_error(400, "Invalid value for 'expires_after[seconds]'.", param="expires_after",
                                    headers=h)
            if anchor not in (None, "created_at") or not 3600 <= seconds <= 2_592_000:
                return openai_error(400, "expires_after must be anchored at created_at with 3600..2592000 seconds.",
                                    param="expires_after", headers=h)
            expires = now + seconds
    finally:
        await form.close()
    fid = emu.state.new_id("file")
    emu.state.files[fid] = FileRec(id=fid, filename=filename, purpose=purpose, created_at=now, expires_at=expires,
                                   data=data)
    return jresp(await file_object(emu, emu.state.files[fid], now), headers=h)


@gated("openai")
async def list_files(request: Request, emu: Emulator) -> Response:
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
    limit = int_param(q.get("limit"), 10_000)
    page = objs[:limit]
    return jresp({"object": "list", "data": page, "first_id": page[0]["id"] if page else None,
                  "last_id": page[-1]["id"] if page else None, "has_more": len(objs) > len(page)},
                 headers=reply_headers(request))


@gated("openai")
async def retrieve_file(request: Request, emu: Emulator) -> Response:
    fid = request.path_params["file_id"]
    f = emu.state.files.get(fid)
    obj = await file_object(emu, f, emu.now()) if f else None
    if obj is None:
        return _no_file(fid, reply_headers(request))
    return jresp(obj, headers=reply_headers(request))


@gated("openai")
async def delete_file(request: Request, emu: Emulator) -> Response:
    fid = request.path_params["file_id"]
    f = emu.state.files.get(fid)
    if f is None or not file_exists(emu, f, emu.now()):
        return _no_file(fid, reply_headers(request))
    f.deleted = True
    f.data = None
    if f.batch_id is not None:
        emu.state.batches[f.batch_id].drop_files(f.kind or "output")
    return jresp({"id": fid, "object": "file", "deleted": True}, headers=reply_headers(request))


async def file_content(request: Request) -> Response:
    emu = emulator(request)
    fid = request.path_params["file_id"]
    f = emu.state.files.get(fid)
    batch = emu.state.batches.get(f.batch_id) if f and f.batch_id else None
    faults = batch.http_faults(emu.faults) if batch else None
    if (bad := await gate(emu, request, "openai", faults)) is not None:
        return bad
    h = reply_headers(request)
    now = emu.now()
    described = describe_file(emu, f, now) if f is not None else None
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


def routes() -> list[Route]:
    return [
        Route("/v1/files", upload_file, methods=["POST"]),
        Route("/v1/files", list_files, methods=["GET"]),
        Route("/v1/files/{file_id}", retrieve_file, methods=["GET"]),
        Route("/v1/files/{file_id}", delete_file, methods=["DELETE"]),
        Route("/v1/files/{file_id}/content", file_content, methods=["GET"]),
    ]
