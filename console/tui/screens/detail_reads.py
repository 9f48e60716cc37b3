"""What the Batch detail screen reads from the store: its item query and one refresh's facts.

The screen's batch and filter make an `ItemQuery`, which is the items table's page source as
well as what select-all collects, so the count shown, the rows drawn and the ids an action gets
come from the same filter. `read_detail` gathers one refresh in the screen's worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console.tui.messages import BatchLoaded
from console.tui.widgets.item_pages import PAGE


@dataclass(frozen=True, slots=True)
class ItemQuery:
    """One batch's items under a status and error-type filter (None matches any)."""

    store: Any
    batch_id: int
    status: str | None = None
    error_type: str | None = None

    def count(self) -> int:
        return self.store.count_items(self.batch_id, status=self.status, error_type=self.error_type)

    def page(self, offset: int, limit: int) -> list[Any]:
        return self.store.page_items(self.batch_id, offset=offset, limit=limit,
                                     status=self.status, error_type=self.error_type)

    def all_ids(self, total: int) -> list[int]:
        """The ids of the first `total` matching items (select-all; run off the UI thread)."""
        ids: list[int] = []
        for offset in range(0, total, 1000):
            ids += [i.id for i in self.page(offset, 1000)]
        return ids


def read_detail(query: ItemQuery, now: float, *, first: bool,
                pages_on_screen: list[int]) -> tuple[BatchLoaded, dict[int, list[Any]]]:
    """The header's facts and the matching count, plus fresh copies of the pages on screen.

    On the first load nothing is on screen yet, so page 0 rides along in the message instead,
    to seed the table without a read on the UI thread.
    """
    store, batch_id = query.store, query.batch_id
    batch = store.get_batch(batch_id)
    parent = store.get_batch(batch.parent_id) if batch and batch.parent_id else None
    children = store.children(batch_id) if batch else []
    history = store.status_history(batch_id) if batch else []
    groups = store.error_groups(batch_id) if batch else []
    matching = query.count()
    first_page = query.page(0, PAGE) if first and matching else None
    pages = {} if first else {number: query.page(number * PAGE, PAGE) for number in pages_on_screen}
    return BatchLoaded(batch, parent, children, history, groups, matching, now, first_page), pages
