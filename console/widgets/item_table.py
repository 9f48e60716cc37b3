"""A virtualized items table: the Line API reads only the rows on screen from SQLite.

A stock DataTable holds every row in memory (100k rows: 14.7 s, 141 MB here). This widget
holds a count and a small LRU of pages; `render_line` asks the page cache for the one row it
draws, and the cache asks the store for `PAGE` rows at a time. Memory is flat in the batch
size and opening a 1,000,000-item batch costs one COUNT and one page read.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from console.rows import ITEM_COLUMNS, Column, Palette, item_cells
from console.widgets.columns import fit_columns

PAGE = 128
"""Rows per store read: several screens, so scrolling a page is usually no read at all."""
MAX_PAGES = 16
"""Pages kept: about 2,000 rows whatever the batch size (flat memory)."""


class PageSource(Protocol):
    """Where rows come from: the detail screen binds the store, batch and filter."""

    def count(self) -> int: ...
    def page(self, offset: int, limit: int) -> list[Any]: ...


class ItemTable(ScrollView, can_focus=True):
    """Items of one batch, one line each, with a sticky header, a cursor and a selection."""

    COMPONENT_CLASSES = {"item-table--header", "item-table--cursor", "item-table--selected"}
    DEFAULT_CSS = """
    ItemTable { height: 1fr; background: $surface; }
    ItemTable > .item-table--header { text-style: bold; background: $panel; }
    ItemTable > .item-table--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
    ItemTable > .item-table--selected { text-style: bold; }
    """
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "Top", show=False),
        Binding("end,G", "jump(-1)", "Bottom", show=False),
    ]

    cursor: reactive[int] = reactive(0, repaint=False)

    class Prefetched(Message):
        """Pages read ahead in a thread, for the source that was current when asked."""

        def __init__(self, generation: int, pages: dict[int, list[Any]]) -> None:
            super().__init__()
            self.generation = generation
            self.pages = pages

    class Highlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, row: int) -> None:
            super().__init__()
            self.row = row

    def __init__(self, palette: Palette, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.palette = palette
        self.source: PageSource | None = None
        self.total = 0
        self.pages: OrderedDict[int, list[Any]] = OrderedDict()
        self.selected: set[int] = set()
        """Item ids picked with space."""
        self.all_matching = False
        """Select-all-matching: every row of the current filter, without listing a million ids."""
        self.reads = 0
        """Store page reads on the UI thread so far (the benchmark and tests look at this)."""
        self.generation = 0
        self._in_flight: set[int] = set()
        self.columns: list[Column] = list(ITEM_COLUMNS)
        self._width = sum(c.width + 1 for c in self.columns)

    def on_resize(self) -> None:
        # Scrollbar (2 cells) is always there for a long batch; keep the row inside the rest.
        self.columns = fit_columns(ITEM_COLUMNS, self.size.width - 1, gap=1,
                                   grow={"custom_id": 32, "error": 30})
        self._width = sum(c.width + 1 for c in self.columns)
        self.virtual_size = Size(self._width, self.total + 1)
        self.refresh()

    # ---- data ---------------------------------------------------------------------------
    def set_source(self, source: PageSource, total: int | None = None,
                   first_page: list[Any] | None = None) -> None:
        """Show another batch or filter: drop the cache, count, go to the top.

        `first_page`, when the caller already read it off the UI thread, seeds the cache.
        """
        self.source = source
        self.generation += 1
        self._in_flight.clear()
        self.pages.clear()
        if first_page is not None:
            self.pages[0] = first_page
        self.all_matching = False
        self.total = source.count() if total is None else total
        self.virtual_size = Size(self._width, self.total + 1)
        self.set_reactive(ItemTable.cursor, 0)
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def set_total(self, total: int) -> None:
        """New rows arrived (a tracked batch grew): resize without losing the place."""
        if total != self.total:
            self.total = total
            self.virtual_size = Size(self._width, total + 1)
            self.cursor = min(self.cursor, max(0, total - 1))
            self.refresh()

    def row(self, index: int) -> Any | None:
        """The item at `index`, reading its page if needed; None past the end."""
        if self.source is None or not 0 <= index < self.total:
            return None
        number, slot = divmod(index, PAGE)
        page = self.pages.get(number)
        if page is None:
            page = self.source.page(number * PAGE, PAGE)
            self.reads += 1
            self.pages[number] = page
            if len(self.pages) > MAX_PAGES:
                self.pages.popitem(last=False)
        else:
            self.pages.move_to_end(number)
        return page[slot] if slot < len(page) else None

    def _read_ahead(self) -> None:
        """Read the pages just above and below the screen in a thread, before they are needed.

        A page read can cost tens of milliseconds on a million-item batch; done here, paging
        through the batch finds its rows already cached and the UI thread never waits.
        """
        if self.source is None or not self.is_mounted:
            return
        top = int(self.scroll_offset.y)
        wanted = {(top - self.body_height) // PAGE, (top + 2 * self.body_height) // PAGE}
        last = (self.total - 1) // PAGE
        todo = sorted(n for n in wanted if 0 <= n <= last and n not in self.pages
                      and n not in self._in_flight)
        if todo:
            self._in_flight.update(todo)
            self._fetch(self.source, self.generation, todo)

    @work(thread=True, group="prefetch", exit_on_error=False, description="read item pages ahead")
    def _fetch(self, source: PageSource, generation: int, numbers: list[int]) -> None:
        pages = {n: source.page(n * PAGE, PAGE) for n in numbers}
        self.post_message(self.Prefetched(generation, pages))

    @on(Prefetched)
    def _prefetched(self, message: Prefetched) -> None:
        message.stop()
        if message.generation != self.generation:
            return
        for number, rows in message.pages.items():
            self._in_flight.discard(number)
            if number not in self.pages:
                self.pages[number] = rows
                if len(self.pages) > MAX_PAGES:
                    self.pages.popitem(last=False)

    def visible_pages(self) -> list[int]:
        """Page numbers on screen now (what the refresh worker re-reads)."""
        first = int(self.scroll_offset.y)
        last = min(self.total, first + self.size.height)
        return sorted({i // PAGE for i in range(first, last, PAGE)} | {max(0, last - 1) // PAGE})

    def apply_pages(self, fresh: dict[int, list[Any]]) -> int:
        """Swap in re-read pages and repaint only rows whose values changed; returns how many."""
        changed = 0
        for number, rows in fresh.items():
            old = self.pages.get(number)
            self.pages[number] = rows
            for slot, item in enumerate(rows):
                if old is None or slot >= len(old) or old[slot] != item:
                    self.refresh_line(number * PAGE + slot + 1)
                    changed += 1
        return changed

    def current(self) -> Any | None:
        return self.row(self.cursor)

    def toggle_current(self) -> None:
        item = self.current()
        if item is None:
            return
        self.selected.symmetric_difference_update({item.id})
        self.refresh_line(self.cursor + 1)

    def clear_selection(self) -> None:
        self.selected.clear()
        self.all_matching = False
        self.refresh()

    # ---- cursor ---------------------------------------------------------------------------
    @property
    def body_height(self) -> int:
        return max(1, self.size.height - 1)

    def watch_cursor(self, old: int, new: int) -> None:
        top = int(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False, immediate=True)
        elif new >= top + self.body_height:
            self.scroll_to(y=new - self.body_height + 1, animate=False, immediate=True)
        self.refresh_line(old + 1)
        self.refresh_line(new + 1)
        self.post_message(self.Highlighted(new))
        self.call_after_refresh(self._read_ahead)

    def _move(self, row: int) -> None:
        self.cursor = max(0, min(row, self.total - 1)) if self.total else 0

    def action_cursor(self, delta: int) -> None:
        self._move(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * self.body_height)

    def action_jump(self, row: int) -> None:
        self._move(self.total - 1 if row < 0 else row)

    # ---- drawing --------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if y == 0:
            line = self._line({c.key: Text(c.label) for c in self.columns})
            style = base + self.get_component_rich_style("item-table--header")
        else:
            index = scroll_y + y - 1
            item = self.row(index)
            if item is None:
                return Strip.blank(width, base)
            marked = self.all_matching or getattr(item, "id", None) in self.selected
            line = self._line(item_cells(item, self.palette, selected=marked))
            style = base
            if index == self.cursor:
                style = base + self.get_component_rich_style("item-table--cursor")
        segments = list(line.render(self.app.console))
        return Strip(Segment.apply_style(segments, style)).crop_extend(scroll_x, scroll_x + width, style)

    def _line(self, cells: dict[str, Text]) -> Text:
        line = Text(no_wrap=True, end="")
        for column in self.columns:
            cell = cells[column.key].copy()
            cell.truncate(column.width, overflow="ellipsis", pad=True)
            line.append_text(cell)
            line.append(" ")
        return line


def source_from(count: Callable[[], int], page: Callable[[int, int], list[Any]]) -> PageSource:
    """A PageSource from two callables (tests and the benchmark build their own)."""

    class _Source:
        def count(self) -> int:
            return count()

        def page(self, offset: int, limit: int) -> list[Any]:
            return page(offset, limit)

    return _Source()
