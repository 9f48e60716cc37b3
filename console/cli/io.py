"""What the command line shares: opening the store and engine, reading arguments, and printing
for people (cleaned text, tables) and for scripts (the stable JSON shapes in README)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from console.engine.types import BadInput, InvalidFile
from console.format.textclean import clean

if TYPE_CHECKING:  # the engine comes through the composition root only (console/compose.py)
    from console.compose import Engine
    from store.model import Batch, Item, RequestCounts
    from store.store import Store

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
T = TypeVar("T")


# ---- plumbing -----------------------------------------------------------------------
def open_store(args: Any, *, existing: bool = False) -> Store:
    """The store named by --db (or the default). `existing`: a read command, which must not
    create an empty store where the operator mistyped a path; it says so and exits 2."""
    from console.compose import open_store as open_at

    if existing:
        from console.compose import load_config
        from store.paths import db_path

        load_config()  # a config file that must be refused (readable key) is said first
        path = db_path(args.db)
        if not path.exists():
            raise BadInput(f"there is no batchdeck database at {path}; check --db (only commands "
                           "that submit or track create one)")
    _refuse_unwritable(args.db)
    return open_at(args.db)


def _refuse_unwritable(db: str | None) -> None:
    """A database file (or its directory) we may not write: one sentence now, not an
    "unexpected error" at the first write. Even reads write (WAL index, migrations)."""
    from store.paths import db_path

    path = db_path(db)
    if path.is_file() and not os.access(path, os.R_OK | os.W_OK):
        raise BadInput(f"{path} is read-only for this user; batchdeck writes to its database even "
                       "to read it (fix its permissions, or copy it and point --db at the copy)")
    folder = path.parent
    if path.is_file() and folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise BadInput(f"the directory of {path} is read-only for this user; SQLite keeps its "
                       "journal beside the database (fix its permissions, or copy the file elsewhere)")


def choice(flag: str, value: str | None, valid: list[str]) -> str | None:
    """`value` if it is one of `valid` (or None); otherwise BadInput naming the valid values."""
    if value is None or value in valid:
        return value
    raise BadInput(f"{flag} {value!r} is not one of: {', '.join(valid)}")


def make_engine(args: Any, store: Store) -> Engine:
    """The engine for this command, built by the one composition root (console/compose.py)."""
    from console.compose import build_engine, load_config

    return build_engine(store, config=load_config(), read_only=args.read_only, profile=args.profile)


def run(engine: Engine, coro: Awaitable[T]) -> T:
    async def go() -> T:
        try:
            return await coro
        finally:
            await engine.aclose()

    return asyncio.run(go())


def out(text: str = "") -> None:
    """One line of human-readable output. Provider and model text (custom_ids, labels, error
    messages) may hold control characters: they are shown as visible symbols, never sent."""
    sys.stdout.write(clean(text, multiline=True) + "\n")


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def parse_time(text: str | None) -> float | None:
    """ISO 8601 (naive = UTC) or a relative "+90m" / "+2h" / "+1d"."""
    if text is None:
        return None
    t = text.strip()
    now = time.time()
    if t.startswith("+") and t[-1:] in "smhd" and t[1:-1].replace(".", "", 1).isdigit():
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[t[-1]]
        when = now + float(t[1:-1]) * unit
    else:
        try:
            dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
        except ValueError:
            raise BadInput(f"--deadline {text!r} is not an ISO 8601 time (e.g. 2026-11-24T09:00Z) or +2h") from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        when = dt.timestamp()
    if when <= now:
        raise BadInput(f"--deadline {text!r} is in the past; give a time to come (e.g. +2h)")
    if when > now + MAX_DEADLINE_DAYS * 86400:
        raise BadInput(f"--deadline {text!r} is more than {MAX_DEADLINE_DAYS // 365} years away; "
                       "give the time the results are really needed")
    return when


MAX_DEADLINE_DAYS = 3650
"""A deadline further away than this is a typo (batches end within a day or so); it would
also overflow date arithmetic when shown."""


def positive(flag: str, value: int, *, zero_ok: bool = False, most: int | None = None) -> int:
    """`value` if it is at least 1 (or 0 when `zero_ok`) and at most `most`; BadInput otherwise."""
    least = 0 if zero_ok else 1
    if value < least or (most is not None and value > most):
        top = f" to {most:,}" if most is not None else " or more"
        raise BadInput(f"{flag} {value} is out of range ({least}{top})")
    return value


def value_of(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def confirm(question: str, yes: bool) -> bool:
    """Ask on a terminal; without one, refuse unless --yes (scripts must say so)."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise BadInput("refusing without confirmation on a non-interactive input; pass --yes")
    sys.stderr.write(question + " [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def split_ids(text: str | None) -> list[str] | None:
    """The ids of `--items` (None when the option was not given). An empty value is an error,
    never "all": a script whose variable came out empty must not act on every item."""
    if text is None:
        return None
    ids = [t.strip() for t in text.split(",") if t.strip()]
    if not ids:
        raise BadInput("--items names no ids")
    return ids


# ---- JSON shapes --------------------------------------------------------------------
def counts_json(c: RequestCounts) -> dict[str, int]:
    return {"total": c.total, "succeeded": c.succeeded, "errored": c.errored, "expired": c.expired,
            "canceled": c.canceled, "processing": c.processing}


def batch_json(b: Batch) -> dict[str, Any]:
    return {
        "id": b.id, "provider": b.provider, "profile": b.profile,
        "provider_batch_id": b.provider_batch_id, "status": value_of(b.status), "raw_status": b.raw_status,
        "endpoint": b.endpoint, "model": b.model, "label": b.label, "job_id": b.job_id,
        "counts": counts_json(b.counts), "created_at": b.created_at, "started_at": b.started_at,
        "ended_at": b.ended_at, "expires_at": b.expires_at, "deadline": b.deadline,
        "parent_id": b.parent_id, "tracked": bool(b.tracked), "submitted_by": b.submitted_by,
        "errors": b.errors, "ingested": b.ingested_at is not None,
        "inputs": getattr(b, "inputs", None),
        "promoted": getattr(b, "promoted", 0),
        # When the provider stops serving what batchdeck may not hold yet (None: unknown).
        "results_until": getattr(b, "results_until", None), "inputs_until": getattr(b, "inputs_until", None),
        "exported_at": getattr(b, "exported_at", None),
        "completion_window": getattr(b, "completion_window", None),
    }


def item_json(i: Item) -> dict[str, Any]:
    u = i.usage
    return {
        "id": i.id, "custom_id": i.custom_id, "seq": i.seq, "status": value_of(i.status),
        "error_type": i.error_type, "error_class": value_of(i.error_class), "error_message": i.error_message,
        "http_status": i.http_status, "truncated": bool(getattr(i, "truncated", False)),
        "usage": None if u is None else {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens,
                                         "cache_read_tokens": u.cache_read_tokens,
                                         "cache_write_tokens": u.cache_write_tokens},
        "batch_cost": i.batch_cost, "realtime_cost": i.realtime_cost, "promoted_cost": i.promoted_cost,
        "replaced_by": i.replaced_by, "replaces": i.replaces,
    }


def table(headers: list[str], rows: list[list[Any]], *, width: int | None = None) -> None:
    """Aligned columns. With `width` (a terminal's), the last column is cut to fit it."""
    # Cleaned before measuring, so a `\x9b` stand-in is counted at its shown width.
    cells = [[("" if c is None else clean(c)) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    if width is not None and cells:
        room = max(len(headers[-1]), width - 1 - sum(w + 2 for w in widths[:-1]))
        if widths[-1] > room:
            widths[-1] = room
            cells = [r[:-1] + [r[-1] if len(r[-1]) <= room else r[-1][:room - 1] + "…"] for r in cells]
    out("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip())
    for r in cells:
        out("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip())


def find_batch(store: Store, ref: str) -> Batch:
    from console.engine.service import check_batch_ref
    from console.engine.types import NotFound

    check_batch_ref(ref)
    b = store.get_batch(ref)
    if b is None:
        raise NotFound(f"no batch {ref!r} in this store (use our id or the provider's id)")
    return b


def isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


@contextmanager
def reporting_bad_lines(args: Any) -> Iterator[None]:
    """On a file with bad lines, list every one of them on stdout (`path:line: why`, or a JSON
    document with `--format json`), then let the error through: stderr keeps its one sentence
    and the exit code stays 2, so a script can test either."""
    try:
        yield
    except InvalidFile as exc:
        if args.format == "json":
            emit_json({"error": str(exc), "path": exc.path, "total_lines": exc.total_lines,
                       "bad_lines": len(exc.problems),
                       "problems": [{"line": p.line, "message": p.message, "custom_id": p.custom_id}
                                    for p in exc.problems]})
        else:
            for p in exc.problems:
                out(f"{exc.path}:{p.line}: {p.message}")
        raise


def print_result(args: Any, result: Any) -> None:
    if args.format == "json":
        data = result.to_dict()
        if hasattr(result, "summary") and "summary" not in data:
            data["summary"] = result.summary
        emit_json(data)
    else:
        out(result.summary)


@contextmanager
def replacing(output: str) -> Iterator[IO[str]]:
    """A text file that becomes `output` only if the block finishes: written beside it under a
    temporary name and renamed over it, so a failed export (no such batch, a provider error)
    never truncates or half-writes the file the operator named."""
    target = Path(output)
    if target.is_dir():
        raise BadInput(f"-o {output} is a directory; name a file to write")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise BadInput(f"-o {output}: the directory {folder} does not exist")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise BadInput(f"cannot write {output}: {exc.strerror or exc}") from None
    try:
        with open(fd, "w", encoding="utf-8", newline="") as f:
            yield f
        os.replace(temp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise
