"""Result lines as row tuples for the items table: the pure half of ingest (no database).

`build_chunks` turns ItemResults into `RowChunk`s of up to INGEST_CHUNK row tuples, costed from
per-model rates computed once, each chunk sorted by custom_id and carrying its own rollup
contribution. It touches no database (store/ingest.py writes the chunks).

A row without an error (most of them) leaves out the four error columns (`CLEAN_ROW`): Python's
sqlite3 binds None through its adapter lookup (a tuple built and two attribute lookups), about
0.3 us per value, so four Nones cost a success row ~1 us, a quarter of its write (measured,
tests/providers/bench_results.py); the statement writes NULL for them instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from store import ledger
from store.items import CHUNK
from store.model import ErrorClass, ItemResult, ItemStatus
from store.prices import PriceBook

# Plain str values: sqlite3 binds a str subclass (our StrEnums) through its adapter lookup,
# which measurably slows the ingest loop.
_PLAIN: dict[object, str | None] = {**{s: str(s) for s in ItemStatus}, **{c: str(c) for c in ErrorClass}, None: None}
INGEST_CHUNK = 4 * CHUNK
"""Result rows per write transaction (a few MB of tuples)."""
_RETRYABLE_BY_STATUS = {ItemStatus.EXPIRED: "retryable", ItemStatus.CANCELED: "retryable"}

ROW = ("seq", "custom_id", "status", "model", "error_class", "error_type", "error_message",
       "http_status", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
       "batch_cost", "realtime_cost", "result_offset", "result_length", "truncated")
"""The values of one row tuple, in order (?1 .. ?17 in the statements); seq is relative to
its chunk's first line."""
ERROR_COLUMNS = ("error_class", "error_type", "error_message", "http_status")
CLEAN_ROW = tuple(c for c in ROW if c not in ERROR_COLUMNS)
"""A row whose four error columns are all NULL, without them (13 values)."""
_CUSTOM_ID = itemgetter(ROW.index("custom_id"))
_LINE_ORDER = itemgetter(ROW.index("custom_id"), ROW.index("seq"))
_NO_ERROR = (None,) * len(ERROR_COLUMNS)
_CUT = ROW.index(ERROR_COLUMNS[0])


@dataclass(slots=True)
class RowChunk:
    """Up to INGEST_CHUNK consecutive result lines as row tuples, each list sorted by custom_id:
    `clean` (`CLEAN_ROW`: no error column set) and `rows` (`ROW`: the others).

    `sums[model]` is the chunk's rollup contribution: items, priced, unpriced, not succeeded,
    batch $, realtime $, input tokens, output tokens. `reach`: the byte just past the last line
    the rows came from (0 without offsets), the checkpoint committed with them.
    """

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    clean: list[tuple[Any, ...]] = field(default_factory=list)
    lines: int = 0
    unpriced: int = 0
    reach: int = 0
    sums: dict[str | None, list[Any]] = field(default_factory=dict)

    def all_rows(self) -> list[tuple[Any, ...]]:
        """Every row as a `ROW` tuple, in (custom_id, line) order: a custom_id's duplicate
        lines in the order the file has them (for the general write path, where it matters)."""
        cut = _CUT
        rows = [(*r[:cut], *_NO_ERROR, *r[cut:]) for r in self.clean]
        rows += self.rows
        rows.sort(key=_LINE_ORDER)
        return rows


def build_chunks(book: PriceBook, provider: str, batch_model: str | None,
                 results: Iterable[ItemResult], size: int | None = None) -> Iterator[RowChunk]:
    """Result lines as RowChunks of up to `size` (default INGEST_CHUNK) lines, costed.

    The hot loop: one tuple per line; the model's per-token rates and accumulator are looked
    up only when the model differs from the previous line's.
    """
    size = size or INGEST_CHUNK  # read now, so a test can shrink chunks for a whole process
    rates_by_model: dict[str | None, tuple[float, ...] | None] = {}
    chunk = RowChunk()
    rows, clean, sums = chunk.rows, chunk.clean, chunk.sums
    last_model: object = object()
    rates: tuple[float, ...] | None = None
    acc: list[Any] = []
    seq = reach = 0
    for r in results:
        model = r.model or batch_model
        if model != last_model:
            last_model = model
            if model not in rates_by_model:
                rates_by_model[model] = ledger.rate_tuple(book.lookup(provider, model))
            rates = rates_by_model[model]
            acc = sums.get(model) or sums.setdefault(model, [0, 0, 0, 0, 0.0, 0.0, 0, 0])
        status = r.status
        plain = _PLAIN[status]
        u = r.usage
        acc[0] += 1
        if u is None:
            it = ot = cr = cw = None
        else:
            it, ot, cr, cw = u.input_tokens, u.output_tokens, u.cache_read_tokens, u.cache_write_tokens
            acc[6] += it + cr + cw
            acc[7] += ot
        if rates is None or (plain == "succeeded" and u is None):
            # Unknown, one way (None): an unpriced model, or a billed result without usage
            # (store/ledger.py `item_costs`, the same rule).
            chunk.unpriced += 1
            acc[2] += 1
            bc = rc = None
        else:
            acc[1] += 1
            if plain == "succeeded" and u is not None:
                # it..cw are u's counts here (u is not None); no narrowing in the hot loop
                bc = it * rates[0] + ot * rates[1] + cr * rates[2] + cw * rates[3]  # type: ignore[operator]
                rc = it * rates[4] + ot * rates[5] + cr * rates[6] + cw * rates[7]  # type: ignore[operator]
                acc[4] += bc
                acc[5] += rc
            else:
                bc = rc = 0.0
        if plain != "succeeded":
            acc[3] += 1
        ec = r.error_class
        eclass = _PLAIN[ec] if ec is not None else _RETRYABLE_BY_STATUS.get(status)
        etype, message, http = r.error_type, r.error_message, r.http_status
        offset, length = r.offset, r.length
        if offset is not None and length is not None and offset + length > reach:
            reach = offset + length
        if eclass is None and etype is None and message is None and http is None:
            clean.append((seq, r.custom_id, plain, model, it, ot, cr, cw, bc, rc, offset, length,
                          1 if r.truncated else 0))
        else:
            rows.append((seq, r.custom_id, plain, model, eclass, etype, message, http, it, ot, cr, cw,
                         bc, rc, offset, length, 1 if r.truncated else 0))
        seq += 1
        if seq == size:
            chunk.lines, chunk.reach = seq, reach
            # Results arrive in completion order, i.e. scattered over the batch's rows: in
            # key order each index and table page is visited once per chunk (~2x faster).
            # The sort is stable, so duplicate lines of one custom_id keep their order.
            clean.sort(key=_CUSTOM_ID)
            rows.sort(key=_CUSTOM_ID)
            yield chunk
            chunk = RowChunk()
            rows, clean, sums = chunk.rows, chunk.clean, chunk.sums
            last_model, seq, reach = object(), 0, 0
    if seq:
        chunk.lines, chunk.reach = seq, reach
        clean.sort(key=_CUSTOM_ID)
        rows.sort(key=_CUSTOM_ID)
        yield chunk
