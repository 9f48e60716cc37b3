"""The words every spend preview uses for its two figures (console/format/spend.py)."""

from __future__ import annotations

from console.format.spend import bound_money, ceiling_words, reasons_words


def test_a_ceiling_is_a_bound_or_it_says_for_which_requests_there_is_none():
    assert ceiling_words(0.042, 0, 1000, {}) == "ceiling $0.0420"
    assert ceiling_words(None, 0, 1000, {}) == "ceiling unpriced"  # never $0
    assert ceiling_words(1.2, 120, 1000, {"no max_tokens": 120}) == \
        "ceiling: none for 120 of 1,000 requests (no max_tokens); $1.2000 for the other 880"
    assert ceiling_words(None, 120, 1000, {"no max_tokens": 120}, "item") == \
        "ceiling: none for 120 of 1,000 items (no max_tokens); unpriced for the other 880"
    assert ceiling_words(0.0, 3, 3, {"no max_tokens": 3}) == "ceiling: none for all 3 requests (no max_tokens)"
    assert ceiling_words(0.0, 1, 1, {"images/audio/files": 1}, "item") == \
        "ceiling: none for the item (images/audio/files)"


def test_several_reasons_are_counted_largest_first():
    assert reasons_words({"images/audio/files": 20, "no max_tokens": 100}) == \
        "100 no max_tokens, 20 images/audio/files"


def test_a_ceiling_on_screen_is_rounded_up_to_the_cent():
    assert bound_money(0.7012) == "$0.71"
    assert bound_money(0.70) == "$0.70"  # not pushed up by float noise
    assert bound_money(0.001) == "$0.01"
    assert bound_money(None) == "unpriced"
