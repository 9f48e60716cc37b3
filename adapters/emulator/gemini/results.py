"""Gemini result bodies: GenerateContentResponse, per-line errors with gRPC codes, the
responses file (`files/batch-<id>`) and the inlined responses of an inline batch.

A responses-file line is `{"key": ..., "response": {GenerateContentResponse}}` or, for a
failed request, `{"key": ..., "error": {"code": <gRPC code>, "message", "status"}}` (the
google.rpc.Status shape, reference §4.4: the exact form is UNCONFIRMED). The code is a gRPC
canonical code, never an HTTP status.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .. import content
from ..plan import ERR_INVALID, ERR_RETRY, OK
from ..state import Batch, View

GEMINI_LIST_UNRUN = False
"""Whether an expired or cancelled Gemini batch's output lists the requests that never ran.
UNCONFIRMED (reference §4.5 leaves partial outputs open): by default they are simply absent,
and a reader derives their fate from the batch state."""

# (gRPC code, status name, message) per retryable / permanent kind.
_RETRYABLE = (
    (13, "INTERNAL", "An internal error has occurred."),
    (14, "UNAVAILABLE", "The model is overloaded. Please try again later."),
    (8, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    (4, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
)
_PERMANENT = (
    (3, "INVALID_ARGUMENT", "The input token count exceeds the maximum number of tokens allowed."),
    (3, "INVALID_ARGUMENT", "Request contains an invalid argument."),
)


def _js(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def response_body(h: int, model_version: str, in_tokens: int, max_tokens: int | None) -> str:
    """A GenerateContentResponse (REST camelCase). Zero counts are omitted, as proto3 JSON does."""
    text, out, cut = content.answer(h, max_tokens)
    cached = content.openai_cached_tokens(h, in_tokens)  # implicit caching: long prompts, about half the calls
    cached_js = f',"cachedContentTokenCount":{cached}' if cached else ""
    return (
        f'{{"candidates":[{{"content":{{"parts":[{{"text":"{text}"}}],"role":"model"}},'
        f'"finishReason":"{"MAX_TOKENS" if cut else "STOP"}","index":0}}],'
        f'"usageMetadata":{{"promptTokenCount":{in_tokens},"candidatesTokenCount":{out},'
        f'"totalTokenCount":{in_tokens + out}{cached_js},'
        f'"promptTokensDetails":[{{"modality":"TEXT","tokenCount":{in_tokens}}}]}},'
        f'"modelVersion":{_js(model_version)},"responseId":"{h:032x}"}}'
    )


def error_object(oc: int, h: int, invalid: tuple[str, str, str | None] | None) -> dict[str, Any]:
    if oc == ERR_INVALID and invalid is not None:
        return {"code": 3, "message": invalid[1], "status": "INVALID_ARGUMENT"}
    table = _RETRYABLE if oc == ERR_RETRY else _PERMANENT
    code, status, message = table[(h >> 80) % len(table)]
    return {"code": code, "message": message, "status": status}


def model_version(batch: Batch) -> str:
    return (batch.model or "models/unknown").removeprefix("models/")


def _entries(batch: Batch, view: View, in_request_order: bool) -> Iterator[tuple[int, str | None, str | None]]:
    """(index, response JSON, error JSON) of every item with a result at `view`."""
    plan = batch.plan()
    items = batch.items
    mv = model_version(batch)
    done = plan.order[: view.done]
    for i in (sorted(done) if in_request_order else done):
        h = plan.hashes[i]
        if plan.outcome[i] == OK:
            yield i, response_body(h, mv, items.in_tokens[i], items.max_tokens[i]), None
        else:
            yield i, None, _js(error_object(plan.outcome[i], h, items.invalid.get(i)))


def responses_file(batch: Batch, view: View) -> Iterator[bytes]:
    """The JSONL responses file of a terminal file-mode batch, in ~1,000-line chunks."""
    keys = batch.items.cid_json
    buf: list[str] = []
    for i, resp, err in _entries(batch, view, in_request_order=False):
        body = f'"response":{resp}' if resp is not None else f'"error":{err}'
        buf.append(f'{{"key":{keys[i]},{body}}}\n')
        if len(buf) >= 1000:
            yield "".join(buf).encode()
            buf = []
    if GEMINI_LIST_UNRUN and view.unrun_kind:
        err = _js({"code": 4 if view.unrun_kind == "expired" else 1, "message": f"Request {view.unrun_kind}.",
                   "status": "DEADLINE_EXCEEDED" if view.unrun_kind == "expired" else "CANCELLED"})
        finished = set(batch.plan().order[: view.done])
        buf.extend(f'{{"key":{keys[i]},"error":{err}}}\n' for i in range(len(batch.items)) if i not in finished)
    if buf:
        yield "".join(buf).encode()


def inlined_responses(batch: Batch, view: View) -> list[dict[str, Any]]:
    """`inlinedResponses` of an inline batch: one entry per finished request, in request order,
    each with its `metadata.key`."""
    keys = batch.items.custom_ids
    out: list[dict[str, Any]] = []
    for i, resp, err in _entries(batch, view, in_request_order=True):
        entry: dict[str, Any] = {"metadata": {"key": keys[i]}}
        if resp is not None:
            entry["response"] = json.loads(resp)
        else:
            entry["error"] = json.loads(err or "{}")
        out.append(entry)
    return out
