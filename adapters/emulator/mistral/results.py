"""Mistral result files: the output file and the error file of a terminal batch job.

A line is `{"id", "custom_id", "response": {"status_code", "body"}, "error"}` (reference §5).
The quirk an ops console must survive: failures sit in the **output** file as well as in the
error file. Here a permanent failure (HTTP 400, the bad request's own fault) is written to the
output file with `response.status_code: 400` and `error: null`; a retryable one (429/500) goes
to the error file with both `response` and `error` set. Each custom_id appears once across the
two files. Requests that never ran (timeout, cancel) appear in neither (UNCONFIRMED, see
`MISTRAL_LIST_UNRUN`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..plan import ERR_INVALID, ERR_RETRY, OK
from ..results import _chunks, chat_body
from ..state import Batch, View

MISTRAL_LIST_UNRUN = False
"""Whether requests that never ran are listed in the error file (UNCONFIRMED; default: absent)."""

_RETRYABLE = (
    (429, "Requests rate limit exceeded", "1300"),
    (500, "Internal server error", "3000"),
)
_PERMANENT = (
    (400, "Prompt contains 40000 tokens, too large for model with 32768 maximum context length", "3051"),
    (400, "Invalid model: the requested model does not support this endpoint", "1500"),
)


def _js(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def in_output_file(outcome: int) -> bool:
    """Successes and permanent (400) failures go to the output file; retryable ones to the error file."""
    return outcome != ERR_RETRY


def output_file(batch: Batch, view: View) -> Iterator[bytes]:
    return _chunks(_lines(batch, view, want_output=True))


def error_file(batch: Batch, view: View) -> Iterator[bytes]:
    return _chunks(_lines(batch, view, want_output=False))


def counts(batch: Batch, view: View) -> tuple[int, int]:
    """(lines in the output file, lines in the error file) at a terminal `view`."""
    plan = batch.plan()
    out = sum(1 for i in plan.order[: view.done] if in_output_file(plan.outcome[i]))
    return out, view.done - out


def _lines(batch: Batch, view: View, want_output: bool) -> Iterator[str]:
    plan = batch.plan()
    items = batch.items
    cids = items.cid_json
    model_js = _js(items.model or "mistral-small-latest")
    for k, i in enumerate(plan.order[: view.done]):
        oc = plan.outcome[i]
        if in_output_file(oc) != want_output:
            continue
        h = plan.hashes[i]
        hx = f"{h:032x}"
        head = f'{{"id":"batch-{hx[:8]}-{hx[8:16]}","custom_id":{cids[i]},"response":'
        if oc == OK:
            body = chat_body(hx, h, model_js, int(plan.fsorted[k]), items.in_tokens[i], 0, items.max_tokens[i],
                             "standard")
            yield f'{head}{{"status_code":200,"body":{body}}},"error":null}}\n'
            continue
        if oc == ERR_INVALID:
            status, message, code = 400, items.invalid[i][1], "3001"
        else:
            table = _RETRYABLE if oc == ERR_RETRY else _PERMANENT
            status, message, code = table[(h >> 80) % len(table)]
        kind = "invalid_request_error" if status == 400 else "api_error"
        body = _js({"object": "error", "message": message, "type": kind, "param": None, "code": code})
        error = "null" if want_output else _js({"message": message, "code": code})
        yield f'{head}{{"status_code":{status},"body":{body}}},"error":{error}}}\n'
    if not want_output and MISTRAL_LIST_UNRUN and view.unrun_kind:
        finished = set(plan.order[: view.done])
        err = _js({"message": f"Request {view.unrun_kind} before it ran.", "code": view.unrun_kind})
        for i in range(len(items)):
            if i not in finished:
                yield f'{{"id":null,"custom_id":{cids[i]},"response":null,"error":{err}}}\n'
