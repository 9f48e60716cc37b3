"""The command line's commands: parse arguments into Engine calls and print stable output.

`console/cli/main.py` builds the parser and imports this module only for commands that need the
store or the engine; it finds `cmd_<command>` here. The read-only ones live in cli_reads.py,
what they share in cli_io.py. Every JSON shape printed is documented in README "Command line".
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from datetime import UTC, datetime
from typing import Any

from console.cli.alerts import cmd_alerts
from console.cli.io import (
    EXIT_FAIL,
    EXIT_OK,
    confirm,
    emit_json,
    isatty,
    make_engine,
    open_store,
    out,
    parse_time,
    positive,
    print_result,
    reporting_bad_lines,
    run,
    split_ids,
)
from console.cli.query import cmd_info, cmd_query
from console.cli.reads import cmd_export, cmd_ls, cmd_savings, cmd_show
from console.engine.types import BadInput
from console.format.numbers import fmt_cost
from console.format.spend import CEILING_BASIS, ceiling_words
from console.format.wording import plural

MAX_PROMOTE_CONCURRENCY = 256
"""Realtime calls in flight for one promote: more only meets the provider's rate limits."""

__all__ = ["cmd_alerts", "cmd_attach", "cmd_cancel", "cmd_estimate", "cmd_export", "cmd_info", "cmd_ls", "cmd_promote",
           "cmd_query", "cmd_resubmit", "cmd_savings", "cmd_show", "cmd_submit", "cmd_sync", "cmd_track"]


def cmd_estimate(args: Any) -> int:
    store = open_store(args)
    engine = make_engine(args, store)
    with reporting_bad_lines(args):
        provider = args.provider or engine.infer_provider(args.file)
        est = engine.estimate_file(args.file, provider=provider, model=args.model,
                                   deadline=parse_time(args.deadline), endpoint=args.endpoint)
    if args.format == "json":
        emit_json(est.to_dict())
        return EXIT_OK
    if not args.provider:
        out(f"provider: {provider} (from the lines' urls)")
    out(est.summary)
    for c in est.costs:
        flag = "" if c.available else "  (not offered)"
        out(f"  {c.tier:<9} {fmt_cost(c.cost):>14}  {c.note}{flag}")
    for s in est.batches:
        out(f"  batch {s.index + 1}: lines {s.first_line}-{s.last_line}, {s.requests} requests, {s.bytes:,} bytes")
    return EXIT_OK


def cmd_submit(args: Any) -> int:
    store = open_store(args)
    engine = make_engine(args, store)

    shown: list[Any] = []

    def approve(preview: Any) -> bool:
        # The cost is always shown. On a terminal the operator is asked; a script is not,
        # because the contract for `submit` has always been that the file is the instruction.
        shown.append(preview)
        sys.stderr.write(preview.summary + "\n")
        if args.yes or not isatty(sys.stdin):
            return True
        return confirm(f"Submit {plural(preview.requests, 'request')}?", False)

    with reporting_bad_lines(args):
        result = run(engine, engine.submit(args.file, provider=args.provider, model=args.model,
                                           deadline=parse_time(args.deadline), label=args.label,
                                           endpoint=args.endpoint, profile=args.profile,
                                           approve=approve, window=args.window))
    if not result.batch_ids:
        sys.stderr.write("nothing sent\n")
        return EXIT_OK
    print_spent(args, result, spend_figures(shown[-1], shown[-1].cost, "batch") if shown else {})
    if args.format != "json":
        # Both ids, so the next command (show, cancel, the console's #) needs no lookup.
        for batch_id, provider_id in zip(result.batch_ids, result.provider_batch_ids, strict=False):
            out(f"  batch #{batch_id}  {result.provider} id {provider_id or '(not yet confirmed)'}")
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
    result = run(engine, engine.track(args.provider, args.id, all=args.all, profile=args.profile,
                                      input_path=args.input))
    print_result(args, result)
    return EXIT_OK


def cmd_attach(args: Any) -> int:
    store = open_store(args)
    engine = make_engine(args, store)
    batch = engine.batch(args.batch)
    count = engine.attach_inputs(batch.id, args.file)
    summary = f"attached {plural(count, 'request')} to batch {batch.id} from {args.file}"
    if args.format == "json":
        emit_json({"batch_id": batch.id, "requests": count, "summary": summary})
    else:
        out(summary)
    return EXIT_OK


def cmd_sync(args: Any) -> int:
    store = open_store(args)
    engine = make_engine(args, store)
    if args.once:
        report = run(engine, engine.sync_once(force=True, discover=not args.no_discover))
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
        elif report.changed or report.ingested or report.errors or report.throttled or report.recovered:
            out(f"{datetime.now(UTC):%H:%M:%S} {report.summary}")
        sys.stdout.flush()

    standing_by: list[str] = []

    def on_standby(lease: Any) -> None:
        # Said once per holder: a service restarting under systemd must not flood the journal.
        if lease.holder not in standing_by:
            standing_by.append(lease.holder)
            sys.stderr.write(f"batchdeck: {lease.who} (pid {lease.pid}) syncs this store; standing by "
                             "and taking over if it stops\n")
            sys.stderr.flush()

    async def serve() -> None:
        # ctrl+c (SIGINT) or systemd's SIGTERM asks the loop to stop: the pass under way
        # finishes, the lease is released and the process exits 0. Stopping through an event
        # rather than by cancelling the task means no library that swallows a cancellation
        # can keep the service running (seen once: passes went on after SIGINT). A second
        # signal stops at once, mid-pass.
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()

        def on_signal() -> None:
            if stop.is_set() and task is not None:
                task.cancel()
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)
        await engine.sync_forever(stop=stop, on_pass=on_pass, lease=True, on_standby=on_standby,
                                  discover=not args.no_discover)

    try:
        run(engine, serve())
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    return EXIT_OK


