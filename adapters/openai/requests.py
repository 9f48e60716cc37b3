"""OpenAI-style request lines: the line envelope, body checks, and the neutral chat form.

Shared by every service that copies OpenAI's batch input format (`{custom_id, method, url,
body}`): OpenAI itself, Groq, Together, Doubleword and any `openai_compat` profile. Each
service narrows the endpoints it accepts through its capabilities, not through this module.
"""

from __future__ import annotations

from typing import Any

from adapters.neutral import MappingError, NeutralChat, Turn, number_or_none, stop_sequences, text_of

CHAT = "/v1/chat/completions"

ENDPOINTS = (
    "/v1/responses",
    CHAT,
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)
"""The eight endpoints the openai SDK's `batches.create` accepts (reference §2.1)."""

_REQUIRED = {
    CHAT: ("model", "messages"),
    "/v1/responses": ("model", "input"),
    "/v1/embeddings": ("model", "input"),
    "/v1/completions": ("model", "prompt"),
    "/v1/moderations": ("input",),
    "/v1/images/generations": ("prompt",),
    "/v1/images/edits": ("prompt", "image"),
    "/v1/videos": ("prompt",),
}

_IGNORED = {"user", "store", "seed", "metadata", "service_tier", "logprobs", "n"}
_MAPPED = {"model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop"}


class OpenAIRequests:
    """The OpenAI line format. Stateless; one shared instance (`FORMAT`)."""

    family = "openai"
    default_endpoint = CHAT

    def read_line(self, obj: dict[str, Any]) -> tuple[str | None, Any] | None:
        """(url, body) when `obj` is an OpenAI batch line (it has `method` or `url`)."""
        if "body" not in obj or not ("url" in obj or "method" in obj):
            return None
        if obj.get("method", "POST") != "POST":
            raise MappingError("line has neither body nor params (or a method other than POST)")
        url = obj.get("url")
        return (url if isinstance(url, str) else None), obj["body"]

    def claims_body(self, body: Any) -> bool:
        """A bare `{custom_id, body}` line written for an OpenAI-style service."""
        if not isinstance(body, dict):
            return False
        messages = body.get("messages")
        if isinstance(messages, list) and any(
            isinstance(m, dict) and m.get("role") in ("system", "developer") for m in messages
        ):
            return True
        return "max_completion_tokens" in body and "max_tokens" not in body

    def owns_url(self, url: str | None) -> bool:
        return url is None or _endpoint(url) in ENDPOINTS

    def own(self, url: str | None, body: Any) -> tuple[str, Any]:
        return _endpoint(url or self.default_endpoint), body

    def converts_url(self, url: str | None) -> bool:
        """Only chat requests have a neutral form."""
        return url is None or _endpoint(url) == CHAT

    def to_neutral(self, url: str | None, body: Any) -> NeutralChat:
        if not isinstance(body, dict):
            raise MappingError("body must be a JSON object")
        unknown = sorted(k for k in body if k not in _MAPPED and k not in _IGNORED)
        if unknown:
            raise MappingError(f"cannot map parameter {unknown[0]!r} to another provider")
        if body.get("n") not in (None, 1):
            raise MappingError("n > 1 has no equivalent on other providers")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise MappingError("messages must be a non-empty list")
        system: list[str] = []
        turns: list[Turn] = []
        for m in messages:
            if not isinstance(m, dict):
                raise MappingError("every message must be an object")
            role = m.get("role")
            text = text_of(m.get("content"))
            if text is None:
                raise MappingError(f"{role or 'a'} message content is not plain text")
            if role in ("system", "developer"):
                system.append(text)
            elif role in ("user", "assistant"):
                turns.append(Turn(role, text))
            else:
                raise MappingError(f"message role {role!r} has no equivalent on other providers")
        if not turns:
            raise MappingError("no user message to send")
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        return NeutralChat(
            model=body.get("model") if isinstance(body.get("model"), str) else None,
            turns=tuple(turns),
            system="\n\n".join(system) if system else None,
            max_output_tokens=limit if isinstance(limit, int) else None,
            temperature=number_or_none(body.get("temperature"), "temperature"),
            top_p=number_or_none(body.get("top_p"), "top_p"),
            stop=stop_sequences(body.get("stop")),
        )

    def from_neutral(self, chat: NeutralChat) -> tuple[str, dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        if chat.system is not None:
            messages.append({"role": "system", "content": chat.system})
        messages.extend({"role": t.role, "content": t.text} for t in chat.turns)
        body: dict[str, Any] = {"model": chat.model, "messages": messages}
        if chat.max_output_tokens is not None:
            body["max_completion_tokens"] = chat.max_output_tokens
        if chat.temperature is not None:
            body["temperature"] = chat.temperature
        if chat.top_p is not None:
            body["top_p"] = chat.top_p
        if chat.stop:
            body["stop"] = list(chat.stop)
        return CHAT, body

    def validate_body(self, body: Any, endpoint: str, endpoints: tuple[str, ...], label: str) -> str | None:
        if endpoint not in endpoints:
            return f"endpoint {endpoint} is not one batchdeck can send to {label} ({', '.join(endpoints)})"
        if not isinstance(body, dict):
            return "body must be a JSON object"
        missing = [k for k in _REQUIRED.get(endpoint, ()) if k not in body]
        if missing:
            return f"body for {endpoint} lacks {', '.join(missing)}"
        if body.get("stream"):
            return "stream: true is not allowed in a batch"
        if endpoint == CHAT and not (isinstance(body["messages"], list) and body["messages"]):
            return "messages must be a non-empty list"
        return None

    def validate_custom_id(self, custom_id: str) -> str | None:
        return None


def _endpoint(url: str) -> str:
    url = url.rstrip("/") or url
    return url if url.startswith("/v1/") else "/v1/" + url.lstrip("/")


FORMAT = OpenAIRequests()
