"""A virtualized items table: the Line API reads only the rows on screen from SQLite.

A stock DataTable holds every row in memory (100k rows: 14.7 s, 141 MB here). This widget
holds a count and a small LRU of pages (item_pages.py); `render_line` asks the page cache for
the one row it draws, and the cache asks the store for `PAGE` rows at a time. Memory is flat in
the batch size and opening a 1,000,000-item batch costs one COUNT and one page read.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from rich.segment import Segment
from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from console.format.numbers import Palette
from console.tui.rows import ITEM_COLUMNS, Column, item_cells
from console.tui.widgets.columns import fit_columns
from console.tui.widgets.item_pages import PAGE, PageCache, PageSource


class ItemTable(ScrollView, can_focus=True):
    """Items of one batch, one line each, with a sticky header, a cursor and a selection."""

    COMPONENT_CLASSES = {"item-table--header", "item-table--cursor", "item-table--selected"}
    DEFAULT_CSS = """
    ItemTable { height: 1fr; background: $surface; }
    ItemTable > .item-table--header { text-style: bold; background: $panel; }
    ItemTable > .item-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
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
        self.cache = PageCache()
        self.total = 0
        self.selected: set[int] = set()
        """Item ids picked with space."""
        self.all_matching = False
        """Select-all-matching: every row of the current filter, without listing a million ids."""
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
    @property
    def pages(self) -> OrderedDict[int, list[Any]]:
        """Cached pages by number; clearing it makes the next paint re-read what it shows."""
        return self.cache.pages

    @property
    def reads(self) -> int:
        """Store page reads on the UI thread so far (the benchmark and tests look at this)."""
        return self.cache.reads

    def set_source(self, source: PageSource, total: int | None = None,
                   first_page: list[Any] | None = None) -> None:
        """Show another batch or filter: drop the cache, count, go to the top.

        `first_page`, when the caller already read it off the UI thread, seeds the cache.
        """
        self.cache.reset(source, first_page)
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
        if not 0 <= index < self.total:
            return None
        return self.cache.row(index)

    def _read_ahead(self) -> None:
        """Read the pages just above and below the screen in a thread, before they are needed.

        A page read can cost tens of milliseconds on a million-item batch; done here, paging
        through the batch finds its rows already cached and the UI thread never waits.
        """
        source = self.cache.source
        if source is None or not self.is_mounted:
            return
        top = int(self.scroll_offset.y)
        wanted = {(top - self.body_height) // PAGE, (top + 2 * self.body_height) // PAGE}
        todo = self.cache.claim(wanted, last=(self.total - 1) // PAGE)
        if todo:
            self._fetch(source, self.cache.generation, todo)

    @work(thread=True, group="prefetch", exit_on_error=False, description="read item pages ahead")
    def _fetch(self, source: PageSource, generation: int, numbers: list[int]) -> None:
        pages = {n: source.page(n * PAGE, PAGE) for n in numbers}
        self.post_message(self.Prefetched(generation, pages))

    @on(Prefetched)
    def _prefetched(self, message: Prefetched) -> None:
        message.stop()
        self.cache.accept(message.generation, message.pages)

    def visible_pages(self) -> list[int]:
        """Page numbers on screen now (what the refresh worker re-reads)."""
        first = int(self.scroll_offset.y)
        last = min(self.total, first + self.size.height)
        return sorted({i // PAGE for i in range(first, last, PAGE)} | {max(0, last - 1) // PAGE})

    def apply_pages(self, fresh: dict[int, list[Any]]) -> int:
        """Swap in re-read pages and repaint only rows whose values changed; returns how many."""
        changed = self.cache.replace(fresh)
        for index in changed:
            self.refresh_line(index + 1)
        return len(changed)

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
            line = self._line(item_cells(item, getattr(self.app, "palette", self.palette), selected=marked))
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

