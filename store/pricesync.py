"""Mirror the in-memory price book into the `prices` table, so the file explains its costs.

Ingest costs items with the book in memory; the table is what the console's price view and
anyone inspecting the file with `sqlite3` read. Rewritten only when it differs, so opening a
store read-mostly (the console) does not take the write lock for nothing.
"""

from __future__ import annotations

from dataclasses import astuple, fields

from store.db import ThreadConnections
from store.model import PriceRow
from store.prices import PriceBook, normalize_model

_COLUMNS = tuple(f.name for f in fields(PriceRow))


def _rows(book: PriceBook) -> list[tuple[object, ...]]:
    out = []
    for row in book.rows():
        key = (row.provider.lower(), normalize_model(row.model))
        values = astuple(row)
        out.append((*values, book.origins.get(key, "book")))
    return sorted(out, key=lambda r: (r[0], r[1]))


def mirror_prices(db: ThreadConnections, book: PriceBook) -> bool:
    """Make the table equal the book; return True if it had to be rewritten."""
    wanted = _rows(book)
    select = f"SELECT {', '.join(_COLUMNS)}, origin FROM prices ORDER BY provider, model"
    if [tuple(r) for r in db.get().execute(select)] == wanted:
        return False
    marks = ", ".join("?" * (len(_COLUMNS) + 1))
    with db.transaction() as conn:
        conn.execute("DELETE FROM prices")
        conn.executemany(f"INSERT INTO prices ({', '.join(_COLUMNS)}, origin) VALUES ({marks})", wanted)
    return True
