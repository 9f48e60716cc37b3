"""The virtualized items table reads only what it shows, and keeps memory flat."""

from __future__ import annotations

from textual.app import App

from console.format.numbers import PLAIN
from console.tui.widgets.item_pages import MAX_PAGES, PAGE, source_from
from console.tui.widgets.item_table import ItemTable
from store.model import Item, ItemStatus

N = 1_000_000


class Host(App):
    def __init__(self, reads: list[tuple[int, int]]) -> None:
        super().__init__()
        self.reads = reads

    def compose(self):
        yield ItemTable(PLAIN, id="items")

    def on_mount(self) -> None:
        def page(offset: int, limit: int) -> list[Item]:
            self.reads.append((offset, limit))
            return [Item(id=i + 1, batch_id=1, custom_id=f"r{i}", seq=i, status=ItemStatus.PENDING)
                    for i in range(offset, min(N, offset + limit))]

        table = self.query_one(ItemTable)
        table.set_source(source_from(lambda: N, page))
        table.focus()


async def test_million_rows_read_a_page_at_a_time():
    reads: list[tuple[int, int]] = []
    app = Host(reads)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.query_one(ItemTable)
        assert reads == [(0, PAGE)]  # first paint: one page
        for _ in range(40):
            await pilot.press("pagedown")
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor == N - 1
        assert len(table.pages) <= MAX_PAGES
        assert all(limit == PAGE for _, limit in reads) and len(reads) < 40
        table.toggle_current()
        assert table.selected == {N}


async def test_apply_pages_repaints_only_changed_rows():
    app = Host([])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        table = app.query_one(ItemTable)
        fresh = [Item(id=i + 1, batch_id=1, custom_id=f"r{i}", seq=i, status=ItemStatus.PENDING)
                 for i in range(PAGE)]
        assert table.apply_pages({0: fresh}) == 0
        fresh = list(fresh)
        fresh[5] = Item(id=6, batch_id=1, custom_id="r5", seq=5, status=ItemStatus.SUCCEEDED)
        assert table.apply_pages({0: fresh}) == 1