def cmd_resubmit(args: Any) -> int:
    store = open_store(args)
    engine = make_engine(args, store)
    engine.require_writable("resubmit")
    run(engine, engine.ensure_inputs(args.batch))  # a tracked batch's requests, if not read yet
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
    if not asked(engine, "resubmit", est.batch_id, {"items": est.items}, "Resubmit?", args.yes):
        sys.stderr.write("nothing sent\n")
        return EXIT_OK
    result = run(engine, engine.resubmit(args.batch, **kw))
    print_spent(args, result, spend_figures(est, est.cost.cost, "batch"))
    return EXIT_OK


def cmd_promote(args: Any) -> int:
    positive("--concurrency", args.concurrency, most=MAX_PROMOTE_CONCURRENCY)
    store = open_store(args)
    engine = make_engine(args, store)
    engine.require_writable("promote")
    run(engine, engine.ensure_inputs(args.batch))  # a tracked batch's requests, if not read yet
    kw = dict(custom_ids=split_ids(args.items), tier=args.tier, input_path=args.input)
    # Plan from the provider now, not from the last sync: finished items are never offered.
    note = run(engine, engine.refresh_batch(args.batch))
    est = engine.estimate_promotion(args.batch, note=note, **kw)
    if est.needs_input:
        from console.engine.types import NeedsInput

        raise NeedsInput(est.summary)
    if not est.items:
        raise BadInput(est.summary)
    lines = [est.summary]
    for c in est.costs:
        mark = "*" if c.tier == est.tier else " "
        avail = "" if c.available else "  (not offered)"
        lines.append(f" {mark} {c.tier:<9} {fmt_cost(c.cost):>14}  {c.note}{avail}")
    lines.append(f"   expected  {fmt_cost(est.expected_cost):>14}  at {est.tier}, {est.expected_basis}")
    lines.append(ceiling_line(est.ceiling_bounded_cost, est.ceiling_unbounded, est.items, est.ceiling_reasons,
                              est.tier))
    sys.stderr.write("\n".join(lines) + "\n")
    if args.cancel_batch and not est.cancel_offered:
        raise BadInput(f"--cancel-batch: batch {est.batch_id} still has pending items that are not being "
                       "promoted, or is not running; promote every pending item, or leave the batch running")
    question = f"Promote {plural(est.items, 'item')} at {est.tier}"
    question += " and cancel the batch first?" if args.cancel_batch else "?"
    if not asked(engine, "promote", est.batch_id, {"items": est.items, "tier": est.tier}, question, args.yes):
        sys.stderr.write("nothing sent\n")
        return EXIT_OK
    result = run(engine, engine.promote(args.batch, concurrency=args.concurrency,
                                        cancel_batch=args.cancel_batch, **kw))
    print_spent(args, result, spend_figures(est, est.expected_cost, est.tier))
    return EXIT_OK if not result.failed or result.promoted else EXIT_FAIL


def cmd_cancel(args: Any) -> int:
    store = open_store(args)
    engine = make_engine(args, store)
    engine.require_writable("cancel")
    preview = engine.cancel_preview(args.batch)
    if not preview.cancellable:
        raise BadInput(preview.summary)
    sys.stderr.write(preview.summary + "\n")
    if not asked(engine, "cancel", preview.batch_id, {"status": preview.status}, "Cancel this batch?", args.yes):
        sys.stderr.write("nothing cancelled\n")
        return EXIT_OK
    result = run(engine, engine.cancel(args.batch))
    print_result(args, result)
    return EXIT_OK


def ceiling_line(bounded_cost: float | None, unbounded: int, items: int, reasons: dict[str, int], tier: str) -> str:
    """The promote table's ceiling row: the bound and what it is, or `none` and for which items
    (never a guessed figure where a request has no bound)."""
    if not unbounded:
        return f"   ceiling   {fmt_cost(bounded_cost):>14}  at {tier}, {CEILING_BASIS}"
    words = ceiling_words(bounded_cost, unbounded, items, reasons, "item").removeprefix("ceiling: none ")
    return f"   ceiling   {'none':>14}  {words}, at {tier}"


def spend_figures(preview: Any, expected: float | None, tier: str) -> dict[str, Any]:
    """The two figures a spend showed before it asked, for its JSON result (README: JSON output)."""
    return {"priced_at": tier, "expected_cost": expected, "expected_basis": preview.expected_basis,
            "ceiling_cost": preview.ceiling_cost, "ceiling_bounded_cost": preview.ceiling_bounded_cost,
            "ceiling_unbounded": preview.ceiling_unbounded, "ceiling_reasons": preview.ceiling_reasons}


def print_spent(args: Any, result: Any, figures: dict[str, Any]) -> None:
    """A spend's result; with --format json, the preview's expected and ceiling figures beside it."""
    if args.format != "json":
        print_result(args, result)
        return
    emit_json({**result.to_dict(), **figures, "summary": result.summary})


def asked(engine: Any, action: str, batch_id: int, details: dict[str, Any], question: str, yes: bool) -> bool:
    """`confirm`, with a declined (or unanswerable, non-interactive) question recorded as an
    `<action>.declined` audit event: an action attempted and not done leaves a trace."""
    try:
        agreed = confirm(question, yes)
    except BadInput as exc:
        engine.audit(f"{action}.declined", str(batch_id), {**details, "reason": str(exc)})
        raise
    if not agreed:
        engine.audit(f"{action}.declined", str(batch_id), {**details, "reason": "the operator said no"})
    return agreed

