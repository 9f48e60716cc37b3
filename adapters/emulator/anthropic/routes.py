"""Anthropic wire protocol: Message Batches and realtime Messages (no /v1 in the base URL).

MessageBatch objects carry exactly the fields of reference §3.3: RFC 3339 datetimes with
microseconds and `Z`, `processing_status` in_progress/canceling/ended, counts that stay 0
(except `processing`) until the batch ends, `cancel_initiated_at`, and an absolute
`results_url` on the host and port the client called. `?beta=true` is accepted everywhere
(and echoed on `results_url`, as the API did for the old beta SDK).
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
from ..core import Emulator, break_after, emulator, gate, gated, gated_list, jresp, raw_json, reply_headers, rfc3339
from ..inputs import MESSAGES, InputError, bad_call, parse_anthropic
from ..state import ANTHROPIC_RETENTION, Batch
from .dialect import DIALECT, anthropic_error

RESULTS_MEDIA_TYPE = "application/x-jsonl"
TIER_LATENCY_FACTOR = {"priority": 0.5, "standard": 1.0}


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def batch_object(b: Batch, now: float, origin: str, beta: bool = False) -> dict[str, Any]:
    v = b.view(now)
    p = b.plan()
    n = len(b.items)
    ended = v.status == "ended"
    counts = {"processing": n, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
    if ended:
        unrun = n - v.done
        counts = {
            "processing": 0,
            "succeeded": p.cum_ok[v.done],
            "errored": p.cum_err[v.done],
            "canceled": unrun if v.unrun_kind == "canceled" else 0,
            "expired": unrun if v.unrun_kind == "expired" else 0,
        }
    archived = b.created_at + ANTHROPIC_RETENTION
    url = None
    if ended:
        url = f"{origin}/v1/messages/batches/{b.id}/results" + ("?beta=true" if beta else "")
    return {
        "id": b.id,
        "type": "message_batch",
        "processing_status": v.status,
        "request_counts": counts,
        "ended_at": rfc3339(v.at.get("ended_at")),
        "created_at": rfc3339(b.created_at),
        "expires_at": rfc3339(b.expires_at),
        "archived_at": rfc3339(archived) if now >= archived else None,
        "cancel_initiated_at": rfc3339(v.at.get("cancel_initiated_at")),
        "results_url": url,
    }


def _beta(request: Request) -> bool:
    return request.query_params.get("beta") == "true"


def _lookup(request: Request) -> Batch | None:
    b = emulator(request).state.batches.get(request.path_params["batch_id"])
    if b is None or b.dialect is not DIALECT or b.deleted:
        return None
    return b


async def _batch_or_answer(request: Request) -> tuple[Any, Batch, Response | None]:
    """Every per-batch route: find the batch, apply its injected HTTP faults, else 404.

    The fault gate runs before the 404 so a throttled call is throttled whatever its id.
    """
    emu = emulator(request)
    b = _lookup(request)
    bad = await gate(emu, request, DIALECT, b.http_faults(emu.faults) if b else None)
    if bad is not None:
        return emu, b, bad
    if b is None:
        return emu, b, _not_found(request)
    return emu, b, None


def _not_found(request: Request) -> Response:
    return anthropic_error(404, "not_found_error",
                           f"No message batch found with id '{request.path_params['batch_id']}'.",
                           reply_headers(request))


@gated(DIALECT)
async def create_batch(request: Request, emu: Emulator) -> Response:
    h = reply_headers(request)
    raw = await request.body()
    try:
        knobs = faults.for_create(request.headers)
    except faults.FaultSpecError as exc:
        return anthropic_error(400, "invalid_request_error", str(exc), h)
    limits = emu.faults.with_(knobs)
    try:
        body = json.loads(raw) if len(raw) < 2_000_000 else await asyncio.to_thread(json.loads, raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return anthropic_error(400, "invalid_request_error", "The request body is not valid JSON.", h)
    if not isinstance(body, dict):
        return anthropic_error(400, "invalid_request_error", "The request body must be a JSON object.", h)
    try:
        items = parse_anthropic(body.get("requests"), limits.max_requests, limits.max_bytes, len(raw))
    except InputError as exc:
        return anthropic_error(exc.status, exc.kind, str(exc), h)
    now = emu.now()
    batch = emu.add_batch(DIALECT, items, now, knobs)
    return jresp(batch_object(batch, now, _origin(request), _beta(request)), headers=h)


async def retrieve_batch(request: Request) -> Response:
    emu, b, answer = await _batch_or_answer(request)
    if answer is not None:
        return answer
    return jresp(batch_object(b, emu.now(), _origin(request), _beta(request)), headers=reply_headers(request))


@gated_list(DIALECT)
async def list_batches(request: Request, emu: Emulator) -> Response:
    h = reply_headers(request)
    q = request.query_params
    try:
        limit = int(q.get("limit") or 20)
    except ValueError:
        return anthropic_error(400, "invalid_request_error", "limit: Input should be a valid integer", h)
    if not 1 <= limit <= 1000:
        return anthropic_error(400, "invalid_request_error", "limit: must be between 1 and 1000", h)
    rows = emu.state.listing(DIALECT.name)
    ids = [b.id for b in rows]
    before, after = q.get("before_id"), q.get("after_id")
    if before:
        older_than_cursor = rows[: ids.index(before)] if before in ids else []
        page = older_than_cursor[-limit:]
        has_more = len(older_than_cursor) > len(page)
    else:
        if after:
            rows = rows[ids.index(after) + 1 :] if after in ids else []
        page = rows[:limit]
        has_more = len(rows) > len(page)
    now = emu.now()
    origin, beta = _origin(request), _beta(request)
    return jresp({"data": [batch_object(b, now, origin, beta) for b in page], "has_more": has_more,
                  "first_id": page[0].id if page else None, "last_id": page[-1].id if page else None}, headers=h)


async def cancel_batch(request: Request) -> Response:
    emu, b, answer = await _batch_or_answer(request)
    if answer is not None:
        return answer
    h = reply_headers(request)
    now = emu.now()
    status = b.view(now).status
    if status == "ended":
        return anthropic_error(400, "invalid_request_error",
                               "Message batch has already ended and cannot be canceled.", h)
    if status == "in_progress":
        b.cancel_at = now
    return jresp(batch_object(b, now, _origin(request), _beta(request)), headers=h)


async def delete_batch(request: Request) -> Response:
    emu, b, answer = await _batch_or_answer(request)
    if answer is not None:
        return answer
    h = reply_headers(request)
    status = b.view(emu.now()).status
    if status != "ended":
        return anthropic_error(400, "invalid_request_error",
                               f"Message batch {b.id} is {status} and cannot be deleted until processing "
                               "has ended; cancel it first.",
                               h)
    b.deleted = True
    b.drop_files()
    return jresp({"id": b.id, "type": "message_batch_deleted"}, headers=h)


async def batch_results(request: Request) -> Response:
    emu, b, answer = await _batch_or_answer(request)
    if answer is not None:
        return answer
    h = reply_headers(request)
    now = emu.now()
    v = b.view(now)
    if v.status != "ended":
        return anthropic_error(400, "invalid_request_error",
                               f"Message batch {b.id} has not finished processing; results are not available yet.", h)
    if now >= b.created_at + ANTHROPIC_RETENTION:
        return anthropic_error(404, "not_found_error",
                               f"Results of message batch {b.id} are archived and no longer available.", h)
    b.downloads += 1
    entry, handle = await emu.spool.open(b, v, "results")
    f = b.faults
    if f.broken_download > 0 and (f.broken_download_times is None or b.downloads <= f.broken_download_times):
        # A plain 200 even to a Range request: this attempt must fail as before; the
        # client restarts the file, or resumes it once downloads stop breaking.
        chunks = break_after(spool.line_blocks(handle), len(b.items), f.broken_download)
        return StreamingResponse(chunks, media_type=RESULTS_MEDIA_TYPE, headers=h)
    try:
        rng = spool.byte_range(request.headers.get("range"), entry.size)
    except spool.Unsatisfiable:
        handle.close()
        return anthropic_error(416, "invalid_request_error",
                               f"Requested range not satisfiable: the results have {entry.size} bytes.",
                               {**h, "content-range": f"bytes */{entry.size}"})
    return spool.file_response(handle, entry.size, rng, RESULTS_MEDIA_TYPE, h)


def finalizable(emu: Emulator, now: float) -> list[spool.Target]:
    """Every batch whose results can be downloaded at `now`, to be spooled."""
    out: list[spool.Target] = []
    for b in emu.state.batches.values():
        if b.dialect is DIALECT and not b.deleted and now < b.created_at + ANTHROPIC_RETENTION:
            v = b.view(now)
            if v.status == "ended":
                out.append((b, v, "results"))
    return out


@gated(DIALECT)
async def messages(request: Request, emu: Emulator) -> Response:
    h = reply_headers(request)
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return anthropic_error(400, "invalid_request_error", "The request body is not valid JSON.", h)
    if not isinstance(body, dict):
        return anthropic_error(400, "invalid_request_error", "The request body must be a JSON object.", h)
    problem = bad_call({**body, "stream": None}, MESSAGES)
    if problem is not None:
        return anthropic_error(400, "invalid_request_error", f"{problem[2]}: {problem[1]}", h)
    if body.get("stream") is True:
        return anthropic_error(400, "invalid_request_error",
                               "stream: the emulator does not stream; send stream=false.", h)
    requested = body.get("service_tier")
    if requested not in (None, "auto", "standard_only"):
        return anthropic_error(400, "invalid_request_error", f"service_tier: unexpected value {requested!r}", h)
    tier = "standard"
    delay = emu.faults.realtime_latency_ms * TIER_LATENCY_FACTOR[tier]
    if delay > 0:
        await asyncio.sleep(delay / 1000.0)
    hh = rand.h128(emu.rt_key, raw.decode("utf-8", "replace"))
    in_tokens, uses_cache = prompt_tokens(body, MESSAGES)
    text = results.message_body(hh, rand.b62(hh, 22), json.dumps(body.get("model")), in_tokens, uses_cache,
                                max_output_tokens(body), tier)
    return raw_json(text, headers=h)


def routes() -> list[Route]:
    return [
        Route("/v1/messages/batches", create_batch, methods=["POST"]),
        Route("/v1/messages/batches", list_batches, methods=["GET"]),
        Route("/v1/messages/batches/{batch_id}", retrieve_batch, methods=["GET"]),
        Route("/v1/messages/batches/{batch_id}", delete_batch, methods=["DELETE"]),
        Route("/v1/messages/batches/{batch_id}/cancel", cancel_batch, methods=["POST"]),
        Route("/v1/messages/batches/{batch_id}/results", batch_results, methods=["GET"]),
        Route("/v1/messages", messages, methods=["POST"]),
    ]
