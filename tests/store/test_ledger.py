"""Cost arithmetic, one hand-computed case per provider caching rule (reference §11, §12).

Prices are USD per 1M tokens; every expected value is worked out in the comment above it.
"""

from __future__ import annotations

import pytest

from store.ledger import cost, item_costs, promotion_costs, savings
from store.model import ItemStatus, PriceRow, PriceTier, Usage
from store.prices import PriceBook

BOOK = PriceBook.shipped()


def test_openai_batch_halves_input_output_cached_reads_and_cache_writes():
    row = BOOK.lookup("openai", "gpt-6-sol")  # 2.00 in, 0.20 cached, 2.50 write, 10.00 out
    u = Usage(input_tokens=10_000, output_tokens=2_000, cache_read_tokens=40_000, cache_write_tokens=5_000)
    # standard: 10000*2 + 40000*0.2 + 5000*2.5 + 2000*10 = 20000+8000+12500+20000 = 60500 /1e6
    assert cost(u, row, PriceTier.STANDARD) == pytest.approx(0.0605)
    # batch: 10000*1 + 40000*0.1 + 5000*1.25 + 2000*5 = 10000+4000+6250+10000 = 30250 /1e6
    assert cost(u, row, PriceTier.BATCH) == pytest.approx(0.03025)
    # flex = batch price (0.5 x list); priority = 2 x list = 0.121
    assert cost(u, row, PriceTier.FLEX) == pytest.approx(0.03025)
    assert cost(u, row, PriceTier.PRIORITY) == pytest.approx(0.121)


def test_anthropic_batch_halves_everything_including_cache_reads_and_writes():
    row = BOOK.lookup("anthropic", "claude-opus-5-5")  # 4.00 in, 0.20 read, 5.00 write, 20.00 out
    u = Usage(input_tokens=2_000, output_tokens=1_000, cache_read_tokens=100_000, cache_write_tokens=10_000)
    # standard: 2000*4 + 100000*0.2 + 10000*5 + 1000*20 = 8000+20000+50000+20000 = 98000 /1e6
    assert cost(u, row, "standard") == pytest.approx(0.098)
    # batch: 2000*2 + 100000*0.1 + 10000*2.5 + 1000*10 = 4000+10000+25000+10000 = 49000 /1e6
    assert cost(u, row, "batch") == pytest.approx(0.049)
    # Anthropic has no flex tier and no listed priority price: not priced, never guessed.
    assert cost(u, row, "flex") is None and cost(u, row, "priority") is None


def test_gemini_2_5_cached_input_is_not_discounted_in_batch():
    row = BOOK.lookup("gemini", "gemini-2.5-flash")  # 0.30 in, 0.03 cached (batch 0.03), 2.50 out
    u = Usage(input_tokens=100_000, output_tokens=10_000, cache_read_tokens=400_000)
    # standard: 100000*0.3 + 400000*0.03 + 10000*2.5 = 30000+12000+25000 = 67000 /1e6
    assert cost(u, row, "standard") == pytest.approx(0.067)
    # batch: 100000*0.15 + 400000*0.03 + 10000*1.25 = 15000+12000+12500 = 39500 /1e6
    assert cost(u, row, "batch") == pytest.approx(0.0395)


def test_gemini_rule_applies_to_a_user_row_without_an_explicit_batch_cached_price():
    row = PriceRow("gemini", "gemini-2.5-pro", input=1.25, output=10.0, cached_input=0.125)
    u = Usage(cache_read_tokens=1_000_000)
    # cached reads stay at 0.125 in batch (not 0.0625)
    assert cost(u, row, "batch") == pytest.approx(0.125)


def test_gemini_3_rows_carry_their_own_batch_cached_price():
    u = Usage(cache_read_tokens=1_000_000)
    # 3.8-flash: halved (0.075 -> 0.0375); 3.1-pro-preview: not halved (0.20 -> 0.20)
    assert cost(u, BOOK.lookup("gemini", "gemini-3.8-flash"), "batch") == pytest.approx(0.0375)
    assert cost(u, BOOK.lookup("gemini", "gemini-3.1-pro-preview"), "batch") == pytest.approx(0.20)


