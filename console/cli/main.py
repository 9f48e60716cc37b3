"""`batchdeck`: the command line. Scripts rely on it; the contract is in README "Command line".

Only argparse is imported at start: the store (sqlite_utils), the SDKs and Textual load inside
the commands that need them, so `batchdeck --help` and `--version` answer in well under 0.5 s.
Exit codes: 0 success, 1 operational failure, 2 bad usage or bad input. Errors go to stderr as
one sentence; `--debug` adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("batchdeck")
    except Exception:  # noqa: BLE001 - running from a source tree
        return "0.1.0"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # exit 2 with one sentence, like the rest
        self.print_usage(sys.stderr)
        sys.stderr.write(f"batchdeck: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="batchdeck", description="Operations console and command line for LLM batch jobs.")
    p.add_argument("--version", action="version", version=f"batchdeck {_version()}")
    p.add_argument("--db", metavar="PATH", help="database file (default: $BATCHDECK_DB or the XDG data dir)")
    p.add_argument("--read-only", action="store_true", help="refuse actions that spend money or cancel")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.add_argument("--profile", metavar="NAME", help="credentials profile from the config file")
    p.add_argument("--utc", action="store_true", help="console: show times in UTC")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def cmd(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help)

    def fmt(parser: argparse.ArgumentParser, choices: tuple[str, ...] = ("table", "json")) -> None:
        parser.add_argument("--format", choices=choices, default=choices[0],
                            help=f"output format (default: {choices[0]}; json is the stable shape for scripts)")

    cmd("console", "open the terminal console (the default)")
    demo = cmd("demo", "open the console on a built-in demo fleet (emulator, no keys)")
    demo.add_argument("args", nargs=argparse.REMAINDER, help="options for the demo (see `batchdeck demo --help`)")
    emu = cmd("emulator", "run the provider emulator")
    emu.add_argument("args", nargs=argparse.REMAINDER,
                     help="options for the emulator (see `batchdeck emulator --help`)")

    ls = cmd("ls", "list batches")
    ls.add_argument("--status", help="only batches in this status (e.g. in_progress, completed, failed)")
    ls.add_argument("--provider", help="only batches of this provider")
    fmt(ls)

    show = cmd("show", "show one batch and its items")
    show.add_argument("batch", metavar="BATCH", help="our batch id (the console's #) or the provider's id")
    show.add_argument("--failed", action="store_true", help="only failed items")
    show.add_argument("--limit", type=int, default=100, help="items to list (0: all)")
    fmt(show)

    submit = cmd("submit", "validate and submit a JSONL file of requests")
    submit.add_argument("file", metavar="FILE", help="JSONL file, one request per line")
    submit.add_argument("--provider", required=True, help="provider to submit to")
    submit.add_argument("--model", help="model for lines that do not name one")
    submit.add_argument("--endpoint", help="default endpoint for lines without a url")
    submit.add_argument("--deadline", metavar="ISO8601", help="when the results are really needed (or +2h)")
    submit.add_argument("--label", help="a name for the batch, shown in ls and the console")
    submit.add_argument("--yes", action="store_true", help="do not ask on a terminal (scripts are never asked)")
    fmt(submit, ("text", "json"))

    track = cmd("track", "watch a batch submitted elsewhere (or --all of an account's batches)")
    track.add_argument("provider", metavar="PROVIDER", help="the provider the batch lives at")
    track.add_argument("id", metavar="ID", nargs="?", help="the provider's batch id")
    track.add_argument("--all", action="store_true", help="track every batch of the account instead of one")
    track.add_argument("--input", metavar="FILE",
                       help="the batch's original JSONL, for a provider that cannot give requests back")
    fmt(track, ("text", "json"))

    attach = cmd("attach", "attach a tracked batch's original input file (matched by custom_id), once")
    attach.add_argument("batch", metavar="BATCH", help="our batch id (the console's #) or the provider's id")
    attach.add_argument("file", metavar="FILE", help="the JSONL the batch was made from (matched by custom_id)")
    fmt(attach, ("text", "json"))

    sync = cmd("sync", "poll batches and ingest results (until interrupted, or --once)")
    sync.add_argument("--once", action="store_true", help="one pass, then exit")
    sync.add_argument("--no-discover", action="store_true",
                      help="do not list the watched accounts for batches the store does not know")
    fmt(sync, ("text", "json"))

    resub = cmd("resubmit", "resubmit failed items as a new linked batch")
    resub.add_argument("batch", metavar="BATCH", help="our batch id (the console's #) or the provider's id")
    resub.add_argument("--items", metavar="IDS", help="comma-separated custom_ids")
    resub.add_argument("--include-permanent", action="store_true",
                       help="also resubmit permanent failures (they fail again unless the request changed)")
    resub.add_argument("--input", metavar="FILE", help="original JSONL (when the provider cannot give requests back)")
    resub.add_argument("--yes", action="store_true", help="do not ask")
    fmt(resub, ("text", "json"))

    promote = cmd("promote", "send items through the realtime API now")
    promote.add_argument("batch", metavar="BATCH", help="our batch id (the console's #) or the provider's id")
    promote.add_argument("--items", metavar="IDS", help="comma-separated custom_ids (default: pending items)")
    promote.add_argument("--tier", choices=("flex", "standard", "priority"),
                         help="realtime service tier (default: the cheapest the provider offers)")
    promote.add_argument("--input", metavar="FILE",
                         help="original JSONL (when the provider cannot give requests back)")
    promote.add_argument("--concurrency", type=int, default=32, help="realtime calls at once (default: 32)")
    promote.add_argument("--cancel-batch", action="store_true",
                         help="cancel the batch first when every pending item of it is promoted "
                              "(its copies would be billed too)")
    promote.add_argument("--yes", action="store_true", help="do not ask")
    fmt(promote, ("text", "json"))

    cancel = cmd("cancel", "cancel a batch")
    cancel.add_argument("batch", metavar="BATCH", help="our batch id (the console's #) or the provider's id")
    cancel.add_argument("--yes", action="store_true", help="do not ask")
    fmt(cancel, ("text", "json"))

    est = cmd("estimate", "estimate tokens, cost, split and route of a JSONL file")
    est.add_argument("file", metavar="FILE", help="JSONL file, one request per line")
    est.add_argument("--provider", help="provider to price for (default: the one the lines' urls point to)")
    est.add_argument("--model", help="model for lines that do not name one")
    est.add_argument("--endpoint", help="default endpoint for lines without a url")
    est.add_argument("--deadline", metavar="ISO8601",
                     help="when the results are really needed (or +2h): picks the route")
    fmt(est, ("text", "json"))

    export = cmd("export", "export a batch's results in original order")
    export.add_argument("batch", metavar="BATCH", help="our batch id (the console's #) or the provider's id")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="file format (default: jsonl)")
    export.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")

    alerts = cmd("alerts", "alert rules, their state and the last sent (test: send a test alert; check: evaluate now)")
    alerts.add_argument("action", nargs="?", choices=("list", "test", "check"), default="list",
                        help="list: rules and state (default); test: send a test alert; check: evaluate now")
    fmt(alerts)

    sav = cmd("savings", "realized savings")
    sav.add_argument("--by", choices=("provider", "model", "day", "batch"), default="provider",
                     help="grouping (default: provider)")
    fmt(sav)

    # issue 20 (house-20): the store read as SQL, read-only, through sqlite-utils.
    query = cmd("query", "run one read-only SQL statement on the store (schema: README 'The store')")
    query.add_argument("sql", metavar="SQL", help="one read-only statement (SELECT, WITH, EXPLAIN); writes are refused")
    fmt(query, ("table", "json", "csv"))
    info = cmd("info", "show the store's file, schema version, tables and row counts")
    fmt(info, ("text", "json"))
    return p


def _passthrough(argv: list[str]) -> tuple[str, list[str]] | None:
    """`demo` and `emulator` own their options; argparse's REMAINDER drops leading `--flags`."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if word in ("--db", "--profile"):
            i += 2
            continue
        if word.startswith("-"):
            i += 1
            continue
        return (word, argv[i + 1 :]) if word in ("demo", "emulator") else None
    return None


