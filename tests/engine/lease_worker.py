"""A console's background sync, alone in a process: the same `sync_forever(lease=True)` call
the console makes (console/tui/app.py), appending `pass` to its log after each pass it
makes and `standby PID` while another process holds the lease. Used by test_one_syncer.py."""

from __future__ import annotations

import argparse
import asyncio

from console.compose import build_engine, load_config, open_store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--recheck", type=float, default=0.3)
    parser.add_argument("--log", required=True, help="file each line is appended to (flushed)")
    args = parser.parse_args()
    store = open_store(args.db)
    engine = build_engine(store, config=load_config())

    def say(line: str) -> None:
        with open(args.log, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def on_pass(report: object) -> None:
        say("pass")

    def on_standby(lease: object) -> None:
        say(f"standby {getattr(lease, 'pid', '?')}")

    asyncio.run(engine.sync_forever(lease=True, on_pass=on_pass, on_standby=on_standby,
                                    standby_recheck=args.recheck))


if __name__ == "__main__":
    main()
