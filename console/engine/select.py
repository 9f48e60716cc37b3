"""Choosing items of a batch by local item id or by custom_id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from console.engine.types import BadInput


def chosen_items(engine: Any, batch: Any, *, item_ids: Sequence[int] | None,
                 custom_ids: Sequence[str] | None) -> list[Any] | None:
    """The named items (None when none were named). BadInput lists ids not in the batch."""
    if not item_ids and not custom_ids:
        return None
    items: list[Any] = []
    if item_ids:
        for item_id in item_ids:
            item = engine.store.get_item(int(item_id))
            if item is None or item.batch_id != batch.id:
                raise BadInput(f"item {item_id} is not in batch #{batch.id}")
            items.append(item)
    if custom_ids:
        wanted = list(dict.fromkeys(custom_ids))
        found = engine.store.find_items(batch.id, wanted)
        have = {i.custom_id for i in found}
        missing = [c for c in wanted if c not in have]
        if missing:
            more = f" (and {len(missing) - 3} more)" if len(missing) > 3 else ""
            raise BadInput(f"batch #{batch.id} has no items {', '.join(map(repr, missing[:3]))}{more}")
        items.extend(found)
    seen: set[int] = set()
    unique = []
    for item in sorted(items, key=lambda i: i.seq):
        if item.id not in seen:
            seen.add(item.id)
            unique.append(item)
    return unique


def all_with_status(engine: Any, batch_id: int, status: str, page: int = 5000) -> list[Any]:
    out: list[Any] = []
    offset = 0
    while True:
        rows = engine.store.page_items(batch_id, offset=offset, limit=page, status=status)
        out.extend(rows)
        if len(rows) < page:
            return out
        offset += page