def main(argv: list[str] | None = None) -> int:
    # Everything this process creates (database, results files, promoted answers, exports)
    # is private to its user, whatever directory --db points into. (Restored on return, for
    # callers that run main() in their own process, such as tests.)
    previous = os.umask(0o077)
    try:
        return _main(argv)
    finally:
        os.umask(previous)


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    passthrough = _passthrough(argv)
    if passthrough is not None:
        command, rest = passthrough
        args = parser.parse_args(argv[: len(argv) - len(rest)])
        args.args = rest
    else:
        args = parser.parse_args(argv)
    command = args.command or "console"
    try:
        if command == "console":
            from console.tui.run import main as ui_main  # type: ignore[import-not-found]

            return int(ui_main(args.db, read_only=args.read_only, utc=args.utc) or 0)
        if command == "demo":
            from console.demo import main as demo_main  # type: ignore[import-not-found]

            return int(demo_main(args.args) or 0)
        if command == "emulator":
            from adapters.emulator.cli import main as emu_main  # type: ignore[import-not-found]

            return int(emu_main(list(args.args)) or 0)
        from console.cli import commands

        return int(getattr(commands, "cmd_" + command)(args) or 0)
    except KeyboardInterrupt:
        sys.stderr.write("batchdeck: interrupted\n")
        return 130
    except BrokenPipeError:
        # `batchdeck show 1 | head`: the reader left; that is not an error worth a sentence.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except BaseException as exc:  # noqa: BLE001 - one place turns errors into exit codes
        if isinstance(exc, SystemExit):
            raise
        return _report(exc, debug=args.debug)


