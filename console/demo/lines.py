"""Provider-shaped request bodies and result lines for the demo fleet (deterministic)."""

from __future__ import annotations

import json
import re
from typing import Any

from adapters import registry
from adapters.neutral import NeutralChat, Turn
from console.demo.config import provider_facts, result_templates
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
    """One line of the provider's results file for this item, in that provider's shape (named
    for each provider in console/demo/fleet.toml, its template there)."""
    facts = provider_facts().get(provider)
    if facts is None or facts.results is None:
        raise ValueError(f"the demo writes no {provider} results lines; seed its batches in progress")
    templates = result_templates(facts.results)
    outcome = "succeeded" if status == "succeeded" else "errored" if status == "errored" else "unfinished"
    template = templates.get(outcome) or templates["errored"]
    if outcome == "succeeded":
        assert usage is not None
    code = http_status(etype) or UNFINISHED_STATUS
    values: dict[str, Any] = {
        "n": f"{i:06d}", "custom_id": custom_id, "model": model, "answer": _answer(i, hostile), "status": status,
        "input_tokens": usage.input_tokens if usage else None, "output_tokens": usage.output_tokens if usage else None,
        "total_tokens": usage.input_tokens + usage.output_tokens if usage else None,
        "error_type": etype or status, "error_message": error_message(etype) or status,
        "http_status": code, "http_code": str(code),
    }
    line: dict[str, Any] = fill(json.loads(template), values)
    return line


UNFINISHED_STATUS = 408
"""The HTTP status an OpenAI-style line carries for an item that never ran (expired, canceled)."""

_PLACEHOLDER = re.compile(r"\$([a-z_]+)")


def fill(template: Any, values: dict[str, Any]) -> Any:
    """The template with its placeholders filled: a string that is exactly `$name` becomes the
    value itself (any JSON type); `$name` inside a longer string, the value's text."""
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            return values[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)
    return template
