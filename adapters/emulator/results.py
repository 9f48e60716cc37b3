"""Response bodies and results-file lines, built with string formatting (the hot path).

A 100k-line results file is produced as a stream of ~1,000-line chunks, once: `spool` writes
it to disk and serves those bytes afterwards. Everything variable
that could need JSON escaping (custom_id, model) is escaped once (`json.dumps`) and reused;
generated text comes from the escape-free bank in `content`. The same body builders serve the
realtime endpoints, so a promoted request looks exactly like its batch result.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from . import content
from .plan import ERR_INVALID, ERR_RETRY, OK
from .state import Batch, View

CHUNK_LINES = 1000

# (http status, error type, code, message) per retryable / permanent kind, OpenAI flavour.
_OPENAI_RETRYABLE = (
    (429, "requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again in 20ms."),
    (500, "server_error", None, "The server had an error while processing your request. Sorry about that!"),
    (None, None, "request_timeout", "The request timed out."),
)
_OPENAI_PERMANENT = (
    (400, "invalid_request_error", "content_policy_violation",
     "Your request was rejected as a result of our safety system."),
    (400, "invalid_request_error", "context_length_exceeded",
     "This model's maximum context length was exceeded. Please reduce the length of the messages."),
)
# (error type, message), Anthropic flavour.
_ANTHROPIC_RETRYABLE = (
    ("overloaded_error", "Overloaded"),
    ("api_error", "Internal server error"),
    ("timeout_error", "Request timed out"),
    ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
)
_ANTHROPIC_PERMANENT = (
    ("invalid_request_error", "prompt is too long: the prompt exceeds the maximum context length of this model"),
    ("invalid_request_error", "Output blocked by content filtering policy"),
)


def _js(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


# --- OpenAI bodies ---------------------------------------------------------------------------


def chat_body(hx: str, h: int, model_js: str, created: int, in_tokens: int, cached: int,
              max_tokens: int | None, tier: str) -> str:
    text, out, cut = content.answer(h, max_tokens)
    return (
        f'{{"id":"chatcmpl-{hx[:24]}","object":"chat.completion","created":{created},"model":{model_js},'
        f'"choices":[{{"index":0,"message":{{"role":"assistant","content":"{text}","refusal":null,"annotations":[]}},'
        f'"logprobs":null,"finish_reason":"{"length" if cut else "stop"}"}}],'
        f'"usage":{{"prompt_tokens":{in_tokens},"completion_tokens":{out},"total_tokens":{in_tokens + out},'
        f'"prompt_tokens_details":{{"cached_tokens":{cached},"audio_tokens":0}},'
        f'"completion_tokens_details":{{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}},'
        f'"service_tier":"{tier}","system_fingerprint":"fp_emulator"}}'
    )


def responses_body(hx: str, h: int, model_js: str, created: int, in_tokens: int, cached: int,
                   max_tokens: int | None, tier: str) -> str:
    text, out, cut = content.answer(h, max_tokens)
    status = "incomplete" if cut else "completed"
    incomplete = '{"reason":"max_output_tokens"}' if cut else "null"
    mot = "null" if max_tokens is None else str(max_tokens)
    return (
        f'{{"id":"resp_{hx}","object":"response","created_at":{created},"completed_at":{created},'
        f'"status":"{status}","error":null,"incomplete_details":{incomplete},"instructions":null,'
        f'"max_output_tokens":{mot},"model":{model_js},'
        f'"output":[{{"type":"message","id":"msg_{hx[:24]}","status":"{status}","role":"assistant",'
        f'"content":[{{"type":"output_text","text":"{text}","annotations":[],"logprobs":[]}}]}}],'
        f'"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{{"effort":null,"summary":null}},'
        f'"service_tier":"{tier}","store":false,"temperature":1.0,"text":{{"format":{{"type":"text"}}}},'
        f'"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled",'
        f'"usage":{{"input_tokens":{in_tokens},"input_tokens_details":{{"cached_tokens":{cached},"cache_write_tokens":0}},'
        f'"output_tokens":{out},"output_tokens_details":{{"reasoning_tokens":0}},"total_tokens":{in_tokens + out}}},'
        f'"user":null,"metadata":{{}}}}'
    )


def embeddings_body(h: int, model_js: str, in_tokens: int, n_inputs: int, dims: int, b64: bool) -> str:
    data = ",".join(
        f'{{"object":"embedding","index":{j},"embedding":{content.embedding_literal(h, j, dims, b64)}}}'
        for j in range(n_inputs)
    )
    return (
        f'{{"object":"list","data":[{data}],"model":{model_js},'
        f'"usage":{{"prompt_tokens":{in_tokens},"total_tokens":{in_tokens}}}}}'
    )


def openai_error_body(status_type: str | None, code: str | None, message: str, param: str | None = None) -> str:
    return _js({"error": {"message": message, "type": status_type, "param": param, "code": code}})


# --- Anthropic bodies ------------------------------------------------------------------------


def message_body(h: int, b62id: str, model_js: str, in_tokens: int, uses_cache: bool,
                 max_tokens: int | None, tier: str) -> str:
    text, out, cut = content.answer(h, max_tokens)
    inp, read, write = content.anthropic_cache_split(h, in_tokens, uses_cache)
    return (
        f'{{"id":"msg_01{b62id}","type":"message","role":"assistant","model":{model_js},'
        f'"content":[{{"type":"text","text":"{text}"}}],'
        f'"stop_reason":"{"max_tokens" if cut else "end_turn"}","stop_sequence":null,'
        f'"usage":{{"input_tokens":{inp},"cache_creation_input_tokens":{write},"cache_read_input_tokens":{read},'
        f'"cache_creation":{{"ephemeral_5m_input_tokens":{write},"ephemeral_1h_input_tokens":0}},'
        f'"output_tokens":{out},"service_tier":"{tier}"}}}}'
    )


def anthropic_error_body(kind: str, message: str, request_id: str) -> str:
    return _js({"type": "error", "error": {"type": kind, "message": message}, "request_id": request_id})


# --- results files ---------------------------------------------------------------------------


def _chunks(lines: Iterator[str]) -> Iterator[bytes]:
    buf: list[str] = []
    for line in lines:
        buf.append(line)
        if len(buf) >= CHUNK_LINES:
            yield "".join(buf).encode()
            buf = []
    if buf:
        yield "".join(buf).encode()


def _unrun(batch: Batch, view: View) -> list[int]:
    plan = batch.plan()
    done = bytearray(len(batch.items))
    for i in plan.order[: view.done]:
        done[i] = 1
    return [i for i in range(len(done)) if not done[i]]


def openai_file(batch: Batch, view: View, kind: str) -> Iterator[bytes]:
    """The output ("output") or error ("error") file of a terminal OpenAI batch, chunked."""
    return _chunks(_openai_lines(batch, view, kind))


def _openai_lines(batch: Batch, view: View, kind: str) -> Iterator[str]:
    plan = batch.plan()
    items = batch.items
    endpoint = batch.endpoint or "/v1/chat/completions"
    model_js = _js(items.model or "unknown-model")
    cids = items.cid_json
    want_ok = kind == "output"
    outcome = plan.outcome
    fsorted = plan.fsorted
    for k, i in enumerate(plan.order[: view.done]):
        oc = outcome[i]
        if (oc == OK) != want_ok:
            continue
        h = plan.hashes[i]
        hx = f"{h:032x}"
        head = f'{{"id":"batch_req_{hx[:24]}","custom_id":{cids[i]},"response":'
        if oc == OK:
            created = int(fsorted[k])
            if endpoint == "/v1/embeddings":
                body = embeddings_body(h, model_js, items.in_tokens[i], items.emb_inputs[i], items.emb_dims[i],
                                       items.emb_b64[i])
            elif endpoint == "/v1/responses":
                body = responses_body(hx, h, model_js, created, items.in_tokens[i], plan.cached[i],
                                      items.max_tokens[i], "default")
            else:
                body = chat_body(hx, h, model_js, created, items.in_tokens[i], plan.cached[i], items.max_tokens[i],
                                 "default")
            yield f'{head}{{"status_code":200,"request_id":"req_{hx[8:32]}","body":{body}}},"error":null}}\n'
            continue
        if oc == ERR_INVALID:
            code, message, param = items.invalid[i]
            status, etype = 400, "invalid_request_error"
        else:
            table = _OPENAI_RETRYABLE if oc == ERR_RETRY else _OPENAI_PERMANENT
            status, etype, code, message = table[(h >> 80) % len(table)]
            param = None
        if status is None:  # the non-HTTP shape: response null, error {code, message}
            yield f'{head}null,"error":{_js({"code": code, "message": message})}}}\n'
        else:  # the HTTP shape: error null, the error inside response.body
            body = openai_error_body(etype, code, message, param)
            yield f'{head}{{"status_code":{status},"request_id":"req_{hx[8:32]}","body":{body}}},"error":null}}\n'
    if not want_ok and view.unrun_kind:
        if view.unrun_kind == "expired":
            err = ('{"code":"batch_expired","message":'
                   '"This request could not be executed before the completion window expired."}')
        else:
            err = ('{"code":"batch_cancelled","message":'
                   '"This request was not executed because the batch was cancelled."}')
        for i in _unrun(batch, view):
            hx = f"{plan.hashes[i]:032x}"
            yield f'{{"id":"batch_req_{hx[:24]}","custom_id":{cids[i]},"response":null,"error":{err}}}\n'


def anthropic_results(batch: Batch, view: View) -> Iterator[bytes]:
    """The results JSONL of an ended Anthropic batch, chunked."""
    return _chunks(_anthropic_lines(batch, view))


def _anthropic_lines(batch: Batch, view: View) -> Iterator[str]:
    plan = batch.plan()
    items = batch.items
    cids = items.cid_json
    models_js: dict[str, str] = {}
    for i in plan.order[: view.done]:
        oc = plan.outcome[i]
        h = plan.hashes[i]
        if oc == OK:
            model = items.models[i]
            mjs = models_js.get(model)
            if mjs is None:
                mjs = models_js[model] = _js(model)
            msg = message_body(h, _b62ish(h), mjs, items.in_tokens[i], items.uses_cache[i], items.max_tokens[i],
                               "batch")
            yield f'{{"custom_id":{cids[i]},"result":{{"type":"succeeded","message":{msg}}}}}\n'
            continue
        if oc == ERR_INVALID:
            kind, message = "invalid_request_error", items.invalid[i][1]
        else:
            table = _ANTHROPIC_RETRYABLE if oc == ERR_RETRY else _ANTHROPIC_PERMANENT
            kind, message = table[(h >> 80) % len(table)]
        err = anthropic_error_body(kind, message, f"req_01{_b62ish(h >> 3)}")
        yield f'{{"custom_id":{cids[i]},"result":{{"type":"errored","error":{err}}}}}\n'
    if view.unrun_kind:
        tail = '{"type":"expired"}' if view.unrun_kind == "expired" else '{"type":"canceled"}'
        for i in _unrun(batch, view):
            yield f'{{"custom_id":{cids[i]},"result":{tail}}}\n'


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _b62ish(h: int) -> str:
    """22 base-62 characters from a hash (cheap enough for the hot path)."""
    out = []
    for _ in range(22):
        h, r = divmod(h, 62)
        out.append(_B62[r])
    return "".join(out)
