"""Text that came from a model or a provider, made safe to put on an operator's terminal.

Two dangers: Rich markup (`[bold]`, `[link=...]`) that would be interpreted if a string were
passed where Textual expects markup, and terminal control sequences (ANSI CSI, OSC 52 clipboard
writes, OSC 8 links, bidi overrides) that would reach the terminal. We never build markup from
such text (always `rich.text.Text(...)`), and we replace every control character with a visible
stand-in so the bytes are shown, not obeyed: ESC becomes `␛`, BEL `␇`, C1 controls `\\x9b`
(`clean`, defined in the stdlib-only `console.format.textclean` so the command line can use it too).
"""

from __future__ import annotations

import json
from typing import Any

from rich.highlighter import JSONHighlighter
from rich.text import Text

from console.format.textclean import clean  # noqa: F401  (re-exported: the console imports it from here)

_json_highlighter = JSONHighlighter()


def literal(value: Any, *, style: str = "", multiline: bool = False) -> Text:
    """A `Text` showing `value` exactly as characters: no markup, no escapes obeyed."""
    if value is None:
        return Text("—", style=style)
    return Text(clean(value, multiline=multiline), style=style)


def pretty_json(raw: str | None, *, highlight: bool = True) -> Text:
    """Indented JSON if `raw` parses, else the raw text; highlighted (unless `highlight` is
    off: the monochrome theme and NO_COLOR), always literal.

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
    if highlight:
        _json_highlighter.highlight(text)
    return text


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
