"""Ingest writes a row without an error (no error column set) through its own, shorter
statement and the others through the full one (store/result_rows.py `CLEAN_ROW`): the two
shapes must land exactly as one statement would, in line order when a custom_id repeats."""

from __future__ import annotations

import pytest

from store.model import BatchStatus, ErrorClass, ItemResult, ItemStatus, Usage
from store.result_rows import build_chunks

from .helpers import T0, intent, remote
from .test_savings import _kept, _recomputed


def clean(cid: str, it: int = 1000, offset: int | None = None) -> ItemResult:
    """A success as the adapters give it: no HTTP status, no error field."""
    return ItemResult(cid, ItemStatus.SUCCEEDED, Usage(it, 200, 0, 0), offset=offset,
                      length=None if offset is None else 10)


def rate_limited(cid: str) -> ItemResult:
    return ItemResult(cid, ItemStatus.ERRORED, error_type="rate_limit_exceeded", error_message="slow down",
                      http_status=429, error_class=ErrorClass.RETRYABLE)


def _row(store, bid: int, cid: str) -> tuple:
    return store.conn.execute(
        "SELECT status, result_status, error_type, error_message, http_status, error_class, input_tokens,"
        " batch_cost IS NOT NULL FROM items WHERE batch_id = ? AND custom_id = ?", (bid, cid)).fetchone()


def _tracked(store) -> int:
    return store.upsert_tracked(remote(pid="shapes", status=BatchStatus.COMPLETED, raw="completed"),
                                profile="default", now=T0)[0]


def _submitted(store, ids: list[str]) -> int:
    bid = intent(store, token="shapes", n=len(ids))
    store.attach_remote(bid, remote(pid="shapes", status=BatchStatus.COMPLETED, raw="completed"), now=T0)
    store.add_items(bid, [(cid, "{}") for cid in ids])
    return bid


@pytest.mark.parametrize("kind", ["tracked", "submitted"])
def test_clean_and_failed_rows_of_one_chunk_land_as_written(store, kind):
    lines = [clean("a"), rate_limited("b"), clean("c", it=3000)]
    bid = _tracked(store) if kind == "tracked" else _submitted(store, ["a", "b", "c"])
    stats = store.ingest_results(bid, lines, results_path=None, now=T0)
    assert stats.lines == 3
    assert _row(store, bid, "a") == ("succeeded", "succeeded", None, None, None, None, 1000, 1)
    assert _row(store, bid, "b") == ("errored", "errored", "rate_limit_exceeded", "slow down", 429, "retryable",
                                     None, 1)
    assert _row(store, bid, "c")[6] == 3000
    assert _kept(store) == _recomputed(store)


@pytest.mark.parametrize("kind", ["tracked", "submitted"])
@pytest.mark.parametrize("first_fails", [True, False])
def test_a_custom_id_answered_twice_in_one_chunk_keeps_its_last_line(store, kind, first_fails):
    # One line of each shape for the same id: written by two statements, the later line must
    # still win, and the rollup must count the item once.
    pair = [rate_limited("x"), clean("x", it=7000)] if first_fails else [clean("x", it=7000), rate_limited("x")]
    lines = [clean("w"), *pair, clean("y")]
    bid = _tracked(store) if kind == "tracked" else _submitted(store, ["w", "x", "y"])
    stats = store.ingest_results(bid, lines, results_path=None, now=T0)
    assert stats.lines == 4
    row = _row(store, bid, "x")
    if first_fails:
        assert row == ("succeeded", "succeeded", None, None, None, None, 7000, 1)
    else:
        assert row[:5] == ("errored", "errored", "rate_limit_exceeded", "slow down", 429)
    assert store.conn.execute("SELECT count(*) FROM items WHERE batch_id = ?", (bid,)).fetchone() == (3,)
    assert _kept(store) == _recomputed(store)


def test_a_chunk_reaches_the_end_of_its_furthest_line(store):
    from store.prices import PriceBook

    lines = [clean("a", offset=0), rate_limited("b"), clean("c", offset=40), clean("d", offset=20)]
    chunks = list(build_chunks(PriceBook.shipped(), "openai", "gpt-6-luna", lines, size=3))
    assert [(c.lines, c.reach) for c in chunks] == [(3, 50), (1, 30)]
    assert [len(c.clean) for c in chunks] == [2, 1] and [len(c.rows) for c in chunks] == [1, 0]
    # every row in the full shape, in line order, for the general write path
    full = chunks[0].all_rows()
    assert [(r[1], r[5]) for r in full] == [("a", None), ("b", "rate_limit_exceeded"), ("c", None)]


@pytest.mark.parametrize("kind", ["tracked", "submitted"])
def test_clean_rows_written_many_per_statement_land_one_by_one(store, kind):
    from store.ingest import ROWS_PER_INSERT

    n = 2 * ROWS_PER_INSERT + 22  # two whole statements and a rest written one by one
    ids = [f"r{i:03d}" for i in range(n)]
    lines = [clean(cid, it=100 + i, offset=i * 10) for i, cid in enumerate(ids)]
    lines.insert(5, clean(ids[9], it=9999))  # r009 twice, in one statement: its later line wins
    bid = _tracked(store) if kind == "tracked" else _submitted(store, ids)
    stats = store.ingest_results(bid, lines, results_path=None, now=T0)
    assert stats.lines == n + 1
    got = dict(store.conn.execute(
        "SELECT custom_id, input_tokens FROM items WHERE batch_id = ? AND status = 'succeeded'", (bid,)))
    assert got == {cid: 100 + i for i, cid in enumerate(ids)}
    if kind == "tracked":  # created in line order: seq is the line number
        seqs = dict(store.conn.execute("SELECT custom_id, seq FROM items WHERE batch_id = ?", (bid,)))
        assert seqs["r000"] == 0 and seqs[ids[-1]] == n  # the repeated line took seq 5
    assert _kept(store) == _recomputed(store)


def test_a_line_for_an_id_the_batch_never_had_is_added_and_counted_once(store):
    bid = _submitted(store, ["a", "b"])
    stats = store.ingest_results(bid, [clean("a"), clean("stranger"), clean("b")], results_path=None, now=T0)
    assert (stats.lines, stats.inserted) == (3, 1)
    assert _row(store, bid, "stranger")[0] == "succeeded"
    assert store.savings(by="batch")[0].items == 3
    assert _kept(store) == _recomputed(store)
