"""Counted nouns for messages ("1 item", "2 items", "1,000 items"). No dependencies: the
engine's summaries and the console's dialogs both use it."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """`n` and `word`, made plural (`many`, or `word` + "s") unless n is 1."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def cut_middle(text: str, width: int) -> str:
    """`text` in at most `width` characters, cut in the middle (`nightly-…-batch-7`): names and
    ids that share a prefix (`batch_68a1…`) still differ at their ends, so both ends stay."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    if width == 1:
        return "…"
    keep = width - 1
    head = (keep + 1) // 2
    return text[:head] + "…" + text[len(text) - (keep - head):] if keep - head else text[:head] + "…"
