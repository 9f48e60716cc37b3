"""The command line's read-only commands: ls, show, savings, export (they never call a provider)."""

from __future__ import annotations

import shutil
import sys
import time
from typing import Any

from console.cli.io import (
    EXIT_OK,
    batch_json,
    choice,
    emit_json,
    find_batch,
    isatty,
    item_json,
    make_engine,
    open_store,
    out,
    positive,
    replacing,
    table,
    value_of,
)
from console.format.numbers import UNPRICED, fmt_amount, fmt_money
from console.format.times import fmt_utc_minute


def cmd_ls(args: Any) -> int:
    from console.engine.providers import known_providers
    from store.model import BatchStatus

    status = choice("--status", args.status, [s.value for s in BatchStatus])
    provider = choice("--provider", args.provider, known_providers())
    store = open_store(args, existing=True)
    batches = store.list_batches(status=status, provider=provider)
    partly = store.partly_sent_jobs()
    if args.format == "json":
        emit_json({"batches": [batch_json(b) for b in batches],
                   "partly_sent_jobs": {job: {"sent": s, "batches": n} for job, (s, n) in partly.items()}})
        return EXIT_OK
    if not batches:
        out("no batches")
        return EXIT_OK
    table(["ID", "PROVIDER", "PROVIDER ID", "STATUS", "DONE", "FAILED", "EXPIRES", "DEADLINE", "MODEL",
           "LABEL", "CREATED"],
          [[b.id, b.provider, b.provider_batch_id or "-", value_of(b.status),
            f"{b.counts.done}/{b.counts.total}", b.counts.errored + b.counts.expired + b.counts.canceled,
            expires_cell(b), fmt_utc_minute(b.deadline) if b.deadline else "-",
            b.model or "-", b.label or "", fmt_utc_minute(b.created_at)] for b in batches])
    for job, (sent, total) in partly.items():
        out(partly_sent_note(job, sent, total))
    return EXIT_OK


def expires_cell(b: Any, now: float | None = None) -> str:
    """When an unfinished batch expires (ISO, like every time here); `-` once it has ended.
    Sooner than that (or once ended), when the provider stops serving requests not read yet
    (`inputs 2026-12-07 09:00`) or results neither ingested nor exported (`results ...`)."""
    from console.engine.batch_facts import inputs_left, is_terminal, results_left

    now = time.time() if now is None else now
    dates = [] if is_terminal(b) or not b.expires_at else [(float(b.expires_at), "")]
    if inputs_left(b, now) is not None:
        dates.append((float(b.inputs_until), "inputs "))
    if results_left(b, now) is not None:
        dates.append((float(b.results_until), "results "))
    if not dates:
        return "-"
    at, what = min(dates)
    return what + fmt_utc_minute(at)


def retention_lines(b: Any, now: float) -> list[str]:
    """`show`'s countdowns to the provider dropping what batchdeck does not hold yet."""
    from console.engine.batch_facts import inputs_left, results_left
    from console.format.numbers import fmt_duration

    lines = []
    for left, until, what, safe in (
            (inputs_left(b, now), b.inputs_until, "requests", "the next sync pass reads them"),
            (results_left(b, now), b.results_until, "results", "the next sync pass ingests them")):
        if left is None:
            continue
        if left <= 0:
            lines.append(f"  {what} no longer downloadable since {fmt_utc_minute(until)} (provider's date)")
        else:
            lines.append(f"  {what} downloadable {fmt_duration(left)} more (until {fmt_utc_minute(until)}), "
                         f"not yet in the store: {safe}")
    return lines


def partly_sent_note(job: str, sent: int, total: int) -> str:
    """One sentence for a split job stopped between its batches (ls and show)."""
    return (f"job {job} is partly sent: {sent} of {total} batches reached the provider; "
            "`batchdeck sync` sends the rest once their submission is a minute old")


