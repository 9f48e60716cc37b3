"""`batchdeck query SQL` and `batchdeck info`: the store file read as SQL, for the questions no
screen answers. Both open the file read-only (store/readonly.py); neither creates, migrates or
writes it. The schema is documented in README "The store"."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from typing import Any

from console.cli.io import EXIT_OK, emit_json, isatty, out, table
from console.engine.types import BadInput
from console.format.numbers import fmt_int
from console.format.textclean import clean

TABLE_ROWS = 1000
"""`--format table` lays out columns, so it holds its rows: past this many it stops and says so
(csv and json stream every row)."""


def _store_path(args: argparse.Namespace) -> Any:
    from store.paths import db_path

    return db_path(args.db)


def _bad_input(exc: Exception) -> BadInput:
    return BadInput(str(exc).rstrip("."))


def cmd_query(args: argparse.Namespace) -> int:
    from store import readonly

    try:
        columns, rows = readonly.query(_store_path(args), args.sql)
        if args.format == "json":
            _json(columns, rows)
        elif args.format == "csv":
            _csv(columns, rows)
        else:
            _table(columns, rows)
    except (readonly.NoStore, readonly.QueryRefused, readonly.QueryFailed) as exc:
        raise _bad_input(exc) from None
    return EXIT_OK


def _json(columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    # Streamed, one object per row, so a million rows never sit in memory.
    write = sys.stdout.write
    write("[")
    n = 0
    for n, row in enumerate(rows, start=1):
        write(("," if n > 1 else "") + "\n  " + json.dumps(dict(zip(columns, row, strict=True)), default=str))
    write("\n]\n" if n else "]\n")


def _csv(columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    # On a terminal, control characters in stored provider text are shown, never sent.
    terminal = isatty(sys.stdout)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    if terminal:
        rows = (tuple(clean(v) if isinstance(v, str) else v for v in row) for row in rows)
    writer.writerows(rows)


def _table(columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    held: list[list[Any]] = []
    more = False
    for row in rows:
        if len(held) == TABLE_ROWS:
            more = True
            break
        held.append(list(row))
    if not columns:
        return
    table(columns, held)
    if more:
        sys.stderr.write(f"batchdeck: showing the first {TABLE_ROWS:,} rows; "
                         "--format csv or json prints them all\n")


def cmd_info(args: argparse.Namespace) -> int:
    from store import readonly

    try:
        found = readonly.info(_store_path(args))
    except readonly.NoStore as exc:
        raise _bad_input(exc) from None
    if args.format == "json":
        emit_json({
            "path": found.path, "bytes": found.bytes, "schema_version": found.schema_version,
            "latest_schema_version": found.latest_version, "sqlite_version": found.sqlite_version,
            "journal_mode": found.journal_mode,
            "tables": [{"name": t.name, "rows": t.rows,
                        "columns": [{"name": n, "type": ty} for n, ty in t.columns]} for t in found.tables],
            "views": found.views,
        })
        return EXIT_OK
    state = "current" if found.schema_version == found.latest_version else (
        f"this batchdeck writes v{found.latest_version}")
    out(f"store   {found.path} ({fmt_int(found.bytes)} bytes)")
    out(f"schema  v{found.schema_version} ({state}); SQLite {found.sqlite_version}, journal {found.journal_mode}")
    out("")
    table(["TABLE", "ROWS", "COLUMNS"],
          [[t.name, fmt_int(t.rows), ", ".join(n for n, _ in t.columns)] for t in found.tables])
    if found.views:
        out("")
        out("views   " + ", ".join(found.views))
    return EXIT_OK
