"""OpenAI's Batch and FileObject bodies as they stand at an emulated moment.

Objects carry exactly the fields of reference §2.3 (Batch) and §2.8 (FileObject), Unix-second
timestamps, `request_counts` that grow while `in_progress`, `finalizing`, `expired` with
partial output, and an all-failed batch that ends `completed` with `output_file_id: null`.
A batch's output and error files are virtual: each exists once its batch reports its id.
"""

from __future__ import annotations

from typing import Any

from . import spool
from .core import Emulator, unix
from .state import FILE_RETENTION, OPENAI_COUNT_UNRUN_AS_FAILED, Batch, FileRec, View


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


def describe_file(emu: Emulator, f: FileRec, now: float) -> tuple[dict[str, Any], tuple[Batch, View] | None] | None:
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
            "purpose": "batch_output", "status": "processed", "expires_at": unix(expires),
            "status_details": None}, found


def file_exists(emu: Emulator, f: FileRec, now: float) -> bool:
    return describe_file(emu, f, now) is not None


async def file_object(emu: Emulator, f: FileRec, now: float) -> dict[str, Any] | None:
    """The FileObject of `f` at `now`, or None if it does not exist. A batch output file's
    `bytes` is the size of its spooled file, which this writes if it is not yet."""
    described = describe_file(emu, f, now)
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
        described = describe_file(emu, f, now) if f.batch_id is not None else None
        if described is not None and described[1] is not None:
            b, v = described[1]
            out.append((b, v, f.kind or "output"))
    return out
