"""Mistral request lines: `{custom_id, body}` with an OpenAI-shaped chat body (reference §5).

Mistral's chat body is the OpenAI chat shape with Mistral's spelling of the output limit
(`max_tokens`; it has no `max_completion_tokens`), so this is the OpenAI format with that one
difference; a line written for OpenAI is sent as is, its limit renamed.
"""

from __future__ import annotations

from typing import Any

from adapters.neutral import NeutralChat
from adapters.openai.requests import OpenAIRequests

CHAT = "/v1/chat/completions"
ENDPOINTS = (CHAT, "/v1/embeddings")
"""The batch endpoints batchdeck sends to Mistral (its open enum has more: FIM, OCR, ...)."""

_UNSUPPORTED = ("service_tier", "store", "metadata", "user", "logprobs")
"""OpenAI-only body keys Mistral would refuse; dropped when a line is sent as is."""


class MistralRequests(OpenAIRequests):
    """OpenAI's line format, Mistral's spelling."""

    default_endpoint = CHAT

    def own(self, url: str | None, body: Any) -> tuple[str, Any]:
        endpoint, body = super().own(url, body)
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if k not in _UNSUPPORTED}
            if "max_completion_tokens" in body:
                limit = body.pop("max_completion_tokens")
                body.setdefault("max_tokens", limit)
        return endpoint, body

    def from_neutral(self, chat: NeutralChat) -> tuple[str, dict[str, Any]]:
        endpoint, body = super().from_neutral(chat)
        if "max_completion_tokens" in body:
            body["max_tokens"] = body.pop("max_completion_tokens")
        return endpoint, body


FORMAT = MistralRequests()
