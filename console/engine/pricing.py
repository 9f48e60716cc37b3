"""Estimates and promotions priced with the store's one cost rule (`store.ledger.cost`).

Routes: `batch` (the row's batch prices, or list × (1 − discount)), `standard` (list),
`flex` (list × flex_multiplier), `priority` (list × priority_multiplier). A model without a
price, a tier without a multiplier, or usage not reported gives None (unknown), never $0 and
never a guess. The price rows come from the store's price book.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from console.format.numbers import fmt_about
from store.ledger import cost
from store.model import PriceRow, PriceTier, Usage

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from store.prices import PriceBook
    from store.store import Store

__all__ = ["TokenTally", "about", "cost", "estimate_tokens", "price_book", "price_row", "unpriced_models",
           "unpriced_note"]

TOKENS_PER_CHAR = 0.25
"""Token estimate ≈ characters / 4 (English prose; code and CJK run denser)."""


_BOOK: PriceBook | None = None


def price_book(store: Store) -> PriceBook:
    """The store's price book (shipped rows + config overrides), loaded once per process."""
    global _BOOK
    for name in ("prices", "price_book"):
        book = getattr(store, name, None)
        if callable(book) and not hasattr(book, "lookup"):
            book = book()
        if book is not None and hasattr(book, "lookup"):
            found: PriceBook = book
            return found
    if _BOOK is None:
        from store.prices import PriceBook

        try:
            _BOOK = PriceBook.load()
        except Exception:  # noqa: BLE001 - a broken user config must not stop estimates
            _BOOK = PriceBook.shipped()
    return _BOOK


def price_row(store: Store, provider: str, model: str | None) -> PriceRow | None:
    """The price row for (provider, model), or None if the model is not priced."""
    if not model:
        return None
    lookup = getattr(store, "price_for", None)
    row: PriceRow | None = lookup(provider, model) if callable(lookup) else price_book(store).lookup(provider, model)
    return row


def unpriced_models(store: Store, provider: str, models: Iterable[str | None]) -> list[str]:
    """The named models the price book has no `provider` price for (a typo, or a model of
    another provider), sorted: their costs will show as unpriced."""
    return sorted({m for m in models if m and price_row(store, provider, m) is None})


def about(cost: float | None) -> str:
    """An estimated cost in words: "about $0.0038", or "unknown" (never $0 for unpriced)."""
    return fmt_about(cost)


def unpriced_note(provider: str, models: list[str]) -> str:
    """What an operator should know about `unpriced_models`, in one clause."""
    names = ", ".join(models)
    return (f"no {provider} price for {names}: check the model name; costs will show as "
            "unpriced until the price book has it")


def estimate_tokens(chars: int) -> int:
    return max(1, round(chars * TOKENS_PER_CHAR)) if chars else 0


class TokenTally:
    """Estimated tokens summed per model, priced once per model and route at the end.

    Cost is linear in tokens (rates x counts), so pricing the sums equals pricing every request
    and adding up; it is what keeps an estimate over 50,000 items well under a second. A route's
    total is None (unpriced, never $0) when any model with requests has no price.
    """

    def __init__(self, store: Store, provider: str) -> None:
        self.store = store
        self.provider = provider
        self.tokens: dict[str | None, list[int]] = {}
        self.input_tokens = 0
        self.output_tokens = 0

    def add(self, model: str | None, input_tokens: int, output_tokens: int) -> None:
        sums = self.tokens.get(model)
        if sums is None:
            sums = self.tokens[model] = [0, 0]
        sums[0] += input_tokens
        sums[1] += output_tokens
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens

    def unpriced_models(self) -> list[str]:
        """The tallied models with no price for this provider (see `unpriced_models`)."""
        return unpriced_models(self.store, self.provider, self.tokens)

    def total(self, tier: PriceTier | str) -> float | None:
        total = 0.0
        for model, (i_tok, o_tok) in self.tokens.items():
            c = cost(Usage(input_tokens=i_tok, output_tokens=o_tok),
                     price_row(self.store, self.provider, model), tier)
            if c is None:
                return None
            total += c
        return total