def cmd_show(args: Any) -> int:
    from store.model import FAILED_ITEM_STATUSES

    positive("--limit", args.limit, zero_ok=True)
    store = open_store(args, existing=True)
    b = find_batch(store, args.batch)
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
    handled = store.handled_failures(b.id) if args.failed else []
    if args.format == "json":
        job_state = store.partly_sent_jobs().get(b.job_id or "")
        extra = {"handled": [{"status": st, "batch_id": target, "count": n} for st, target, n in handled]} \
            if args.failed else {}
        emit_json({**extra, "batch": batch_json(b),
                   "job_partly_sent": None if job_state is None else {"sent": job_state[0], "batches": job_state[1]},
                   "error_groups": [{"error_type": g.error_type, "error_class": value_of(g.error_class),
                                     "count": g.count} for g in groups],
                   "items": [item_json(i) for i in items]})
        return EXIT_OK
    out(f"batch {b.id}  {b.provider} {b.provider_batch_id or '(not yet accepted)'}  {value_of(b.status)}"
        f" (raw {b.raw_status or '-'})")
    out(f"  model {b.model or '-'}  endpoint {b.endpoint or '-'}  label {b.label or '-'}  job {b.job_id or '-'}")
    c = b.counts
    out(f"  {c.done}/{c.total} done: {c.succeeded} succeeded, {c.errored} errored, {c.expired} expired, "
        f"{c.canceled} canceled, {c.processing} processing"
        + (f" ({b.truncated} succeeded but truncated)" if b.truncated else ""))
    if b.promoted:
        out(f"  {b.promoted} promoted to realtime (their batch copies are kept, not counted twice)")
    out(f"  created {fmt_utc_minute(b.created_at)}  ended {fmt_utc_minute(b.ended_at)}  "
        f"expires {fmt_utc_minute(b.expires_at)}  deadline {fmt_utc_minute(b.deadline)}")
    if b.inputs == "unknown":
        out(f"  inputs unknown: {b.provider} cannot give this batch's requests back; attach the original "
            f"file with `batchdeck attach {b.id} FILE` to promote or resubmit its items")
    elif b.inputs == "pending":
        out("  inputs: not read yet (the next sync pass reads the provider's input file)")
    for line in retention_lines(b, time.time()):
        out(line)
    if b.reported_cost is not None:
        out(f"  provider billed {fmt_money(b.reported_cost)}"
            + (f" (list {fmt_money(b.reported_list_cost)})" if b.reported_list_cost is not None else ""))
    if b.parent_id:
        out(f"  resubmitted from batch {b.parent_id}")
    partly = store.partly_sent_jobs().get(b.job_id or "")
    if partly is not None:
        out("  " + partly_sent_note(b.job_id or "", *partly))
    if b.errors:
        out(f"  errors: {b.errors}")
    if groups:
        out("  failures: " + ", ".join(f"{g.error_type} {g.count}" for g in groups))
    for status, target, n in handled:
        # Handled failures no longer count as waiting; say where they went.
        where = f"to batch {target} (`batchdeck show {target}`)" if target is not None else "to the realtime API"
        out(f"  {n:,} items {status} {where}")
    if items and args.failed:
        # Failures have no usage or cost to show; what the operator needs is the provider's
        # own words, cut to the terminal's width when there is one (JSON has them whole).
        out("")
        table(["#", "CUSTOM ID", "STATUS", "ERROR", "CLASS", "MESSAGE"],
              [[i.seq, i.custom_id, value_of(i.status), i.error_type or "", value_of(i.error_class) or "",
                i.error_message or ""] for i in items],
              width=shutil.get_terminal_size().columns if isatty(sys.stdout) else None)
    elif items:
        out("")
        table(["#", "CUSTOM ID", "STATUS", "ERROR", "IN", "OUT", "BATCH $"],
              [[i.seq, i.custom_id, value_of(i.status), i.error_type or "",
                i.usage.input_tokens if i.usage else "", i.usage.output_tokens if i.usage else "",
                fmt_amount(i.batch_cost, places=6)] for i in items])
    return EXIT_OK


def cmd_savings(args: Any) -> int:
    store = open_store(args, existing=True)
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
        return fmt_amount(value if r.priced_items else None, unknown=UNPRICED)

    table([args.by.upper(), "ITEMS", "UNPRICED", "REALTIME $", "BATCH $", "PROMOTED $", "SAVED $"],
          [[r.key, r.items, r.unpriced_items, cell(r, r.realtime_cost), cell(r, r.batch_cost),
            cell(r, r.promoted_cost), cell(r, r.savings)] for r in rows])
    return EXIT_OK


def cmd_export(args: Any) -> int:
    store = open_store(args, existing=True)
    engine = make_engine(args, store)
    from adapters.errors import AdapterError
    from console.cli.io import run
    from console.engine.types import EngineError

    try:
        run(engine, engine.ensure_inputs(args.batch))  # request order of a tracked batch, if not read yet
    except (AdapterError, EngineError) as exc:
        if isinstance(exc, EngineError) and "no batch" in str(exc):
            raise
        sys.stderr.write(f"batchdeck: exporting in results order; the input file could not be read ({exc})\n")
    if args.output:
        with replacing(args.output) as f:
            result = engine.export(args.batch, f, format=args.format)
        sys.stderr.write(result.summary + "\n")
    else:
        # On a terminal, model output must not drive it: control characters are escaped
        # (JSONL: as JSON escapes, same value; CSV: visible symbols). Through a pipe the
        # export stays byte-exact.
        engine.export(args.batch, sys.stdout, format=args.format, terminal=isatty(sys.stdout))
    return EXIT_OK
