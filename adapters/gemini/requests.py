"""Gemini request lines: a GenerateContentRequest in REST camelCase, and its neutral chat form.

A batchdeck input line for Gemini is `{"custom_id", "body": {contents, systemInstruction?,
generationConfig?, ...}}` (or Gemini's own `{"custom_id", "request": {...}}`); the custom_id
travels to Gemini as the line's `key` (reference §4.2). The model is the batch's: one per batch,
named in the create path, so a body's `model` only says which one it was written for.
"""

from __future__ import annotations

from typing import Any

from adapters.neutral import MappingError, NeutralChat, Turn, number_or_none, stop_sequences

ENDPOINT = "generateContent"
"""The one method a Gemini batch runs (`models/{model}:generateContent` for each line)."""

_MAPPED = {"model", "contents", "systemInstruction", "generationConfig"}
_CONFIG_MAPPED = {"maxOutputTokens", "temperature", "topP", "stopSequences"}


def _parts_text(node: Any) -> str | None:
    """Plain text of a Content (`{role?, parts: [{text}]}`); None when a part is not text."""
    if isinstance(node, str):
        return node
    if not isinstance(node, dict) or not isinstance(node.get("parts"), list):
        return None
    texts = []
    for part in node["parts"]:
        if not isinstance(part, dict) or not isinstance(part.get("text"), str) or len(part) != 1:
            return None
        texts.append(part["text"])
    return "".join(texts)


class GeminiRequests:
    """The Gemini line format. Stateless; one shared instance (`FORMAT`)."""

    family = "gemini"
    default_endpoint = ENDPOINT

    def read_line(self, obj: dict[str, Any]) -> tuple[str | None, Any] | None:
        """(None, request) for Gemini's own `{key?, request}` envelope."""
        if "request" in obj and "body" not in obj and "params" not in obj:
            return None, obj["request"]
        return None

    def claims_body(self, body: Any) -> bool:
        return isinstance(body, dict) and "contents" in body

    def owns_url(self, url: str | None) -> bool:
        return url is None or url.rsplit(":", 1)[-1] == ENDPOINT

    def converts_url(self, url: str | None) -> bool:
        return self.owns_url(url)

    def own(self, url: str | None, body: Any) -> tuple[str, Any]:
        return ENDPOINT, body

    def to_neutral(self, url: str | None, body: Any) -> NeutralChat:
        if not isinstance(body, dict):
            raise MappingError("request must be a JSON object")
        unknown = sorted(k for k in body if k not in _MAPPED)
        if unknown:
            raise MappingError(f"cannot map parameter {unknown[0]!r} to another provider")
        config = body.get("generationConfig") or {}
        if not isinstance(config, dict):
            raise MappingError("generationConfig must be an object")
        extra = sorted(k for k in config if k not in _CONFIG_MAPPED)
        if extra:
            raise MappingError(f"cannot map generationConfig.{extra[0]} to another provider")
        system = None
        if body.get("systemInstruction") is not None:
            system = _parts_text(body["systemInstruction"])
            if system is None:
                raise MappingError("systemInstruction is not plain text")
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            raise MappingError("contents must be a non-empty list")
        turns: list[Turn] = []
        for c in contents:
            text = _parts_text(c)
            if text is None:
                raise MappingError("content parts are not plain text")
            role = c.get("role", "user") if isinstance(c, dict) else "user"
            if role not in ("user", "model"):
                raise MappingError(f"content role {role!r} has no equivalent on other providers")
            turns.append(Turn("assistant" if role == "model" else "user", text))
        limit = config.get("maxOutputTokens")
        model = body.get("model")
        return NeutralChat(
            model=model.removeprefix("models/") if isinstance(model, str) else None,
            turns=tuple(turns),
            system=system,
            max_output_tokens=limit if isinstance(limit, int) else None,
            temperature=number_or_none(config.get("temperature"), "temperature"),
            top_p=number_or_none(config.get("topP"), "topP"),
            stop=stop_sequences(config.get("stopSequences")),
        )

    def from_neutral(self, chat: NeutralChat) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {
            "contents": [{"role": "model" if t.role == "assistant" else "user", "parts": [{"text": t.text}]}
                         for t in chat.turns],
        }
        if chat.model:
            body["model"] = chat.model
        if chat.system is not None:
            body["systemInstruction"] = {"parts": [{"text": chat.system}]}
        config: dict[str, Any] = {}
        if chat.max_output_tokens is not None:
            config["maxOutputTokens"] = chat.max_output_tokens
        if chat.temperature is not None:
            config["temperature"] = chat.temperature
        if chat.top_p is not None:
            config["topP"] = chat.top_p
        if chat.stop:
            config["stopSequences"] = list(chat.stop)
        if config:
            body["generationConfig"] = config
        return ENDPOINT, body

    def validate_body(self, body: Any, endpoint: str, endpoints: tuple[str, ...], label: str) -> str | None:
        if endpoint not in endpoints:
            return f"{label} batches only run {', '.join(endpoints)} requests"
        if not isinstance(body, dict):
            return "request must be a JSON object"
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            return "contents must be a non-empty list"
        config = body.get("generationConfig")
        if config is not None and not isinstance(config, dict):
            return "generationConfig must be an object"
        mot = (config or {}).get("maxOutputTokens")
        if mot is not None and (not isinstance(mot, int) or isinstance(mot, bool) or mot < 1):
            return "generationConfig.maxOutputTokens must be a positive integer"
        return None

    def validate_custom_id(self, custom_id: str) -> str | None:
        return None


def request_of(body: dict[str, Any]) -> dict[str, Any]:
    """The GenerateContentRequest to send: our bookkeeping `model` key left out (the batch
    names the model in its path)."""
    return {k: v for k, v in body.items() if k != "model"}


def model_name(model: str) -> str:
    """`models/<id>` as the API names it, from either spelling."""
    return model if model.startswith("models/") else f"models/{model}"


FORMAT = GeminiRequests()
