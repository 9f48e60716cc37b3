"""An esc and the key typed after it, when both arrive in one read, read back as two keys.

A terminal sends esc as the single byte ESC, and alt+j as ESC followed by `j`, so when an
operator types esc and then `j` quickly over a slow SSH link or through tmux, the bytes arrive
together ("\\x1bj") and Textual's parser reports one key, alt+j: the esc is lost and `j` lands
where the esc should have moved focus from. batchdeck binds no alt keys, so such a key that no
binding claims is read back as what was typed: esc, then the character. The two keys then take
the path any two keys of one read take (a Field holds keys that follow an esc until focus has
moved; widgets/field.py), so the character goes to whatever the esc leaves focused.

Two more shapes of the same bytes, from the parser's tables rather than its alt rule:
- ESC + a digit is a macOS Option-digit character ("\\x1b3" is "£", "\\x1b2" is "™").
- ESC + a character + ESC in one read makes the first ESC a caret ("^"), as an unknown
  sequence is shown in caret notation.
Both are also characters a keyboard types (a UK keyboard's shift+3 is "£"), and in a text field
those are meant as text; outside one they have no binding and mean nothing here, so only there
are they read as esc (then the digit).

Left alone:
- ESC + punctuation, space or enter: the parser drops the ESC ("\\x1b/" is a plain `/`), so
  nothing here can tell that an esc was typed.
- ESC + b or f: the parser's ctrl+left/right (iTerm's option+left/right), which text fields
  use for word motion and a real ctrl+left/right also sends; read as esc they would pop a screen.
- A real alt key from a terminal with the kitty keyboard protocol: it carries no character.
"""

from __future__ import annotations

from typing import Final

ESCAPE: Final = ("escape", "\x1b")
"""The key an ESC byte on its own is reported as: (key name, character)."""

OPTION_DIGITS: Final = dict(zip("¡™£¢∞§¶•ªº", "1234567890", strict=True))
"""Character Textual's parser reports for ESC + digit (its macOS Option-digit table) -> digit."""

CARET: Final = "circumflex_accent"
"""The key an ESC inside an unrecognised sequence is reported as (caret notation)."""


def typed_keys(key: str, character: str | None, *, in_text_field: bool) -> list[tuple[str, str]] | None:
    """The (key, character) pairs an esc-prefixed key stands for, or None when it is itself.

    Only asks what the bytes were; whether a binding claims `key` (then it is meant as is)
    is for the caller, which knows the active bindings.
    """
    if character is None or len(character) != 1:
        return None  # a named key (arrows, ctrl+...), or a kitty-protocol alt key
    if character.isalnum() and key in (f"alt+{character}", f"alt+shift+{character.lower()}"):
        # The parser names a letter after its own character ("j", "J"), so the key is that too.
        return [ESCAPE, (character, character)]
    if in_text_field:
        return None  # "£", "™" or "^" may be typed as text
    if character in OPTION_DIGITS:
        digit = OPTION_DIGITS[character]
        return [ESCAPE, (digit, digit)]
    if key == CARET:
        return [ESCAPE]
    return None
