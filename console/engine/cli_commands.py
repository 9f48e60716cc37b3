"""The command line's commands: parse arguments into Engine calls and print stable output.

`console/cli.py` builds the parser and imports this module only for commands that need the
store or the engine. Every JSON shape printed here is documented in README "Command line".
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from console.engine.types import BadInput, EngineError, InvalidFile
from console.textclean import clean

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


# ---- plumbing -----------------------------------------------------------------------
def open_store(args: Any) -> Any:
    from store import Store

    return Store.open(args.db)


def load_config() -> Any:
    try:
        from store.config import load_config as load  # type: ignore[import-not-found]
    except ImportError:
        return None
    return load()


def make_engine(args: Any, store: Any) -> Any:
    from console.engine.service import Engine

    return Engine(store, load_config(), read_only=args.read_only, profile=args.profile)


def run(engine: Any, coro: Any) -> Any:
    async def go() -> Any:
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
    if t.startswith("+") and t[-1:] in "smhd" and t[1:-1].replace(".", "", 1).isdigit():
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[t[-1]]
        return time.time() + float(t[1:-1]) * unit
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"--deadline {text!r} is not an ISO 8601 time (e.g. 2026-11-24T09:00Z) or +2h") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def iso(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M")


def _v(value: Any) -> Any:
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
    if not text:
        return None
    ids = [t.strip() for t in text.split(",") if t.strip()]
    if not ids:
        raise BadInput("--items names no ids")
    return ids


# ---- JSON shapes --------------------------------------------------------------------
def counts_json(c: Any) -> dict[str, int]:
    return {"total": c.total, "succeeded": c.succeeded, "errored": c.errored, "expired": c.expired,
            "canceled": c.canceled, "processing": c.processing}


def batch_json(b: Any) -> dict[str, Any]:
    return {
        "id": b.id, "provider": b.provider, "profile": b.profile,
        "provider_batch_id": b.provider_batch_id, "status": _v(b.status), "raw_status": b.raw_status,
        "endpoint": b.endpoint, "model": b.model, "label": b.label, "job_id": b.job_id,
        "counts": counts_json(b.counts), "created_at": b.created_at, "started_at": b.started_at,
        "ended_at": b.ended_at, "expires_at": b.expires_at, "deadline": b.deadline,
        "parent_id": b.parent_id, "tracked": bool(b.tracked), "submitted_by": b.submitted_by,
        "errors": b.errors, "ingested": b.ingested_at is not None,
    }


def item_json(i: Any) -> dict[str, Any]:
    u = i.usage
    return {
        "id": i.id, "custom_id": i.custom_id, "seq": i.seq, "status": _v(i.status),
        "error_type": i.error_type, "error_class": _v(i.error_class), "error_message": i.error_message,
        "http_status": i.http_status,
        "usage": None if u is None else {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens,
                                         "cache_read_tokens": u.cache_read_tokens,
                                         "cache_write_tokens": u.cache_write_tokens},
        "batch_cost": i.batch_cost, "realtime_cost": i.realtime_cost, "promoted_cost": i.promoted_cost,
        "replaced_by": i.replaced_by, "replaces": i.replaces,
    }


def table(headers: list[str], rows: list[list[Any]]) -> None:
    # Cleaned before measuring, so a `\x9b` stand-in is counted at its shown width.
    cells = [[("" if c is None else clean(c)) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    out("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for r in cells:
        out("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def money(v: float | None) -> str:
    return "unpriced" if v is None else f"${v:,.4f}"


# ---- read-only commands -------------------------------------------------------------
def cmd_ls(args: Any) -> int:
    store = open_store(args)
    batches = store.list_batches(status=args.status, provider=args.provider)
    if args.format == "json":
        emit_json({"batches": [batch_json(b) for b in batches]})
        return EXIT_OK
    if not batches:
        out("no batches")
        return EXIT_OK
    table(["ID", "PROVIDER", "PROVIDER ID", "STATUS", "DONE", "FAILED", "MODEL", "LABEL", "CREATED"],
          [[b.id, b.provider, b.provider_batch_id or "-", _v(b.status),
            f"{b.counts.done}/{b.counts.total}", b.counts.errored + b.counts.expired + b.counts.canceled,
            b.model or "-", b.label or "", iso(b.created_at)] for b in batches])
    return EXIT_OK


def _find_batch(store: Any, ref: str) -> Any:
    from console.engine.types import NotFound

    b = store.get_batch(ref)
    if b is None:
        raise NotFound(f"no batch {ref!r} in this store (use our id or the provider's id)")
    return b


def cmd_show(args: Any) -> int:
    from store.model import FAILED_ITEM_STATUSES

    store = open_store(args)
    b = _find_batch(store, args.batch)
    limit = args.limit if args.limit > 0 else 10**12
    items: list[Any] = []
    statuses = [s.value for s in FAILED_ITEM_STATUSES] if args.failed else [None]
    for status in statuses:
        offset = 0
        while len(items) < limit:
            page = store.page_items(b.id, offset=offset, limit=min(1000, limit - len(items)), status=status)
            items.extend(page)
            if len(page) < 1000:
                break
            offset += len(page)
    items.sort(key=lambda i: i.seq)
    items = items[:limit]
    groups = store.error_groups(b.id)
    if args.format == "json":
        emit_json({"batch": batch_json(b),
                   "error_groups": [{"error_type": g.error_type, "error_class": _v(g.error_class),
                                     "count": g.count} for g in groups],
                   "items": [item_json(i) for i in items]})
        return EXIT_OK
    out(f"batch {b.id}  {b.provider} {b.provider_batch_id or '(not yet accepted)'}  {_v(b.status)}"
        f" (raw {b.raw_status or '-'})")
    out(f"  model {b.model or '-'}  endpoint {b.endpoint or '-'}  label {b.label or '-'}  job {b.job_id or '-'}")
    c = b.counts
    out(f"  {c.done}/{c.total} done: {c.succeeded} succeeded, {c.errored} errored, {c.expired} expired, "
        f"{c.canceled} canceled, {c.processing} processing")
    out(f"  created {iso(b.created_at)}  ended {iso(b.ended_at)}  expires {iso(b.expires_at)}  "
        f"deadline {iso(b.deadline)}")
    if b.parent_id:
        out(f"  resubmitted from batch {b.parent_id}")
    if b.errors:
        out(f"  errors: {b.errors}")
    if groups:
        out("  failures: " + ", ".join(f"{g.error_type} {g.count}" for g in groups))
    if items:
        out("")
        table(["ITEM", "CUSTOM ID", "STATUS", "ERROR", "IN", "OUT", "BATCH $"],
              [[i.id, i.custom_id, _v(i.status), i.error_type or "",
                i.usage.input_tokens if i.usage else "", i.usage.output_tokens if i.usage else "",
                "" if i.batch_cost is None else f"{i.batch_cost:.6f}"] for i in items])
    return EXIT_OK


def cmd_savings(args: Any) -> int:
    store = open_store(args)
    rows = store.savings(by=args.by)

    def dollars(r: Any, value: float) -> float | None:
        # A group with no priced item has no dollar figure at all: never show it as $0.
        return value if r.priced_items else None

    if args.format == "json":
        emit_json({"by": args.by, "rows": [{
            "key": r.key, "items": r.items, "priced_items": r.priced_items,
            "unpriced_items": r.unpriced_items, "batch_cost": dollars(r, r.batch_cost),
            "realtime_cost": dollars(r, r.realtime_cost), "promoted_cost": dollars(r, r.promoted_cost),
            "savings": dollars(r, r.savings),
            "input_tokens": r.input_tokens, "output_tokens": r.output_tokens} for r in rows]})
        return EXIT_OK
    if not rows:
        out("no priced results yet")
        return EXIT_OK

    def cell(r: Any, value: float) -> str:
        return f"{value:.4f}" if r.priced_items else "unpriced"

    table([args.by.upper(), "ITEMS", "UNPRICED", "REALTIME $", "BATCH $", "PROMOTED $", "SAVED $"],
          [[r.key, r.items, r.unpriced_items, cell(r, r.realtime_cost), cell(r, r.batch_cost),
            cell(r, r.promoted_cost), cell(r, r.savings)] for r in rows])
    return EXIT_OK


def cmd_estimate(args: Any) -> int:
    store = open_store(args)
    engine = make_engine(args, store)
    with reporting_bad_lines(args):
        est = engine.estimate_file(args.file, provider=args.provider, model=args.model,
                                   deadline=parse_time(args.deadline), endpoint=args.endpoint)
    if args.format == "json":
        emit_json(est.to_dict())
        return EXIT_OK
    out(est.summary)
    for c in est.costs:
        flag = "" if c.available else "  (not offered)"
        out(f"  {c.tier:<9} {money(c.cost):>14}  {c.note}{flag}")
    for s in est.batches:
        out(f"  batch {s.index + 1}: lines {s.first_line}-{s.last_line}, {s.requests} requests, {s.bytes:,} bytes")
    return EXIT_OK


def cmd_export(args: Any) -> int:
    store = open_store(args)
    engine = make_engine(args, store)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as f:
            result = engine.export(args.batch, f, format=args.format)
        sys.stderr.write(result.summary + "\n")
    else:
        # On a terminal, model output must not drive it: control characters are escaped
        # (JSONL: as JSON escapes, same value; CSV: visible symbols). Through a pipe the
        # export stays byte-exact.
        engine.export(args.batch, sys.stdout, format=args.format, terminal=_isatty(sys.stdout))
    return EXIT_OK


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


# ---- provider-touching commands -----------------------------------------------------
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


def _print_result(args: Any, result: Any) -> None:
    if args.format == "json":
        data = result.to_dict()
        if hasattr(result, "summary") and "summary" not in data:
            data["summary"] = result.summary
        emit_json(data)
    else:
        out(result.summary)


def cmd_submit(args: Any) -> int:
    store = open_store(args)
    engine = make_engine(args, store)
    with reporting_bad_lines(args):
        result = run(engine, engine.submit(args.file, provider=args.provider, model=args.model,
                                           deadline=parse_time(args.deadline), label=args.label,
                                           endpoint=args.endpoint, profile=args.profile))
    _print_result(args, result)
    if any(pid is None for pid in result.provider_batch_ids):
        # Recorded but unconfirmed: scripts must not treat this as submitted.
        sys.stderr.write("batchdeck: the provider did not confirm every batch; it is recorded locally "
                         "and `batchdeck sync` will attach or send it, never twice\n")
        return EXIT_FAIL
    return EXIT_OK


def cmd_track(args: Any) -> int:
    if not args.all and not args.id:
        raise BadInput("name a batch id to track, or pass --all")
    store = open_store(args)
    engine = make_engine(args, store)
    result = run(engine, engine.track(args.provider, args.id, all=args.all, profile=args.profile))
    _print_result(args, result)
    return EXIT_OK


def cmd_sync(args: Any) -> int:
    store = open_store(args)
    engine = make_engine(args, store)
    if args.once:
        report = run(engine, engine.sync_once(force=True))
        if args.format == "json":
            data = report.to_dict()
            data["summary"] = report.summary
            emit_json(data)
        else:
            out(report.summary)
            for c in report.changed:
                out(f"  batch {c.batch_id}: {c.old} -> {c.new}")
            for bid, msg in report.errors.items():
                out(f"  batch {bid}: {msg}")
        return EXIT_FAIL if report.errors and not report.polled and not report.ingested else EXIT_OK

    def on_pass(report: Any) -> None:
        if args.format == "json":
            data = report.to_dict()
            data["summary"] = report.summary
            sys.stdout.write(json.dumps(data, default=str) + "\n")
        elif report.changed or report.ingested or report.errors or report.throttled:
            out(f"{datetime.now(timezone.utc):%H:%M:%S} {report.summary}")
        sys.stdout.flush()

    try:
        run(engine, engine.sync_forever(on_pass=on_pass))
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def cmd_resubmit(args: Any) -> int:
    store = open_store(args)
    engine = make_engine(args, store)
    engine.require_writable("resubmit")
    kw = dict(custom_ids=split_ids(args.items), include_permanent=args.include_permanent,
              input_path=args.input)
    est = engine.estimate_resubmit(args.batch, **kw)
    if est.needs_input:
        from console.engine.types import NeedsInput

        raise NeedsInput(est.summary)
    if not est.items:
        raise BadInput(est.summary)
    if args.format != "json" or not args.yes:
        sys.stderr.write(est.summary + "\n")
    if not confirm("Resubmit?", args.yes):
        sys.stderr.write("nothing sent\n")
        return EXIT_OK
    result = run(engine, engine.resubmit(args.batch, **kw))
    _print_result(args, result)
    return EXIT_OK


def cmd_promote(args: Any) -> int:
    store = open_store(args)
    engine = make_engine(args, store)
    engine.require_writable("promote")
    kw = dict(custom_ids=split_ids(args.items), tier=args.tier, input_path=args.input)
    est = engine.estimate_promotion(args.batch, **kw)
    if est.needs_input:
        from console.engine.types import NeedsInput

        raise NeedsInput(est.summary)
    if not est.items:
        raise BadInput(est.summary)
    lines = [est.summary]
    for c in est.costs:
        mark = "*" if c.tier == est.tier else " "
        avail = "" if c.available else "  (not offered)"
        lines.append(f" {mark} {c.tier:<9} {money(c.cost):>14}  {c.note}{avail}")
    sys.stderr.write("\n".join(lines) + "\n")
    if not confirm(f"Promote {est.items} items at {est.tier}?", args.yes):
        sys.stderr.write("nothing sent\n")
        return EXIT_OK
    result = run(engine, engine.promote(args.batch, concurrency=args.concurrency, **kw))
    _print_result(args, result)
    return EXIT_OK if not result.failed or result.promoted else EXIT_FAIL


def cmd_cancel(args: Any) -> int:
    store = open_store(args)
    engine = make_engine(args, store)
    engine.require_writable("cancel")
    preview = engine.cancel_preview(args.batch)
    if not preview.cancellable:
        raise BadInput(preview.summary)
    sys.stderr.write(preview.summary + "\n")
    if not confirm("Cancel this batch?", args.yes):
        sys.stderr.write("nothing cancelled\n")
        return EXIT_OK
    result = run(engine, engine.cancel(args.batch))
    _print_result(args, result)
    return EXIT_OK


__all__ = ["EngineError"]
