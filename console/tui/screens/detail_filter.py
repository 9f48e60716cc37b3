"""The Batch detail screen's item filter: the `f` and `x` cycles and the typed `/` syntax.

`f` steps through every item status and `x` through the batch's error types, each ending back
at "all". In the `/` box, `status:errored type:rate_limit_error` sets both; a bare status word
(`errored`) sets the status and any other word is taken as an error type.
"""

from __future__ import annotations

from collections.abc import Iterable

from store.model import TRUNCATED, ErrorGroup, ItemStatus

STATUS_CYCLE = (None, *(s.value for s in ItemStatus), TRUNCATED)
"""Every item status, then `truncated` (succeeded, but cut short)."""


def next_status(status: str | None) -> str | None:
    current = STATUS_CYCLE.index(status) if status in STATUS_CYCLE else 0
    return STATUS_CYCLE[(current + 1) % len(STATUS_CYCLE)]


def next_error_type(error_type: str | None, groups: Iterable[ErrorGroup]) -> str | None:
    types = [None] + [g.error_type for g in groups]
    current = types.index(error_type) if error_type in types else 0
    return types[(current + 1) % len(types)]


class UnknownStatus(ValueError):
    """`status:X` names no item status."""


def parse_filter(text: str) -> tuple[str | None, str | None]:
    """(status, error type) from what was typed in the box; the last word of each kind wins.
    Raises UnknownStatus for `status:X` with an X that is not an item status."""
    status = etype = None
    for word in text.split():
        key, _, value = word.partition(":")
        if key == "status" and value:
            if value not in STATUS_CYCLE:
                known = ", ".join(s for s in STATUS_CYCLE if s)
                raise UnknownStatus(f"no item status {value!r}; one of {known}")
            status = value
        elif key in ("type", "error") and value:
            etype = value
        elif value == "" and key in STATUS_CYCLE:
            status = key
        else:
            etype = word
    return status, etype
