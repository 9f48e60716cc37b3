"""The items table's page cache: a small LRU of store pages, read `PAGE` rows at a time.

The table asks for one row at a time while it draws; this cache turns that into a page read
only when the row's page is missing, and forgets the least recently used page beyond
`MAX_PAGES`, so memory stays flat whatever the batch size. Pages read ahead in a thread are
tagged with the generation they were asked for, so a late answer for an old source is dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Protocol

PAGE = 128
"""Rows per store read: several screens, so scrolling a page is usually no read at all."""
MAX_PAGES = 16
"""Pages kept: about 2,000 rows whatever the batch size (flat memory)."""


class PageSource(Protocol):
    """Where rows come from: the detail screen binds the store, batch and filter."""

    def count(self) -> int: ...
    def page(self, offset: int, limit: int) -> list[Any]: ...


def source_from(count: Callable[[], int], page: Callable[[int, int], list[Any]]) -> PageSource:
    """A PageSource from two callables (tests and the benchmark build their own)."""

    class _Source:
        def count(self) -> int:
            return count()

        def page(self, offset: int, limit: int) -> list[Any]:
            return page(offset, limit)

    return _Source()


class PageCache:
    """Pages of one source by page number, least recently used first."""

    def __init__(self) -> None:
        self.source: PageSource | None = None
        self.pages: OrderedDict[int, list[Any]] = OrderedDict()
        self.reads = 0
        """Store page reads on the UI thread so far (the benchmark and tests look at this)."""
        self.generation = 0
        self._in_flight: set[int] = set()

    def reset(self, source: PageSource, first_page: list[Any] | None = None) -> None:
        """Serve another source: forget every page, and ignore reads still in flight."""
        self.source = source
        self.generation += 1
        self._in_flight.clear()
        self.pages.clear()
        if first_page is not None:
            self.pages[0] = first_page

    def row(self, index: int) -> Any | None:
        """The row at `index`, reading its page if needed; None past the end of its page."""
        if self.source is None:
            return None
        number, slot = divmod(index, PAGE)
        page = self.pages.get(number)
        if page is None:
            page = self.source.page(number * PAGE, PAGE)
            self.reads += 1
            self._keep(number, page)
        else:
            self.pages.move_to_end(number)
        return page[slot] if slot < len(page) else None

    def _keep(self, number: int, rows: list[Any]) -> None:
        self.pages[number] = rows
        if len(self.pages) > MAX_PAGES:
            self.pages.popitem(last=False)

    def claim(self, numbers: Iterable[int], last: int) -> list[int]:
        """Of `numbers`, the pages up to `last` that nobody has read or is reading; now claimed."""
        todo = sorted(n for n in numbers if 0 <= n <= last and n not in self.pages
                      and n not in self._in_flight)
        self._in_flight.update(todo)
        return todo

    def accept(self, generation: int, pages: dict[int, list[Any]]) -> None:
        """Pages read ahead; kept unless the source changed since, or a fresher copy is here."""
        if generation != self.generation:
            return
        for number, rows in pages.items():
            self._in_flight.discard(number)
            if number not in self.pages:
                self._keep(number, rows)

    def replace(self, fresh: dict[int, list[Any]]) -> list[int]:
        """Swap in re-read pages; returns the index of each row whose value changed."""
        changed = []
        for number, rows in fresh.items():
            old = self.pages.get(number)
            self.pages[number] = rows
            changed += [number * PAGE + slot for slot, item in enumerate(rows)
                        if old is None or slot >= len(old) or old[slot] != item]
        return changed
