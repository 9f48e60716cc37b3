"""OpenAI realtime routes: chat completions, responses and embeddings, with `service_tier`.

A call gets the same checks as a batch line and an answer built by the same body builders
as a batch result. `flex` is slower and a share of its calls get 429 `resource_unavailable`;
`priority` (or `fast`) is fastest and reported as `priority`.
"""

from __future__ import annotations

import asyncio
import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import rand, results
from .content import embedding_dims, embedding_inputs, max_output_tokens, openai_cached_tokens, prompt_tokens
from .core import Emulator, gated, openai_error, raw_json, reply_headers
from .inputs import bad_call

_TIERS = {None: "default", "auto": "default", "default": "default", "flex": "flex", "scale": "scale",
          "priority": "priority", "fast": "priority"}
TIER_LATENCY_FACTOR = {"priority": 0.5, "default": 1.0, "scale": 1.0, "flex": 4.0}


@gated("openai")
async def realtime(request: Request, emu: Emulator) -> Response:
    h = reply_headers(request)
    endpoint = request.url.path
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return openai_error(400, "We could not parse the JSON body of your request.", headers=h)
    if not isinstance(body, dict):
        return openai_error(400, "The request body must be a JSON object.", headers=h)
    problem = bad_call(body, endpoint)  # the same per-request checks as batch lines
    if problem is not None:
        code, message, param = problem
        return openai_error(400, message, code=code if code != "invalid_request_error" else None, param=param,
                            headers=h)
    requested = body.get("service_tier")
    if requested not in _TIERS:
        return openai_error(400, f"Invalid value for 'service_tier': {requested!r}.", code="invalid_value",
                            param="service_tier", headers=h)
    tier = _TIERS[requested]
    f = emu.faults
    if tier == "flex":
        emu.flex_calls += 1
        if rand.unit(rand.mix(emu.seed, "flex", emu.flex_calls), 0) < f.flex_unavailable_rate:
            wait = f.retry_after
            return openai_error(429, "Resource unavailable: flex processing capacity is temporarily exhausted. "
                                "Please retry later or use the default service tier.", "resource_unavailable",
                                "resource_unavailable", headers={**h, "retry-after": str(int(max(1, wait))),
                                                                 "retry-after-ms": str(int(wait * 1000))})
    delay = f.realtime_latency_ms * TIER_LATENCY_FACTOR.get(tier, 1.0)
    if delay > 0:
        await asyncio.sleep(delay / 1000.0)
    hh = rand.h128(emu.rt_key, raw.decode("utf-8", "replace"))
    hx = f"{hh:032x}"
    model_js = json.dumps(body.get("model"))
    in_tokens, _ = prompt_tokens(body, endpoint)
    created = int(emu.now())
    if endpoint.endswith("/embeddings"):
        text = results.embeddings_body(hh, model_js, in_tokens, embedding_inputs(body), embedding_dims(body),
                                       body.get("encoding_format") == "base64")
    elif endpoint.endswith("/responses"):
        text = results.responses_body(hx, hh, model_js, created, in_tokens, openai_cached_tokens(hh, in_tokens),
                                      max_output_tokens(body), tier)
    else:
        text = results.chat_body(hx, hh, model_js, created, in_tokens, openai_cached_tokens(hh, in_tokens),
                                 max_output_tokens(body), tier)
    return raw_json(text, headers=h)


def routes() -> list[Route]:
    return [
        Route("/v1/chat/completions", realtime, methods=["POST"]),
        Route("/v1/responses", realtime, methods=["POST"]),
        Route("/v1/embeddings", realtime, methods=["POST"]),
    ]
