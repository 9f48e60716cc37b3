"""Choosing table columns for the terminal's width: drop by priority, grow the name columns.

At 80 columns a table keeps what an operator needs at 3 a.m. (status, progress, expiry,
failures) and drops the rest; on a wide terminal the spare cells go to the columns people
recognise things by (labels, custom ids), up to a cap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from console.tui.rows import Column


def fit_columns(columns: Sequence[Column], width: int, *, gap: int, grow: Mapping[str, int],
                edge: int = 2) -> list[Column]:
    """The columns that fit `width` (each costs its width + `gap`, plus `edge` cells for the
    vertical scrollbar), in display order."""
    chosen = list(columns)
    order = {c.key: i for i, c in enumerate(columns)}  # by key: a shrunk column is a new Column

    def used() -> int:
        return sum(c.width + gap for c in chosen) + edge

    # First the columns that may go; then shrink those that can (a provider to its tag);
    # then, on a very narrow terminal, drop by priority whatever it takes.
    while used() > width and any(not c.keep for c in chosen) and len(chosen) > 3:
        chosen.remove(max((c for c in chosen if not c.keep), key=lambda c: (c.priority, order[c.key])))
    for c in sorted((c for c in chosen if c.narrow), key=lambda c: (-c.priority, order[c.key])):
        if used() <= width:
            break
        chosen[chosen.index(c)] = replace(c, width=min(c.width, c.narrow))
    while len(chosen) > 3 and used() > width:
        chosen.remove(max(chosen, key=lambda c: (c.priority, order[c.key])))
    for key, cap in grow.items():
        spare = width - used()
        for i, c in enumerate(chosen):
            if c.key == key and spare > 0:
                chosen[i] = replace(c, width=max(c.width, min(cap, c.width + spare)))
    return chosen
