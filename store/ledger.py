"""Cost and savings arithmetic: pure functions, no I/O.

Usage is normalized (store.model.Usage): `input_tokens` excludes cache reads and writes, so a
cost is four token counts times four per-token rates. The rates for a tier come from a PriceRow:

- standard: the list prices; a missing cached-input or cache-write price bills those tokens
  at the input price (the provider documents no separate rate).
- batch: the row's explicit batch price where it has one, else list x (1 - batch_discount),
  except cache reads on providers whose discounts do not stack (CACHE_READS_DISCOUNTED_IN_BATCH).
- flex / priority: list x the row's multiplier; a row without one has no price for that tier.

Reference §11, per provider:
- OpenAI: batch halves input, output, cached input and cache writes (the discounts stack).
- Anthropic: batch halves everything including cache reads and writes.
- Gemini: on 2.5 models cached input in batch costs the standard cached price (not halved);
  3.x is mixed, so those rows carry an explicit batch_cached_input.
- Fireworks: an extra 50% off cached tokens in batch (the default rule).
- Mistral, Together, Groq: flat 50% (UNCONFIRMED for cached tokens; the default rule).

Who pays what: only a succeeded request is billed. Errored, expired and canceled requests cost
0.0 when the model is priced; an unknown model costs None ("unpriced"), never $0.

One cost rule (`cost`) for ingest, estimates and promotions, and one way to say "unknown": None.
Unknown are: a model without a price row, a tier the row has no price for (flex or priority
without a multiplier: never guessed from another tier), and billed usage that was not reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.model import ItemStatus, PriceRow, PriceTier, Usage

PER_TOKENS = 1_000_000
"""Prices are quoted per million tokens."""

CACHE_READS_DISCOUNTED_IN_BATCH: dict[str, bool] = {"gemini": False, "vertex": False}
"""Providers whose batch discount does not apply to cached input (default: it does)."""

BILLED_STATUSES = frozenset({ItemStatus.SUCCEEDED})


@dataclass(frozen=True, slots=True)
class Rates:
    """USD per 1M tokens for each of the four token kinds, at one tier."""

    input: float
    output: float
    cache_read: float
    cache_write: float

    def cost(self, usage: Usage) -> float:
        return (
            usage.input_tokens * self.input
            + usage.output_tokens * self.output
            + usage.cache_read_tokens * self.cache_read
            + usage.cache_write_tokens * self.cache_write
        ) / PER_TOKENS


def standard_rates(row: PriceRow) -> Rates:
    return Rates(
        input=row.input,
        output=row.output,
        cache_read=row.input if row.cached_input is None else row.cached_input,
        cache_write=row.input if row.cache_write is None else row.cache_write,
    )


def batch_rates(row: PriceRow) -> Rates:
    std = standard_rates(row)
    keep = 1.0 - row.batch_discount
    reads_discounted = CACHE_READS_DISCOUNTED_IN_BATCH.get(row.provider, True)

    def pick(explicit: float | None, list_price: float, discounted: bool = True) -> float:
        if explicit is not None:
            return explicit
        return list_price * keep if discounted else list_price

    return Rates(
        input=pick(row.batch_input, std.input),
        output=pick(row.batch_output, std.output),
        cache_read=pick(row.batch_cached_input, std.cache_read, reads_discounted),
        cache_write=pick(row.batch_cache_write, std.cache_write),
    )


def tier_rates(row: PriceRow, tier: PriceTier | str) -> Rates | None:
    """The rates for `tier`, or None when the row has no price for it."""
    tier = PriceTier(tier)
    if tier is PriceTier.STANDARD:
        return standard_rates(row)
    if tier is PriceTier.BATCH:
        return batch_rates(row)
    factor = row.flex_multiplier if tier is PriceTier.FLEX else row.priority_multiplier
    if factor is None:
        return None
    std = standard_rates(row)
    return Rates(std.input * factor, std.output * factor, std.cache_read * factor, std.cache_write * factor)


def cost(usage: Usage | None, row: PriceRow | None, tier: PriceTier | str) -> float | None:
    """What `usage` costs at `tier`; None (unknown) when the model or the tier is unpriced, or
    when the usage was not reported. The one cost rule: ingest, estimates and promotions."""
    if row is None or usage is None:
        return None
    rates = tier_rates(row, tier)
    if rates is None:
        return None
    return rates.cost(usage)


def item_costs(
    status: ItemStatus | str, usage: Usage | None, row: PriceRow | None
) -> tuple[float | None, float | None]:
    """(batch cost, realtime-equivalent cost at the standard tier) of one batch result.

    Only succeeded requests are billed; the others cost 0.0 (priced) or None (unpriced). A
    succeeded request without usage costs None: billed, but by how much is unknown.
    """
    if row is None:
        return None, None
    if status not in BILLED_STATUSES:
        return 0.0, 0.0
    return cost(usage, row, PriceTier.BATCH), cost(usage, row, PriceTier.STANDARD)


def savings(
    realtime_cost: float | None, batch_cost: float | None, promoted_cost: float | None = None
) -> float | None:
    """Realized savings of one item: realtime-equivalent − batch − what a promotion paid.

    Negative when a promotion cost more than batch saved (e.g. a priority call, or a batch
    copy that finished and was billed as well). None when unpriced.
    """
    if realtime_cost is None or batch_cost is None:
        return None
    return realtime_cost - batch_cost - (promoted_cost or 0.0)


def promotion_costs(
    usage: Usage | None, row: PriceRow | None, tier: PriceTier | str
) -> tuple[float | None, float | None]:
    """(what a realtime call at `tier` paid, its standard-tier equivalent) for record_promotion."""
    return cost(usage, row, tier), cost(usage, row, PriceTier.STANDARD)


def rate_tuple(row: PriceRow | None) -> tuple[float, ...] | None:
    """Batch then standard rates as 8 floats per token (for the ingest hot loop)."""
    if row is None:
        return None
    b, s = batch_rates(row), standard_rates(row)
    return tuple(
        x / PER_TOKENS
        for x in (b.input, b.output, b.cache_read, b.cache_write, s.input, s.output, s.cache_read, s.cache_write)
    )