def test_fireworks_batch_takes_an_extra_half_off_cached_tokens():
    row = PriceRow("fireworks", "llama-5-70b", input=0.90, output=0.90, cached_input=0.45)
    u = Usage(input_tokens=1_000_000, output_tokens=1_000_000, cache_read_tokens=1_000_000)
    # standard 0.90 + 0.90 + 0.45 = 2.25; batch 0.45 + 0.45 + 0.225 = 1.125
    assert cost(u, row, "standard") == pytest.approx(2.25)
    assert cost(u, row, "batch") == pytest.approx(1.125)


def test_mistral_flat_discount_derived_from_list():
    row = BOOK.lookup("mistral", "mistral-small-latest")  # 0.15 in, 0.60 out, no batch prices listed
    u = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    # standard 0.15 + 0.60 = 0.75; batch half = 0.375
    assert cost(u, row, "standard") == pytest.approx(0.75)
    assert cost(u, row, "batch") == pytest.approx(0.375)


def test_missing_cache_prices_bill_at_the_input_price():
    row = PriceRow("openai", "text-embedding-3-small", input=0.02, output=0.0)
    u = Usage(input_tokens=500_000, cache_read_tokens=500_000, cache_write_tokens=1_000_000)
    # (500000 + 500000 + 1000000) * 0.02 / 1e6 = 0.04
    assert cost(u, row, "standard") == pytest.approx(0.04)


def test_deepseek_has_no_batch_discount():
    row = BOOK.lookup("deepseek", "deepseek-v4-flash")  # 0.44 in, 1.32 out (peak)
    u = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost(u, row, "batch") == cost(u, row, "standard") == pytest.approx(1.76)


def test_unknown_model_is_none_and_no_usage_is_unknown_too():
    """One cost rule, one "unknown" (issue 15 item 4): missing usage is None, not $0."""
    assert cost(Usage(1, 1), None, "batch") is None
    assert cost(None, BOOK.lookup("openai", "gpt-6-luna"), "batch") is None


def test_a_tier_without_a_multiplier_is_unpriced_never_guessed():
    from dataclasses import replace

    row = replace(BOOK.lookup("openai", "gpt-6-luna"), flex_multiplier=None, priority_multiplier=None)
    u = Usage(input_tokens=1000, output_tokens=200)
    assert cost(u, row, "flex") is None and cost(u, row, "priority") is None
    assert cost(u, row, "standard") == pytest.approx(0.0002)


def test_the_engine_prices_with_the_stores_one_cost_function():
    from console.engine import pricing
    from store import ledger

    assert pricing.cost is ledger.cost


def test_a_succeeded_result_without_usage_costs_unknown_not_zero():
    row = BOOK.lookup("openai", "gpt-6-luna")
    assert item_costs(ItemStatus.SUCCEEDED, None, row) == (None, None)


def test_only_succeeded_items_are_billed():
    row = BOOK.lookup("openai", "gpt-6-luna")  # batch 0.05/0.25, standard 0.10/0.50
    u = Usage(input_tokens=1000, output_tokens=200)
    # batch (1000*0.05 + 200*0.25)/1e6 = 0.0001 ; realtime (1000*0.10 + 200*0.50)/1e6 = 0.0002
    b, r = item_costs(ItemStatus.SUCCEEDED, u, row)
    assert (b, r) == (pytest.approx(0.0001), pytest.approx(0.0002))
    for status in (ItemStatus.ERRORED, ItemStatus.EXPIRED, ItemStatus.CANCELED):
        assert item_costs(status, u, row) == (0.0, 0.0)
    assert item_costs(ItemStatus.ERRORED, None, None) == (None, None)  # unpriced stays unpriced


def test_savings_can_be_negative_when_a_promotion_cost_more():
    row = BOOK.lookup("openai", "gpt-6-sol")
    u = Usage(input_tokens=10_000, output_tokens=2_000, cache_read_tokens=40_000, cache_write_tokens=5_000)
    paid, standard = promotion_costs(u, row, PriceTier.PRIORITY)
    assert (paid, standard) == (pytest.approx(0.121), pytest.approx(0.0605))
    # batch copy also billed 0.03025: 0.0605 - 0.03025 - 0.121 = -0.09075
    assert savings(standard, 0.03025, paid) == pytest.approx(-0.09075)
    # batch copy expired (not billed): 0.0605 - 0 - 0.121 = -0.0605
    assert savings(standard, 0.0, paid) == pytest.approx(-0.0605)
    assert savings(None, 0.0) is None
