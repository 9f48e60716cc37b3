"""console/format: one place for money, token counts, durations and times, for both front ends."""

from __future__ import annotations

import math

from console.format.numbers import UNPRICED, fmt_about, fmt_amount, fmt_cost, fmt_money
from console.format.times import fmt_clock, fmt_utc_minute


def test_costs_keep_four_decimals_and_never_show_an_unknown_as_zero():
    assert fmt_cost(0.0038) == "$0.0038"
    assert fmt_cost(1234.56789) == "$1,234.5679"
    assert fmt_cost(0.0) == "$0.0000"  # a known zero is a zero
    for unknown in (None, math.nan, math.inf, "0.5"):
        assert fmt_cost(unknown) == UNPRICED == "unpriced"  # type: ignore[arg-type]
    assert fmt_cost(None, unknown="an unpriced amount") == "an unpriced amount"


def test_an_estimate_says_about_or_unknown():
    assert fmt_about(0.0038) == "about $0.0038"
    assert fmt_about(None) == "unknown"
    assert fmt_about(None, unknown="cost unknown (model not in the price book)").startswith("cost unknown")


def test_table_amounts_carry_no_sign_and_screens_round_to_the_cent():
    assert fmt_amount(0.000123, places=6) == "0.000123"
    assert fmt_amount(None) == "" and fmt_amount(None, unknown=UNPRICED) == "unpriced"
    assert fmt_amount(2.5) == "2.5000"
    assert fmt_money(0.0038) == "<$0.01" and fmt_cost(0.0038) == "$0.0038"  # two precisions, named


def test_the_command_line_minute_is_utc_and_a_strange_value_is_a_dash():
    assert fmt_utc_minute(1_764_000_000.0) == "2025-11-24 16:00"
    for strange in (None, math.nan, "soon", -5.0, 1e20):
        assert fmt_utc_minute(strange) == "-"  # type: ignore[arg-type]
    assert fmt_clock(None, utc=True) == "—"
