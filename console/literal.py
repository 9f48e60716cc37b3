"""Text that came from a model or a provider, made safe to put on an operator's terminal.

Two dangers: Rich markup (`[bold]`, `[link=...]`) that would be interpreted if a string were
passed where Textual expects markup, and terminal control sequences (ANSI CSI, OSC 52 clipboard
writes, OSC 8 links, bidi overrides) that would reach the terminal. We never build markup from
such text (always `rich.text.Text(...)`), and we replace every control character with a visible
stand-in so the bytes are shown, not obeyed: ESC becomes `␛`, BEL `␇`, C1 controls `\\x9b`.
"""

from __future__ import annotations

import json
from typing import Any

from rich.highlighter import JSONHighlighter
from rich.text import Text

# C0 controls map to the Unicode "control pictures" block (U+2400 + code): ␀ ␁ ... ␛ ... ␟.
_TABLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
_TABLE[0x7F] = "␡"
# C1 controls (0x80-0x9F) include CSI (0x9B) and OSC (0x9D) on some terminals: show as escapes.
_TABLE.update({code: f"\\x{code:02x}" for code in range(0x80, 0xA0)})
# Bidi overrides and isolates can reorder what the operator reads (trojan-source style).
_TABLE.update(
    {code: f"\\u{code:04x}" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}
)
_MULTILINE = dict(_TABLE)
_MULTILINE.pop(0x0A)  # keep newlines and tabs where the text may span lines
_MULTILINE.pop(0x09)
_SINGLE = dict(_TABLE)
_SINGLE[0x0A] = "⏎"
_SINGLE[0x09] = " "

_json_highlighter = JSONHighlighter()


def clean(value: Any, *, multiline: bool = False) -> str:
    """The string with every control character replaced by a visible stand-in."""
    text = value if isinstance(value, str) else str(value)
    return text.translate(_MULTILINE if multiline else _SINGLE)


def literal(value: Any, *, style: str = "", multiline: bool = False) -> Text:
    """A `Text` showing `value` exactly as characters: no markup, no escapes obeyed."""
    if value is None:
        return Text("—", style=style)
    return Text(clean(value, multiline=multiline), style=style)


def pretty_json(raw: str | None) -> Text:
    """Indented JSON if `raw` parses, else the raw text; highlighted, always literal.

    `json.dumps` already writes control characters inside strings as `\\u001b`; `clean`
    then catches anything outside strings (or in unparseable text).
    """
    if raw is None:
        return Text("—")
    try:
        body = json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        return literal(raw, multiline=True)
    text = Text(clean(body, multiline=True))
    _json_highlighter.highlight(text)
    return text


def compact_json(value: Any, limit: int = 200) -> str:
    """A one-line JSON rendering for table cells, cleaned and cut to `limit` characters."""
    try:
        body = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (ValueError, TypeError):
        body = str(value)
    body = clean(body)
    return body if len(body) <= limit else body[: limit - 1] + "…"


def answer_of(raw: str | None) -> str | None:
    """The model's answer text inside a raw result line (OpenAI or Anthropic shape), if any.

    Shown decoded, so escape sequences inside the answer are real control characters here:
    callers must pass the result through `literal`, which makes each one visible.
    """
    if not raw:
        return None
    try:
        line = json.loads(raw)
        body = line.get("response", {}).get("body") or line.get("result", {}).get("message") or {}
        if "choices" in body:
            return "\n".join(str(c.get("message", {}).get("content") or "") for c in body["choices"])
        if "content" in body:
            return "\n".join(str(b.get("text", "")) for b in body["content"] if isinstance(b, dict))
    except (ValueError, AttributeError, TypeError):
        return None
    return None
