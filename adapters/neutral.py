"""The neutral chat request every provider converts to and from, once.

A request line written for one provider is sent to another by two conversions: the source
provider's `to_neutral` (its body -> `NeutralChat`) and the target's `from_neutral`
(`NeutralChat` -> its body). With N providers that is 2N functions, not N x N. Only what
maps faithfully is neutral (text chat: system prompt, user/assistant turns, the output
limit, temperature, top_p, stop sequences); anything else raises `MappingError` with a
one-sentence reason, so a line is reported as bad rather than silently changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class MappingError(ValueError):
    """This line's body cannot be expressed for the target provider."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One user or assistant message, as plain text."""

    role: str
    text: str


@dataclass(frozen=True, slots=True)
class NeutralChat:
    """A text chat request with no provider's spelling.

    Attributes:
        model: the model the source line named (the target may override it with --model).
        turns: user/assistant messages in order.
        system: the system (or developer) prompt, when there is one.
        max_output_tokens: the output limit, when the source set one.
        temperature, top_p: sampling settings, when set.
        stop: stop sequences (empty when none).
    """

    model: str | None
    turns: tuple[Turn, ...]
    system: str | None = None
    max_output_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = field(default_factory=tuple)


def text_of(content: Any) -> str | None:
    """Plain text of a message's content (a string or a list of text parts); None otherwise."""
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


def stop_sequences(value: Any) -> tuple[str, ...]:
    """Stop sequences as a tuple, from a string, a list or None."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return tuple(value)
    raise MappingError("stop must be a string or a list of strings")


def number_or_none(value: Any, name: str) -> float | None:
    """A sampling setting as a float, None when absent; MappingError when not a number."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MappingError(f"{name} must be a number")
    return float(value) if isinstance(value, float) else value  # keep ints as written
