"""OpenAI Batch routes: create, retrieve, cancel, list (the Batch body is `objects`)."""

from __future__ import annotations

import asyncio
import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import faults
from ..core import Emulator, bound, dialect_of, emulator, gate, gated, gated_list, int_param, jresp, reply_headers
from ..dialect import Dialect
from ..inputs import OPENAI_ENDPOINTS, parse_openai
from ..state import Batch
from .dialect import DIALECT, openai_error
from .objects import batch_object, file_exists


def _no_batch(batch_id: str, headers: dict[str, str]) -> Response:
    return openai_error(404, f"No batch found with id '{batch_id}'.", param="batch_id", headers=headers)


@gated()
async def create_batch(request: Request, emu: Emulator) -> Response:
    h = reply_headers(request)
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return openai_error(400, "We could not parse the JSON body of your request.", headers=h)
    if not isinstance(body, dict):
        return openai_error(400, "The request body must be a JSON object.", headers=h)
    for name in ("input_file_id", "endpoint", "completion_window"):
        if not body.get(name):
            return openai_error(400, f"Missing required parameter: '{name}'.", code="missing_required_parameter",
                                param=name, headers=h)
    dialect = dialect_of(request)
    endpoint = body["endpoint"]
    endpoints = dialect.endpoints or OPENAI_ENDPOINTS
    if endpoint not in endpoints:
        return openai_error(400, f"Invalid value for 'endpoint': {endpoint!r}. "
                                 f"The emulator supports {', '.join(endpoints)}.",
                            code="invalid_value", param="endpoint", headers=h)
    window = body["completion_window"]
    if window not in dialect.windows:
        return openai_error(400, f"Invalid value for 'completion_window': one of {', '.join(dialect.windows)}.",
                            code="invalid_value", param="completion_window", headers=h)
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict) or len(metadata) > 16 or any(
            not isinstance(k, str) or not isinstance(v, str) or len(k) > 64 or len(v) > 512 for k, v in metadata.items()
        ):
            return openai_error(400, "Invalid 'metadata': at most 16 string pairs, keys up to 64 and values up to "
                                     "512 characters.",
                                code="invalid_value", param="metadata", headers=h)
    oea = body.get("output_expires_after")
    oea_seconds = None
    if oea is not None:
        if not isinstance(oea, dict) or oea.get("anchor") != "created_at" or not isinstance(oea.get("seconds"), int) \
                or not 3600 <= oea["seconds"] <= 2_592_000:
            return openai_error(400, "Invalid 'output_expires_after'.", code="invalid_value",
                                param="output_expires_after", headers=h)
        oea_seconds = float(oea["seconds"])
    try:
        knobs = faults.for_create(request.headers, metadata)
    except faults.FaultSpecError as exc:
        return openai_error(400, str(exc), code="invalid_value", param="metadata", headers=h)
    fid = body["input_file_id"]
    f = emu.state.files.get(fid)
    now = emu.now()
    if f is None or f.batch_id is not None or not file_exists(emu, f, now):
        return openai_error(404, f"No such File object: {fid}", param="input_file_id", headers=h)
    if f.purpose != "batch":
        return openai_error(400, f"File {fid} has purpose {f.purpose!r}; batch input files need purpose 'batch'.",
                            param="input_file_id", headers=h)
    items = await asyncio.to_thread(parse_openai, f.data or b"", endpoint) if len(f.data or b"") > 1_000_000 \
        else parse_openai(f.data or b"", endpoint)
    batch = emu.add_batch(dialect, items, now, knobs, endpoint=endpoint, input_file_id=fid, completion_window=window,
                          metadata=metadata, output_expires_after=oea_seconds)
    return jresp(batch_object(batch, now), headers=h)


def _lookup_batch(request: Request) -> Batch | None:
    """The OpenAI batch named in the path (None for an unknown id or another provider's)."""
    b = emulator(request).state.batches.get(request.path_params["batch_id"])
    return b if b is not None and b.provider == dialect_of(request).name else None


async def retrieve_batch(request: Request) -> Response:
    emu, bid, b = emulator(request), request.path_params["batch_id"], _lookup_batch(request)
    if (bad := await gate(emu, request, dialect_of(request), b.http_faults(emu.faults) if b else None)) is not None:
        return bad
    if b is None:
        return _no_batch(bid, reply_headers(request))
    return jresp(batch_object(b, emu.now()), headers=reply_headers(request))


async def cancel_batch(request: Request) -> Response:
    emu, bid, b = emulator(request), request.path_params["batch_id"], _lookup_batch(request)
    if (bad := await gate(emu, request, dialect_of(request), b.http_faults(emu.faults) if b else None)) is not None:
        return bad
    h = reply_headers(request)
    if b is None:
        return _no_batch(bid, h)
    now = emu.now()
    status = b.view(now).status
    if status == "cancelling":
        return jresp(batch_object(b, now), headers=h)
    if status not in ("validating", "in_progress", "finalizing"):
        return openai_error(400, f"Cannot cancel a batch with status '{status}'.", code="batch_not_cancellable",
                            headers=h)
    b.cancel_at = now
    return jresp(batch_object(b, now), headers=h)


@gated_list()
async def list_batches(request: Request, emu: Emulator) -> Response:
    h = reply_headers(request)
    q = request.query_params
    dialect = dialect_of(request)
    if not dialect.paged_list:  # one page of everything, no cursors (Groq)
        now = emu.now()
        return jresp({"object": "list", "data": [batch_object(b, now) for b in emu.state.listing(dialect.name)]},
                     headers=h)
    try:
        limit = int_param(q.get("limit"), 20)
    except ValueError:
        return openai_error(400, "Invalid value for 'limit'.", param="limit", headers=h)
    if not 1 <= limit <= 100:
        return openai_error(400, "Invalid 'limit': must be between 1 and 100.", code="invalid_value", param="limit",
                            headers=h)
    rows = emu.state.listing(dialect_of(request).name)
    after = q.get("after")
    if after:
        ids = [b.id for b in rows]
        rows = rows[ids.index(after) + 1 :] if after in ids else []
    page = rows[:limit]
    now = emu.now()
    data = [batch_object(b, now) for b in page]
    return jresp({"object": "list", "data": data, "first_id": page[0].id if page else None,
                  "last_id": page[-1].id if page else None, "has_more": len(rows) > len(page)}, headers=h)


def routes(dialect: Dialect = DIALECT, prefix: str = "/v1") -> list[Route]:
    return [
        Route(prefix + "/batches", bound(create_batch, dialect), methods=["POST"]),
        Route(prefix + "/batches", bound(list_batches, dialect), methods=["GET"]),
        Route(prefix + "/batches/{batch_id}", bound(retrieve_batch, dialect), methods=["GET"]),
        Route(prefix + "/batches/{batch_id}/cancel", bound(cancel_batch, dialect), methods=["POST"]),
    ]
