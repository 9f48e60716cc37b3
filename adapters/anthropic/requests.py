"""Anthropic request lines (`{custom_id, params}`), body checks, and the neutral chat form."""

from __future__ import annotations

import re
from typing import Any

from adapters.neutral import MappingError, NeutralChat, Turn, number_or_none, stop_sequences, text_of

ENDPOINT = "/v1/messages"
_CUSTOM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAPPED = {"model", "messages", "max_tokens", "system", "temperature", "top_p", "stop_sequences", "metadata"}

DEFAULT_MAX_TOKENS = 1024
"""Anthropic requires max_tokens; a request converted from elsewhere often has none."""


class AnthropicRequests:
    """The Anthropic line format. Stateless; one shared instance (`FORMAT`)."""

    family = "anthropic"
    default_endpoint = ENDPOINT

    def read_line(self, obj: dict[str, Any]) -> tuple[str | None, Any] | None:
        if "params" in obj and "body" not in obj:
            return None, obj["params"]
        return None

    def claims_body(self, body: Any) -> bool:
        """A bare body that only makes sense as Messages params (top-level system or stops)."""
        return isinstance(body, dict) and ("system" in body or "stop_sequences" in body)

    def owns_url(self, url: str | None) -> bool:
        return url is None or url.rstrip("/") == ENDPOINT

    def converts_url(self, url: str | None) -> bool:
        return url is None or url.rstrip("/") == ENDPOINT

    def own(self, url: str | None, body: Any) -> tuple[str, Any]:
        return ENDPOINT, body

    def to_neutral(self, url: str | None, body: Any) -> NeutralChat:
        if not isinstance(body, dict):
            raise MappingError("params must be a JSON object")
        unknown = sorted(k for k in body if k not in _MAPPED)
        if unknown:
            raise MappingError(f"cannot map parameter {unknown[0]!r} to another provider")
        system = body.get("system")
        system_text = None
        if system is not None:
            system_text = text_of(system)
            if system_text is None:
                raise MappingError("system prompt is not plain text")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise MappingError("messages must be a non-empty list")
        turns: list[Turn] = []
        for m in messages:
            text = text_of(m.get("content")) if isinstance(m, dict) else None
            if text is None:
                raise MappingError("message content is not plain text")
            role = m.get("role")
            if role not in ("user", "assistant"):
                raise MappingError(f"message role {role!r} has no equivalent on other providers")
            turns.append(Turn(role, text))
        limit = body.get("max_tokens")
        return NeutralChat(
            model=body.get("model") if isinstance(body.get("model"), str) else None,
            turns=tuple(turns),
            system=system_text,
            max_output_tokens=limit if isinstance(limit, int) else None,
            temperature=number_or_none(body.get("temperature"), "temperature"),
            top_p=number_or_none(body.get("top_p"), "top_p"),
            stop=stop_sequences(body.get("stop_sequences")),
        )

    def from_neutral(self, chat: NeutralChat) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {
            "model": chat.model,
            "max_tokens": chat.max_output_tokens or DEFAULT_MAX_TOKENS,
            "messages": [{"role": t.role, "content": t.text} for t in chat.turns],
        }
        if chat.system is not None:
            params["system"] = chat.system
        if chat.temperature is not None:
            params["temperature"] = chat.temperature
        if chat.top_p is not None:
            params["top_p"] = chat.top_p
        if chat.stop:
            params["stop_sequences"] = list(chat.stop)
        return ENDPOINT, params

    def validate_body(self, body: Any, endpoint: str, endpoints: tuple[str, ...], label: str) -> str | None:
        if endpoint not in endpoints:
            return f"{label} batches only take {', '.join(endpoints)} requests"
        if not isinstance(body, dict):
            return "params must be a JSON object"
        missing = [k for k in ("model", "max_tokens", "messages") if k not in body]
        if missing:
            return f"params lack {', '.join(missing)}"
        if not isinstance(body["max_tokens"], int) or body["max_tokens"] < 1:
            return "max_tokens must be a positive integer"
        if not isinstance(body["messages"], list) or not body["messages"]:
            return "messages must be a non-empty list"
        if body.get("stream"):
            return "stream: true is not allowed in a batch"
        return None

    def validate_custom_id(self, custom_id: str) -> str | None:
        if not _CUSTOM_ID.fullmatch(custom_id):
            return "custom_id must be 1-64 letters, digits, '_' or '-' for Anthropic"
        return None


FORMAT = AnthropicRequests()