def _report(exc: BaseException, *, debug: bool) -> int:
    code, message = classify(exc)
    if debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    from adapters.errors import redact
    from console.compose import known_secrets
    from console.format.textclean import clean

    # Messages may quote provider text: its control characters are shown, never sent, and any
    # form of a configured key it echoes is redacted (the last check before the terminal).
    message = redact(message, known_secrets())
    sys.stderr.write(f"batchdeck: {clean(message, multiline=True)}\n")
    return code


def classify(exc: BaseException) -> tuple[int, str]:
    """(exit code, one-sentence message) for any exception that reaches the top."""
    from_engine = sys.modules.get("console.engine.types")
    if from_engine is not None and isinstance(exc, from_engine.EngineError):
        return exc.exit_code, exc.message
    errors = sys.modules.get("adapters.errors")
    if errors is not None and isinstance(exc, errors.AdapterError):
        return (EXIT_USAGE if isinstance(exc, errors.AuthFailed) else EXIT_FAIL), exc.message
    config_mod = sys.modules.get("store.config")
    if config_mod is not None and isinstance(exc, config_mod.ConfigError):
        return EXIT_USAGE, str(exc)
    store_mod = sys.modules.get("store.store")
    if store_mod is not None and isinstance(exc, getattr(store_mod, "StoreError", ())):
        return EXIT_FAIL, str(exc)
    store_errors = sys.modules.get("store.errors")
    if store_errors is not None:
        for name in dir(store_errors):
            cls = getattr(store_errors, name)
            if isinstance(cls, type) and issubclass(cls, Exception) and isinstance(exc, cls):
                return EXIT_FAIL, str(exc)
    if isinstance(exc, ModuleNotFoundError):
        return EXIT_FAIL, f"this command is not available in this build ({exc.name} is missing)"
    if isinstance(exc, OSError):
        return EXIT_FAIL, f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return EXIT_FAIL, f"unexpected error: {text} (run with --debug for details)"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
