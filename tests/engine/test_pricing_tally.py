"""Estimates price summed tokens once per model: the same money as pricing every request."""

from __future__ import annotations

import random

import pytest

from console.engine import pricing
from store.model import PriceTier, Usage
from store.prices import PriceBook


class BookStore:
    """The one thing pricing asks of a store: its price book."""

    def __init__(self) -> None:
        self.price_book = PriceBook.shipped()


@pytest.mark.parametrize("tier", list(PriceTier))
def test_pricing_the_sums_equals_pricing_every_request(tier):
    store, rng = BookStore(), random.Random(5)
    models = ["gpt-6-luna", "gpt-6-sol", "gpt-6-luna"]
    tally = pricing.TokenTally(store, "openai")
    one_by_one = 0.0
    for _ in range(500):
        model, i_tok, o_tok = rng.choice(models), rng.randrange(0, 5000), rng.randrange(1, 900)
        tally.add(model, i_tok, o_tok)
        one_by_one += pricing.cost(Usage(input_tokens=i_tok, output_tokens=o_tok),
                                   pricing.price_row(store, "openai", model), tier)
    assert tally.total(tier) == pytest.approx(one_by_one, rel=1e-12)
    assert one_by_one > 0


def test_one_unpriced_model_makes_the_total_unpriced_never_zero():
    store = BookStore()
    tally = pricing.TokenTally(store, "openai")
    tally.add("gpt-6-luna", 1000, 100)
    tally.add("no-such-model", 10, 1)
    assert tally.total(PriceTier.BATCH) is None
    assert (tally.input_tokens, tally.output_tokens) == (1010, 101)
