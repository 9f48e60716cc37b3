"""Request-line formats a JSONL file may use, and the mappings between OpenAI and Anthropic.

Accepted line shapes (for either provider):
  `{"custom_id", "body"}`                       the provider's own body
  `{"custom_id", "method", "url", "body"}`      OpenAI's batch line format
  `{"custom_id", "params"}`                     Anthropic's batch request format

A body in the other provider's shape is converted where a faithful mapping exists (text chat
only: system prompt, user/assistant turns, max_tokens, temperature, top_p, stop). Anything
else is reported as a bad line rather than silently dropped.
"""

from __future__ import annotations

from typing import Any


class MappingError(ValueError):
    """This line's body cannot be expressed for the target provider."""


_IGNORED_OPENAI = {"user", "store", "seed", "metadata", "service_tier", "logprobs", "n"}
_MAPPED_OPENAI = {"model", "messages", "max_tokens", "max_completion_tokens", "temperature",
                  "top_p", "stop"}

DEFAULT_ANTHROPIC_MAX_TOKENS = 1024
"""Anthropic requires max_tokens; OpenAI chat bodies often omit it."""


def _text_of(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") in ("text", "input_text", "output_text"):
                texts.append(str(part.get("text", "")))
            else:
                return None
        return "".join(texts)
    return None


def openai_chat_to_anthropic(body: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI chat.completions body as Anthropic Messages params (text only)."""
    unknown = sorted(k for k in body if k not in _MAPPED_OPENAI and k not in _IGNORED_OPENAI)
    if unknown:
        raise MappingError(f"cannot map OpenAI parameter {unknown[0]!r} to Anthropic")
    if body.get("n") not in (None, 1):
        raise MappingError("n > 1 has no Anthropic equivalent")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise MappingError("messages must be a non-empty list")
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for m in messages:
        if not isinstance(m, dict):
            raise MappingError("every message must be an object")
        role = m.get("role")
        text = _text_of(m.get("content"))
        if text is None:
            raise MappingError(f"{role or 'a'} message content is not plain text")
        if role in ("system", "developer"):
            system.append(text)
        elif role in ("user", "assistant"):
            turns.append({"role": role, "content": text})
        else:
            raise MappingError(f"message role {role!r} has no Anthropic equivalent")
    if not turns:
        raise MappingError("no user message to send")
    params: dict[str, Any] = {
        "model": body.get("model"),
        "max_tokens": body.get("max_completion_tokens") or body.get("max_tokens") or DEFAULT_ANTHROPIC_MAX_TOKENS,
        "messages": turns,
    }
    if system:
        params["system"] = "\n\n".join(system)
    for key in ("temperature", "top_p"):
        if key in body:
            params[key] = body[key]
    if "stop" in body and body["stop"] is not None:
        stop = body["stop"]
        params["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    return params


_MAPPED_ANTHROPIC = {"model", "messages", "max_tokens", "system", "temperature", "top_p",
                     "stop_sequences", "metadata"}


def anthropic_to_openai_chat(params: dict[str, Any]) -> dict[str, Any]:
    """Anthropic Messages params as an OpenAI chat.completions body (text only)."""
    unknown = sorted(k for k in params if k not in _MAPPED_ANTHROPIC)
    if unknown:
        raise MappingError(f"cannot map Anthropic parameter {unknown[0]!r} to OpenAI")
    messages: list[dict[str, Any]] = []
    system = params.get("system")
    if system is not None:
        text = _text_of(system)
        if text is None:
            raise MappingError("system prompt is not plain text")
        messages.append({"role": "system", "content": text})
    turns = params.get("messages")
    if not isinstance(turns, list) or not turns:
        raise MappingError("messages must be a non-empty list")
    for m in turns:
        text = _text_of(m.get("content")) if isinstance(m, dict) else None
        if text is None:
            raise MappingError("message content is not plain text")
        messages.append({"role": m.get("role"), "content": text})
    body: dict[str, Any] = {"model": params.get("model"), "messages": messages}
    if "max_tokens" in params:
        body["max_completion_tokens"] = params["max_tokens"]
    for key in ("temperature", "top_p"):
        if key in params:
            body[key] = params[key]
    if params.get("stop_sequences"):
        body["stop"] = list(params["stop_sequences"])
    return body
