"""Reads: batches, their timeline, item pages, failures. Plain SQL on indexed columns.

Item pages never load request bodies; `get_item` and `failed_items` (which resubmission
needs) do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from store.model import (
    FAILED_ITEM_STATUSES,
    TERMINAL_BATCH_STATUSES,
    Batch,
    BatchStatus,
    ErrorClass,
    ErrorGroup,
    Item,
)
from store.rows import (
    BATCH_SELECT,
    ITEM_SELECT,
    ITEM_SELECT_WITH_REQUEST,
    batch_from_row,
    item_from_row,
)

_TERMINAL = tuple(str(s) for s in TERMINAL_BATCH_STATUSES)
_TERMINAL_SQL = "(" + ", ".join(f"'{s}'" for s in sorted(_TERMINAL)) + ")"
_FAILED_SQL = "(" + ", ".join(f"'{s}'" for s in sorted(FAILED_ITEM_STATUSES)) + ")"
_NEWEST_FIRST = " ORDER BY coalesce(created_at, updated_at, 0) DESC, id DESC"


def get_batch(conn: sqlite3.Connection, ref: int | str) -> Batch | None:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        row = conn.execute(BATCH_SELECT + " WHERE id = ?", (int(ref),)).fetchone()
        if row is not None or isinstance(ref, int):
            return batch_from_row(row) if row else None
    row = conn.execute(
        BATCH_SELECT + " WHERE provider_batch_id = ? ORDER BY id DESC LIMIT 1", (str(ref),)
    ).fetchone()
    return batch_from_row(row) if row else None


def list_batches(conn: sqlite3.Connection, *, status: str | Iterable[str] | None = None,
                 provider: str | None = None, label: str | None = None,
                 active_only: bool = False) -> list[Batch]:
    where, args = [], []
    if status is not None:
        statuses = [status] if isinstance(status, str) else [str(s) for s in status]
        where.append(f"status IN ({', '.join('?' * len(statuses))})")
        args.extend(statuses)
    if provider is not None:
        where.append("provider = ?")
        args.append(provider)
    if label is not None:
        where.append("label = ?")
        args.append(label)
    if active_only:
        where.append(f"status NOT IN {_TERMINAL_SQL}")
    sql = BATCH_SELECT + (" WHERE " + " AND ".join(where) if where else "") + _NEWEST_FIRST
    return [batch_from_row(r) for r in conn.execute(sql, args)]


def batches_to_sync(conn: sqlite3.Connection) -> list[Batch]:
    sql = (
        BATCH_SELECT
        + f""" WHERE provider_batch_id IS NOT NULL
               AND (status NOT IN {_TERMINAL_SQL} OR ingested_at IS NULL)"""
        + " ORDER BY id"
    )
    return [batch_from_row(r) for r in conn.execute(sql)]


def pending_intents(conn: sqlite3.Connection) -> list[Batch]:
    sql = BATCH_SELECT + " WHERE status = ? ORDER BY id"
    return [batch_from_row(r) for r in conn.execute(sql, (str(BatchStatus.SUBMITTING),))]


def children(conn: sqlite3.Connection, batch_id: int) -> list[Batch]:
    sql = BATCH_SELECT + " WHERE parent_id = ? ORDER BY id"
    return [batch_from_row(r) for r in conn.execute(sql, (batch_id,))]


def status_history(conn: sqlite3.Connection, batch_id: int) -> list[tuple[float, str, str | None]]:
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT at, status, raw_status FROM batch_status_history WHERE batch_id = ? ORDER BY at, id",
            (batch_id,),
        )
    ]


# ---- items ---------------------------------------------------------------------------
# Repeated verbatim from the partial index items_not_ok so that SQLite can use it.
_NOT_OK = "status NOT IN ('pending', 'succeeded')"


def _item_filter(batch_id: int, status: str | None, error_type: str | None) -> tuple[str, list[object]]:
    where: list[str] = ["batch_id = ?"]
    args: list[object] = [batch_id]
    if status is not None:
        where.append("status = ?")
        args.append(str(status))
        if str(status) not in ("pending", "succeeded"):
            where.append(_NOT_OK)
    if error_type is not None:
        where.append("error_type = ?")
        args.append(error_type)
    return " WHERE " + " AND ".join(where), args


def count_items(conn: sqlite3.Connection, batch_id: int, *, status: str | None = None,
                error_type: str | None = None) -> int:
    if status is None and error_type is None:
        row = conn.execute("SELECT item_count FROM batches WHERE id = ?", (batch_id,)).fetchone()
        return row[0] if row else 0
    where, args = _item_filter(batch_id, status, error_type)
    return int(conn.execute("SELECT count(*) FROM items" + where, args).fetchone()[0])


def page_items(conn: sqlite3.Connection, batch_id: int, *, offset: int, limit: int,
               status: str | None = None, error_type: str | None = None) -> list[Item]:
    if status is None and error_type is None and _seq_is_dense(conn, batch_id):
        # Our own batches number items 0..n-1: a page is a range on the (batch_id, seq) index.
        rows = conn.execute(
            ITEM_SELECT + " WHERE batch_id = ? AND seq >= ? AND seq < ? ORDER BY seq",
            (batch_id, offset, offset + limit),
        )
    else:
        # Filtered pages skip `offset` index entries (no table rows), so deep pages stay cheap.
        where, args = _item_filter(batch_id, status, error_type)
        rows = conn.execute(ITEM_SELECT + where + " ORDER BY seq LIMIT ? OFFSET ?", [*args, limit, offset])
    return [item_from_row(r) for r in rows]


def _seq_is_dense(conn: sqlite3.Connection, batch_id: int) -> bool:
    # min and max are single index probes; the kept item_count spares a count(*) scan. A stale
    # count (a crash mid-ingest) can only make this say "not dense": slower, never wrong.
    row = conn.execute(
        "SELECT (SELECT min(seq) FROM items WHERE batch_id = :b),"
        " (SELECT max(seq) FROM items WHERE batch_id = :b),"
        " (SELECT item_count FROM batches WHERE id = :b)",
        {"b": batch_id},
    ).fetchone()
    lo, hi, n = row
    return lo is None or (lo == 0 and hi == (n or 0) - 1)


def get_item(conn: sqlite3.Connection, item_id: int) -> Item | None:
    row = conn.execute(ITEM_SELECT_WITH_REQUEST + " WHERE id = ?", (item_id,)).fetchone()
    return item_from_row(row) if row else None


def request_bodies(conn: sqlite3.Connection, item_ids: Iterable[int]) -> dict[int, str]:
    """item id -> stored request body, for those of `item_ids` that have one."""
    out: dict[int, str] = {}
    ids = list(item_ids)
    for start in range(0, len(ids), 500):  # stay well under SQLite's variable limit
        part = ids[start:start + 500]
        out.update(conn.execute(
            f"SELECT item_id, body FROM item_requests WHERE item_id IN ({', '.join('?' * len(part))})",
            part,
        ).fetchall())
    return out


def item_requests(conn: sqlite3.Connection, batch_id: int) -> list[tuple[str, str]]:
    """(custom_id, request body) of every item of a batch that has one, in seq order."""
    return conn.execute(
        "SELECT i.custom_id, r.body FROM items i JOIN item_requests r ON r.item_id = i.id "
        "WHERE i.batch_id = ? ORDER BY i.seq", (batch_id,)).fetchall()


def partly_sent_jobs(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    """job id -> (batches the provider has, batches of the job), for split jobs some of whose
    batches are still unsent intents (a submit stopped between them)."""
    return {job: (sent, total) for job, sent, total in conn.execute(
        "SELECT job_id, sum(provider_batch_id IS NOT NULL), count(*) FROM batches WHERE job_id IS NOT NULL "
        "GROUP BY job_id HAVING count(*) > 1 AND sum(status = 'submitting') > 0")}


def find_items(conn: sqlite3.Connection, batch_id: int, custom_ids: Iterable[str], *,
               with_request: bool = True) -> list[Item]:
    found: list[Item] = []
    ids = list(custom_ids)
    select = ITEM_SELECT_WITH_REQUEST if with_request else ITEM_SELECT
    for start in range(0, len(ids), 500):  # stay well under SQLite's variable limit
        part = ids[start:start + 500]
        found.extend(
            item_from_row(r)
            for r in conn.execute(
                select
                + f" WHERE batch_id = ? AND custom_id IN ({', '.join('?' * len(part))})",
                [batch_id, *part],
            )
        )
    found.sort(key=lambda item: item.seq)
    return found


def failed_items(conn: sqlite3.Connection, batch_id: int, *, include_permanent: bool = False) -> list[Item]:
    sql = ITEM_SELECT_WITH_REQUEST + (
        f" WHERE batch_id = ? AND status IN {_FAILED_SQL} AND {_NOT_OK} AND replaced_by IS NULL"
    )
    args: list[object] = [batch_id]
    if not include_permanent:
        # An unclassified failure counts as retryable (see adapters.lifecycle.classify_error).
        sql += " AND coalesce(error_class, ?) = ?"
        args += [str(ErrorClass.RETRYABLE), str(ErrorClass.RETRYABLE)]
    return [item_from_row(r) for r in conn.execute(sql + " ORDER BY seq", args)]


def error_groups(conn: sqlite3.Connection, batch_id: int) -> list[ErrorGroup]:
    rows = conn.execute(
        f"""SELECT coalesce(error_type, status), error_class, count(*) FROM items
            WHERE batch_id = ? AND status IN {_FAILED_SQL} AND {_NOT_OK}
            GROUP BY 1, 2 ORDER BY 3 DESC, 1""",
        (batch_id,),
    )
    return [ErrorGroup(t, ErrorClass(c) if c else None, n) for t, c, n in rows]


def raw_result(conn: sqlite3.Connection, item_id: int) -> str | None:
    row = conn.execute(
        """SELECT f.path, i.result_offset, i.result_length FROM items i
           JOIN result_files f ON f.id = i.result_file WHERE i.id = ?""",
        (item_id,),
    ).fetchone()
    if row is None or row[1] is None or row[2] is None:
        return None
    path, offset, length = row
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read(length)
    except OSError:
        return None
    return data.decode("utf-8", errors="replace").rstrip("\r\n")
