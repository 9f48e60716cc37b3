"""The price book: shipped list prices (prices.toml) plus the user's overrides, and lookup.

Lookup is by provider and model. Providers report dated model ids (`claude-sonnet-5-5-20260928`,
`gpt-6-luna-2026-09-22`, Vertex's `claude-haiku-4-5@20251001`, Gemini's `models/gemini-2.5-flash`)
while the book lists the undated family name: a dated id falls back to its family. Anything else
is unpriced (`None`), which the ledger counts apart, never as $0.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import fields
from functools import lru_cache
from importlib import resources
from typing import Any

from store.model import PriceRow

_FIELDS = {f.name for f in fields(PriceRow)}
_IGNORED = {"note"}  # free-text documentation in the TOML
_REQUIRED = ("provider", "model", "input", "output")

# Services that bill under another provider's price list.
PROVIDER_ALIASES = {"vertex": "gemini"}

# A trailing date: -2026-09-22, -20260928, @20251001.
_DATE_SUFFIX = re.compile(r"(?:[-@]\d{4}-\d{2}-\d{2}|[-@]\d{8})$")


class PriceBookError(ValueError):
    """A price row that cannot be used (missing or non-numeric field)."""


def row_from_mapping(data: Mapping[str, Any], *, where: str) -> PriceRow:
    """Validate one `[[prices]]` table into a PriceRow."""
    unknown = set(data) - _FIELDS - _IGNORED
    if unknown:
        raise PriceBookError(f"{where}: unknown price field(s) {', '.join(sorted(unknown))}")
    for name in _REQUIRED:
        if name not in data:
            raise PriceBookError(f"{where}: price row lacks {name!r}")
    values = {k: v for k, v in data.items() if k in _FIELDS}
    for name, value in values.items():
        if name in ("provider", "model", "source", "effective"):
            if not isinstance(value, str):
                raise PriceBookError(f"{where}: {name} must be a string")
        elif not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise PriceBookError(f"{where}: {name} must be a non-negative number")
        else:
            values[name] = float(value)
    return PriceRow(**values)


def normalize_model(model: str) -> str:
    """Lower-case, without the `models/` prefix Gemini puts on names."""
    model = model.strip().lower()
    return model.removeprefix("models/")


class PriceBook:
    """Price rows keyed by (provider, model); later rows override earlier ones."""

    def __init__(self, rows: Iterable[PriceRow] = ()) -> None:
        self._rows: dict[tuple[str, str], PriceRow] = {}
        self.origins: dict[tuple[str, str], str] = {}
        self.add(rows, origin="book")

    def add(self, rows: Iterable[PriceRow], *, origin: str) -> None:
        for row in rows:
            key = (row.provider.lower(), normalize_model(row.model))
            self._rows[key] = row
            self.origins[key] = origin

    def rows(self) -> list[PriceRow]:
        return [self._rows[k] for k in sorted(self._rows)]

    def lookup(self, provider: str | None, model: str | None) -> PriceRow | None:
        """The row for this provider and model, trying the undated family name second."""
        if not provider or not model:
            return None
        provider = PROVIDER_ALIASES.get(provider.lower(), provider.lower())
        name = normalize_model(model)
        row = self._rows.get((provider, name))
        if row is None:
            undated = _DATE_SUFFIX.sub("", name)
            if undated != name:
                row = self._rows.get((provider, undated))
        return row

    def __len__(self) -> int:
        return len(self._rows)

    # ---- loading -----------------------------------------------------------------------
    @classmethod
    def shipped(cls) -> PriceBook:
        """The book shipped inside the package (store/prices.toml)."""
        return cls(_shipped_rows())

    @classmethod
    def load(cls, overrides: Iterable[PriceRow] | None = None) -> PriceBook:
        """The shipped book plus `overrides`; by default the user config's [[prices]] rows."""
        book = cls.shipped()
        if overrides is None:
            from store.config import load_config  # config imports prices, not the reverse

            overrides = load_config().prices
        book.add(overrides, origin="config")
        return book


def rows_from_toml(text: str, *, where: str) -> list[PriceRow]:
    data = tomllib.loads(text)
    tables = data.get("prices", [])
    if not isinstance(tables, list):
        raise PriceBookError(f"{where}: 'prices' must be an array of tables ([[prices]])")
    return [row_from_mapping(t, where=f"{where} [[prices]] #{i + 1}") for i, t in enumerate(tables)]


@lru_cache(maxsize=1)
def _shipped_rows() -> tuple[PriceRow, ...]:
    text = resources.files("store").joinpath("prices.toml").read_text(encoding="utf-8")
    return tuple(rows_from_toml(text, where="store/prices.toml"))
