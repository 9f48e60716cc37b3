"""Admin endpoints under /_emulator/ (no API key needed): clock, faults, state, reset, finalize."""

from __future__ import annotations

import json
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .core import emulator, jresp
from .faults import Faults, FaultSpecError, coerce
from .providers import emulated


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def _bad(message: str) -> Response:
    return jresp({"error": {"message": message, "type": "invalid_request_error"}}, 400)


async def state(request: Request) -> Response:
    emu = emulator(request)
    now = emu.now()
    batches = []
    for b in emu.state.batches.values():
        v = b.view(now)
        p = b.plan()
        batches.append({
            "id": b.id, "provider": b.provider, "status": v.status, "deleted": b.deleted,
            "created_at": b.created_at, "requests": len(b.items), "done": v.done,
            "succeeded": p.cum_ok[v.done], "errored": p.cum_err[v.done],
            "unrun_kind": v.unrun_kind, "terminal_at": v.terminal_at, "timestamps": v.at,
            "cancel_at": b.cancel_at, "downloads": b.downloads, "fault_overrides": b.overrides,
        })
    files = [{"id": f.id, "purpose": f.purpose, "batch_id": f.batch_id, "kind": f.kind, "deleted": f.deleted}
             for f in emu.state.files.values() if f.batch_id is None]
    spool_dir = emu.spool.path
    return jresp({"now": now, "speed": emu.clock.speed, "seed": emu.seed, "calls": emu.calls,
                  "faults": emu.faults.as_dict(), "batches": batches, "files": files,
                  "spool_dir": str(spool_dir) if spool_dir is not None else None})


async def clock(request: Request) -> Response:
    """Body: {"advance": seconds} | {"set": epoch_seconds} | {"speed": factor} (any mix)."""
    emu = emulator(request)
    try:
        body = await _body(request)
        if "speed" in body:
            emu.clock.set_speed(float(body["speed"]))
        if body.get("set") is not None:
            emu.clock.set(float(body["set"]))
        if body.get("advance") is not None:
            emu.clock.advance(float(body["advance"]))
    except (ValueError, TypeError) as exc:
        return _bad(str(exc))
    return jresp({"now": emu.now(), "speed": emu.clock.speed})


async def faults(request: Request) -> Response:
    """GET: the server-wide knobs. POST: merge knobs ({"reset": true} first restores defaults)."""
    emu = emulator(request)
    if request.method == "POST":
        try:
            body = await _body(request)
            reset = bool(body.pop("reset", False))
            knobs = coerce(body)
        except (ValueError, FaultSpecError) as exc:
            return _bad(str(exc))
        emu.faults = (Faults() if reset else emu.faults).with_(knobs)
    return jresp(emu.faults.as_dict())


async def batch_faults(request: Request) -> Response:
    """GET: a batch's effective knobs. POST: override knobs for that batch (outcomes re-planned)."""
    emu = emulator(request)
    b = emu.state.batches.get(request.path_params["batch_id"])
    if b is None:
        return jresp({"error": {"message": "no such batch", "type": "not_found_error"}}, 404)
    if request.method == "POST":
        try:
            knobs = coerce(await _body(request))
        except (ValueError, FaultSpecError) as exc:
            return _bad(str(exc))
        b.set_overrides(knobs)
    return jresp({"overrides": b.overrides, "effective": b.faults.as_dict()})


async def reset(request: Request) -> Response:
    """Forget every batch and file (clock, seed and server faults stay)."""
    emulator(request).reset()
    return jresp({"reset": True})


async def finalize(request: Request) -> Response:
    """Write the results file of every batch that has ended at the current clock, as a provider
    does while finalizing, so that downloads only stream bytes: {"files", "bytes"} of all such
    files (already written ones included) and how many were "generated" by this call."""
    emu = emulator(request)
    now = emu.now()
    targets = [t for p in emulated() for t in p.finalizable(emu, now)]
    return jresp(await anyio.to_thread.run_sync(emu.spool.finalize, targets))


def routes() -> list[Route]:
    return [
        Route("/_emulator/state", state, methods=["GET"]),
        Route("/_emulator/clock", clock, methods=["GET", "POST"]),
        Route("/_emulator/faults", faults, methods=["GET", "POST"]),
        Route("/_emulator/batches/{batch_id}/faults", batch_faults, methods=["GET", "POST"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/finalize", finalize, methods=["POST"]),
    ]
