"""Control characters made visible: the stdlib-only core of `console.tui.literal`.

Text that came from a model or a provider (custom_ids, error messages, answers, labels) must
never drive the operator's terminal: ANSI CSI, OSC 52 clipboard writes, OSC 8 links, BEL,
backspace, C1 controls (U+009B is a one-character CSI on some terminals) and bidi overrides
(which reorder what the operator reads). `clean` replaces each with a visible stand-in: ESC
becomes `␛`, BEL `␇`, C1 controls `\\x9b`, bidi controls `\\u202e`. `json_escape` does the
same inside JSON text with JSON escapes (`\\u009b`), so the line still decodes to the same value.

No third-party imports: the command line (`show`, `ls`, `export`, error messages) uses this
without loading Rich or Textual; `console.tui.literal` builds on it for the Textual console.
"""

from __future__ import annotations

from typing import Any

_C0 = range(0x20)
_C1 = range(0x80, 0xA0)
_BIDI = (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)

# C0 controls map to the Unicode "control pictures" block (U+2400 + code): ␀ ␁ ... ␛ ... ␟.
_TABLE: dict[int, str] = {code: chr(0x2400 + code) for code in _C0}
_TABLE[0x7F] = "␡"
# C1 controls (0x80-0x9F) include CSI (0x9B) and OSC (0x9D) on some terminals: show as escapes.
_TABLE.update({code: f"\\x{code:02x}" for code in _C1})
# Bidi overrides and isolates can reorder what the operator reads (trojan-source style).
_TABLE.update({code: f"\\u{code:04x}" for code in _BIDI})

MULTILINE = dict(_TABLE)
MULTILINE.pop(0x0A)  # keep newlines and tabs where the text may span lines
MULTILINE.pop(0x09)
SINGLE = dict(_TABLE)
SINGLE[0x0A] = "⏎"
SINGLE[0x09] = " "

# JSON text: json.dumps already escapes C0 (as \u001b, \n, ...); it leaves DEL, C1 and bidi
# controls raw (with ensure_ascii=False). Escape those too: still valid JSON, same value.
_JSON = {code: f"\\u{code:04x}" for code in (0x7F, *_C1, *_BIDI)}


def clean(value: Any, *, multiline: bool = False) -> str:
    """The string with every control character replaced by a visible stand-in.

    `multiline` keeps newlines and tabs; otherwise a newline shows as `⏎` and a tab as a space.
    """
    text = value if isinstance(value, str) else str(value)
    return text.translate(MULTILINE if multiline else SINGLE)


def json_escape(text: str) -> str:
    """JSON text (from `json.dumps`) with DEL, C1 and bidi controls written as `\\uXXXX`."""
    return text.translate(_JSON)
