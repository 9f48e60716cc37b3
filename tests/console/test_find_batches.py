"""Every batch can be found: `/` by name, provider id, our id, model or metadata value;
`:` (the palette) opens a batch by our id or the provider's."""

from __future__ import annotations

from console.tui.screens.batches import matches
from console.tui.screens.detail import BatchDetailScreen
from store.model import Batch, BatchStatus
from tests.console.support import SIZE, press, settle


def batch(**kw) -> Batch:
    base = dict(id=14, provider="openai", status=BatchStatus.IN_PROGRESS, provider_batch_id="batch_68a1f0c2e4b8",
                model="gpt-6-luna", label=None, metadata={"team": "search-ranking", "job": "nightly"})
    base.update(kw)
    return Batch(**base)


def test_slash_matches_provider_id_our_id_model_and_metadata_values():
    b = batch()
    for query in ("batch_68a1", "f0c2e4", "#14", "14", "luna", "search-rank", "nightly openai", "status:in_prog"):
        assert matches(b, query), query
    for query in ("batch_99", "15", "anthropic", "team:x"):
        assert not matches(b, query), query


async def test_colon_opens_a_batch_by_the_providers_id(app, store):
    target = next(b for b in store.list_batches() if b.provider_batch_id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "colon")
        for ch in target.provider_batch_id[-10:]:
            await pilot.press(ch)
        await settle(pilot)
        await pilot.pause(0.3)
        await press(pilot, "enter")
        await pilot.pause(0.3)
        await settle(pilot)
        assert isinstance(app.screen, BatchDetailScreen) and app.screen.batch_id == target.id


def test_a_batch_whose_inputs_are_unknown_says_how_to_attach_them():
    from console.format.numbers import PLAIN
    from console.tui.screens.detail_text import summary_text

    text = summary_text(batch(provider="anthropic", inputs="unknown"), 1e9, PLAIN, utc=True, saved=None,
                        warn=7200).plain
    # tui-fit-18: the console's own key (i, the attach form) first, the command after.
    assert "inputs unknown: i attaches the original file (or `batchdeck attach 14 FILE`)" in text
