"""Counted nouns for messages ("1 item", "2 items", "1,000 items"). No dependencies: the
engine's summaries and the console's dialogs both use it."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """`n` and `word`, made plural (`many`, or `word` + "s") unless n is 1."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"
