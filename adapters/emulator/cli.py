"""`batchdeck emulator [--host H] [--port N] [--speed X] [--seed S] [--faults SPEC]`.

Prints the base URLs, then serves until Ctrl-C. `main(argv)` returns the exit status.
"""

from __future__ import annotations

import argparse
import sys
import threading

from .faults import FaultSpecError, parse_spec
from .server import EmulatorServer

DEFAULT_SPEED = 60.0
"""The CLI's default: an emulated hour per real minute (a 24 h window lasts 24 minutes)."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="batchdeck emulator",
        description="Serve an emulated OpenAI + Anthropic batch/realtime API on 127.0.0.1 (no keys, no network).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default 0: a free ephemeral port)")
    p.add_argument("--speed", type=float, default=DEFAULT_SPEED,
                   help=f"emulated seconds per real second (default {DEFAULT_SPEED:g}; "
                        "1440 = the 24 h window in a minute; 0 freezes)")
    p.add_argument("--seed", type=int, default=0, help="seed for every outcome (default 0)")
    p.add_argument("--faults", default="", metavar="SPEC",
                   help='server-wide fault knobs, "error_rate=0.1,http_429_rate=0.05" or a JSON object')
    p.add_argument("--start-time", type=float, default=None, help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        faults = parse_spec(args.faults)
    except FaultSpecError as exc:
        print(f"batchdeck emulator: {exc}", file=sys.stderr)
        return 2
    if args.speed < 0:
        print("batchdeck emulator: --speed must be >= 0", file=sys.stderr)
        return 2
    server = EmulatorServer(host=args.host, port=args.port, seed=args.seed, speed=args.speed, faults=faults,
                            start_time=args.start_time)
    ready = threading.Event()

    def announce() -> None:
        while server.port is None or server._server is None or not server._server.started:
            if ready.wait(0.01):
                return
        print(f"openai: {server.base_url_openai}", flush=True)
        print(f"anthropic: {server.base_url_anthropic}", flush=True)
        print(f"admin: {server.admin_url}", flush=True)
        print(f"seed {args.seed}, speed x{args.speed:g}, faults {faults or 'none'}; Ctrl-C to stop", flush=True)

    t = threading.Thread(target=announce, daemon=True)
    t.start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"batchdeck emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    finally:
        ready.set()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
