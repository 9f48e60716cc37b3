"""Choosing items of a batch by local item id or by custom_id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from console.engine.types import BadInput

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from console.engine.service import Engine
    from store.model import Batch, Item


def chosen_items(engine: Engine, batch: Batch, *, item_ids: Sequence[int] | None,
                 custom_ids: Sequence[str] | None) -> list[Item] | None:
    """The named items (None when none were named). BadInput lists ids not in the batch."""
    if not item_ids and not custom_ids:
        return None
    items: list[Item] = []
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


def all_with_status(engine: Engine, batch_id: int, status: str, page: int = 5000) -> list[Item]:
    out: list[Item] = []
    offset = 0
    while True:
        rows = engine.store.page_items(batch_id, offset=offset, limit=page, status=status)
        out.extend(rows)
        if len(rows) < page:
            return out
        offset += page
