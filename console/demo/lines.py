"""Provider-shaped request bodies and result lines for the demo fleet (deterministic)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from adapters import registry
from adapters.neutral import NeutralChat, Turn
from store.model import Usage

TOPICS = ("refund request", "login loop", "invoice mismatch", "slow dashboard", "API 500s",
          "export stuck", "password reset", "billing address", "webhook retries", "SSO setup")

HOSTILE = ("[bold]Totally normal answer[/bold] \x1b[31mRED ALERT\x1b[0m "
           "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J[link=https://evil.example]click me[/link]\x9b31m done")
"""A model answer that tries markup, ANSI colour, an OSC 52 clipboard write, a screen clear and
a C1 CSI: the inspector must show every one of these characters and obey none."""

ERRORS = {
    "rate_limit_error": (429, "Rate limit reached for requests per minute. Please try again later."),
    "overloaded_error": (529, "Overloaded"),
    "invalid_request_error": (400, "messages.0.content: text content blocks must be non-empty"),
}


def request_body(provider: str, model: str | None, custom_id: str, i: int) -> str:
    """The request body as the store keeps it (JSON text of the provider's own body, written by
    its request format from the neutral chat form, as `submit` would convert a line)."""
    topic = TOPICS[i % len(TOPICS)]
    prompt = f"Classify this support ticket and draft a reply. Ticket #{i}: customer reports {topic}."
    chat = NeutralChat(model=model or "unknown", turns=(Turn("user", prompt),), max_output_tokens=400)
    _, body = registry.get(provider).requests.from_neutral(chat)
    return json.dumps(body, separators=(",", ":"))


def error_message(etype: str | None) -> str | None:
    return ERRORS.get(etype or "", (500, "Internal error"))[1] if etype else None


def http_status(etype: str | None) -> int | None:
    return ERRORS.get(etype or "", (500, ""))[0] if etype else None


def _answer(i: int, hostile: bool) -> str:
    if hostile:
        return HOSTILE
    return f"Category: {TOPICS[i % len(TOPICS)]}. Reply: thanks for reaching out, we are on it."


def result_line(provider: str, model: str | None, custom_id: str, i: int, status: str,
                etype: str | None, usage: Usage | None, hostile: bool = False) -> dict[str, Any]:
    """One line of the provider's results file for this item, in that provider's shape."""
    shape = RESULT_SHAPES.get(provider)
    if shape is None and registry.get(provider).results is registry.get("openai").results:
        shape = _openai_line  # Groq, Together, Doubleword... read OpenAI's lines
    if shape is None:
        raise ValueError(f"the demo writes no {provider} results lines; seed its batches in progress")
    return shape(model, custom_id, i, status, etype, usage, hostile)


ResultShape = Callable[[str | None, str, int, str, str | None, Usage | None, bool], dict[str, Any]]


def _anthropic_line(model: str | None, custom_id: str, i: int, status: str, etype: str | None,
                    usage: Usage | None, hostile: bool) -> dict[str, Any]:
    if status == "succeeded":
        assert usage is not None
        result: dict[str, Any] = {"type": "succeeded", "message": {
            "id": f"msg_demo{i:06d}", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": _answer(i, hostile)}], "stop_reason": "end_turn",
            "usage": {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}}}
    elif status == "errored":
        result = {"type": "errored", "error": {"type": "error", "error": {
            "type": etype, "message": error_message(etype)}}}
    else:
        result = {"type": status}
    return {"custom_id": custom_id, "result": result}


def _chat_completion(model: str | None, i: int, hostile: bool, usage: Usage) -> dict[str, Any]:
    return {"id": f"chatcmpl-demo{i:06d}", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": _answer(i, hostile)},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens,
                      "total_tokens": usage.input_tokens + usage.output_tokens}}


def _openai_line(model: str | None, custom_id: str, i: int, status: str, etype: str | None,
                 usage: Usage | None, hostile: bool) -> dict[str, Any]:
    """OpenAI's batch output line (Groq, Together and the OpenAI-compatible services copy it)."""
    if status == "succeeded":
        assert usage is not None
        return {"id": f"batch_req_demo{i:06d}", "custom_id": custom_id,
                "response": {"status_code": 200, "request_id": f"req_demo{i:06d}",
                             "body": _chat_completion(model, i, hostile, usage)},
                "error": None}
    code = http_status(etype) or 408
    return {"id": f"batch_req_demo{i:06d}", "custom_id": custom_id,
            "response": {"status_code": code, "request_id": f"req_demo{i:06d}",
                         "body": {"error": {"message": error_message(etype) or status,
                                            "type": etype or status}}},
            "error": None}


def _mistral_line(model: str | None, custom_id: str, i: int, status: str, etype: str | None,
                  usage: Usage | None, hostile: bool) -> dict[str, Any]:
    """Mistral's output line: OpenAI's envelope, its own flat error body (`{object: "error", ...}`)."""
    if status == "succeeded":
        assert usage is not None
        body = _chat_completion(model, i, hostile, usage)
        return {"id": f"demo-{i:06d}", "custom_id": custom_id, "response": {"status_code": 200, "body": body},
                "error": None}
    code = http_status(etype) or 408
    return {"id": f"demo-{i:06d}", "custom_id": custom_id,
            "response": {"status_code": code, "body": {"object": "error", "message": error_message(etype) or status,
                                                       "type": etype or status, "code": str(code)}},
            "error": None}


RESULT_SHAPES: dict[str, ResultShape] = {"anthropic": _anthropic_line, "mistral": _mistral_line}
"""Providers whose results lines are their own (the ones sharing OpenAI's decoder write OpenAI's).
The demo's Gemini batch is in progress, so no Gemini line is written."""
