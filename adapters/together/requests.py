"""Together's request lines: OpenAI's body in `{custom_id, body}`, custom_id up to 64 chars."""

from __future__ import annotations

from adapters.openai.requests import OpenAIRequests


class TogetherRequests(OpenAIRequests):
    def validate_custom_id(self, custom_id: str) -> str | None:
        if len(custom_id) > 64:
            return "custom_id must be at most 64 characters for Together"
        return None


FORMAT = TogetherRequests()
