"""The shipped price book, model-name lookup, and user overrides."""

from __future__ import annotations

import pytest

from store.prices import PriceBook, PriceBookError, rows_from_toml

BOOK = PriceBook.shipped()

# Every row of the reference's §12 table: (provider, model, input, cached, output, batch in, batch cached, batch out)
REFERENCE_TABLE = [
    ("openai", "gpt-6-astra", 10.00, 1.00, 50.00, 5.00, 0.50, 25.00),
    ("openai", "gpt-6.1-sol", 2.00, 0.10, 10.00, 1.00, 0.05, 5.00),
    ("openai", "gpt-6-sol", 2.00, 0.20, 10.00, 1.00, 0.10, 5.00),
    ("openai", "gpt-6.1-terra", 1.00, 0.05, 5.00, 0.50, 0.025, 2.50),
    ("openai", "gpt-6-luna", 0.10, 0.01, 0.50, 0.05, 0.005, 0.25),
    ("openai", "gpt-4o-mini", 0.15, 0.075, 0.60, 0.075, None, 0.30),
    ("openai", "text-embedding-3-small", 0.02, None, 0.0, 0.01, None, 0.0),
    ("anthropic", "claude-opus-5-5", 4.00, 0.20, 20.00, 2.00, 0.10, 10.00),
    ("anthropic", "claude-sonnet-5-5", 2.00, 0.10, 10.00, 1.00, 0.05, 5.00),
    ("anthropic", "claude-haiku-5-5", 0.10, 0.01, 0.50, 0.05, 0.005, 0.25),
    ("anthropic", "claude-haiku-4-5", 1.00, 0.10, 5.00, 0.50, 0.05, 2.50),
    ("anthropic", "claude-fable-5-1", 10.00, 0.25, 50.00, 5.00, 0.125, 25.00),
    ("gemini", "gemini-3.8-flash", 0.75, 0.075, 3.75, 0.375, 0.0375, 1.875),
    ("gemini", "gemini-3.5-flash", 1.50, 0.15, 9.00, 0.75, 0.075, 4.50),
    ("gemini", "gemini-3.1-pro-preview", 2.00, 0.20, 12.00, 1.00, 0.20, 6.00),
    ("gemini", "gemini-2.5-flash", 0.30, 0.03, 2.50, 0.15, 0.03, 1.25),
    ("mistral", "mistral-medium-latest", 1.50, 0.15, 7.50, None, None, None),
    ("mistral", "mistral-small-latest", 0.15, 0.015, 0.60, None, None, None),
    ("groq", "openai/gpt-oss-120b", 0.15, 0.075, 0.60, None, None, None),
    ("deepseek", "deepseek-v4-flash", 0.44, 0.014, 1.32, None, None, None),
    ("deepseek", "deepseek-v4-pro", 1.32, 0.044, 3.96, None, None, None),
]


@pytest.mark.parametrize("expected", REFERENCE_TABLE, ids=[r[1] for r in REFERENCE_TABLE])
def test_shipped_book_has_every_reference_row(expected):
    provider, model, *prices = expected
    row = BOOK.lookup(provider, model)
    assert row is not None
    assert [row.input, row.cached_input, row.output,
            row.batch_input, row.batch_cached_input, row.batch_output] == prices
    assert row.source  # every row says where it came from


def test_book_has_exactly_the_reference_rows():
    assert len(BOOK) == len(REFERENCE_TABLE)


def test_dated_rows_carry_their_effective_date():
    assert BOOK.lookup("openai", "gpt-6-sol").effective == "2026-09-22"
    assert BOOK.lookup("anthropic", "claude-sonnet-5-5").effective == "2026-09-28"
    assert BOOK.lookup("deepseek", "deepseek-v4-pro").effective == "2026-08-16"


def test_known_cache_write_prices_are_in_the_book():
    # Anthropic 5-minute writes are 1.25 x input; OpenAI lists gpt-6-sol's.
    assert BOOK.lookup("anthropic", "claude-opus-5-5").cache_write == 5.00
    assert BOOK.lookup("anthropic", "claude-haiku-4-5").cache_write == 1.25
    assert BOOK.lookup("openai", "gpt-6-sol").cache_write == 2.50


@pytest.mark.parametrize(
    ("provider", "model", "family"),
    [
        ("anthropic", "claude-sonnet-5-5-20260928", "claude-sonnet-5-5"),
        ("openai", "gpt-6-luna-2026-09-22", "gpt-6-luna"),
        ("vertex", "claude-haiku-4-5@20251001", None),  # Vertex bills Claude under Google, not in the book
        ("gemini", "models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("vertex", "gemini-2.5-flash", "gemini-2.5-flash"),
        ("openai", "GPT-6-Luna", "gpt-6-luna"),
        ("groq", "openai/gpt-oss-120b", "openai/gpt-oss-120b"),
    ],
)
def test_lookup_accepts_provider_spellings_of_a_model(provider, model, family):
    row = BOOK.lookup(provider, model)
    assert (row.model if row else None) == family


@pytest.mark.parametrize(
    ("provider", "model"),
    [("openai", "gpt-6-lunar"), ("openai", "claude-opus-5-5"), ("doubleword", "gpt-6-luna"),
     ("openai", "gpt-6-luna-mini"), ("openai", None), (None, "gpt-6-luna")],
)
def test_anything_else_is_unpriced(provider, model):
    assert BOOK.lookup(provider, model) is None


def test_user_rows_override_and_add():
    rows = rows_from_toml(
        """
        [[prices]]
        provider = "openai"
        model = "gpt-6-luna"
        input = 0.08
        output = 0.40
        source = "our contract"
        effective = "2026-11-01"

        [[prices]]
        provider = "doubleword"
        model = "qwen-9-72b"
        input = 0.2
        output = 0.6
        batch_discount = 0.8
        """,
        where="config.toml",
    )
    book = PriceBook.load(rows)
    assert book.lookup("openai", "gpt-6-luna").input == 0.08
    assert book.lookup("openai", "gpt-6-luna").source == "our contract"
    assert book.lookup("doubleword", "qwen-9-72b").batch_discount == 0.8
    assert book.lookup("openai", "gpt-6-sol").input == 2.00  # untouched
    assert book.origins[("openai", "gpt-6-luna")] == "config"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('provider = "x"\nmodel = "m"\noutput = 1', "lacks 'input'"),
        ('provider = "x"\nmodel = "m"\ninput = "cheap"\noutput = 1', "input must be a non-negative number"),
        ('provider = "x"\nmodel = "m"\ninput = 1\noutput = 1\ninptu = 2', "unknown price field"),
    ],
)
def test_bad_rows_are_rejected_with_the_reason(body, message):
    with pytest.raises(PriceBookError, match=message):
        rows_from_toml("[[prices]]\n" + body, where="config.toml")
