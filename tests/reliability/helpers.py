"""Shared by the reliability suite: real `batchdeck` subprocesses, and the check that a store
matches the emulator exactly.

Everything here talks to real things: the command line runs as `python -m console.cli` in its
own process (killed with SIGKILL where a test says so), the database is a real SQLite file,
the provider is the emulator on a socket.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

PLANTED_OPENAI_KEY = "sk-test-PLANTED-openai-5f1c9a7e3b2d4c6e8a0b"
PLANTED_ANTHROPIC_KEY = "sk-ant-test-PLANTED-anthropic-9d8c7b6a5f4e"
PLANTED_PROFILE_KEY = "sk-test-PLANTED-profile-0a1b2c3d4e5f6a7b"
PLANTED = (PLANTED_OPENAI_KEY, PLANTED_ANTHROPIC_KEY, PLANTED_PROFILE_KEY)


def cli_env(tmp_path: Path, emu: Any | None, **extra: str) -> dict[str, str]:
    """A clean environment for a `batchdeck` subprocess: planted keys, the emulator's URLs,
    XDG dirs in tmp_path; nothing of the developer's."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "USER": "ops",
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "OPENAI_API_KEY": PLANTED_OPENAI_KEY,
        "ANTHROPIC_API_KEY": PLANTED_ANTHROPIC_KEY,
    }
    if emu is not None:
        env["OPENAI_BASE_URL"] = emu.base_url_openai
        env["ANTHROPIC_BASE_URL"] = emu.base_url_anthropic
    env.update(extra)
    return env


def _cmd(args: list[str], db: Path | None, module: str = "console.cli") -> list[str]:
    return [sys.executable, "-m", module, *(["--db", str(db)] if db is not None else []), *args]


def cli(args: list[str], env: dict[str, str], db: Path | None, *, timeout: float = 120,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `batchdeck [--db DB] ARGS` to completion (stdin is not a terminal)."""
    return subprocess.run(_cmd(args, db), cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, input=stdin if stdin is not None else "")


def cli_bytes(args: list[str], env: dict[str, str], db: Path | None, *, timeout: float = 120
              ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(_cmd(args, db), cwd=ROOT, env=env, capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def cli_killed_after(args: list[str], env: dict[str, str], db: Path, delay: float,
                     *, timeout: float = 120) -> tuple[int, bool]:
    """Start `batchdeck ARGS`, SIGKILL it after `delay` seconds if still running.

    Returns (exit status, killed?). A killed process reports -9.
    """
    proc = subprocess.Popen(_cmd(args, db), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay)
        return proc.returncode, False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=timeout)
        return proc.returncode, True


def cli_crashing_at(point: str, args: list[str], env: dict[str, str], db: Path, *,
                    timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `batchdeck ARGS` under tests/reliability/crashpoint.py, dying at `point`."""
    return subprocess.run(_cmd(args, db, "tests.reliability.crashpoint"), cwd=ROOT,
                          env={**env, "BATCHDECK_TEST_CRASH": point}, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write((row if isinstance(row, str) else json.dumps(row)) + "\n")
    return path


def openai_rows(n: int, prefix: str, model: str = "gpt-6-luna") -> list[dict[str, Any]]:
    return [{"custom_id": f"{prefix}-{i}", "method": "POST", "url": "/v1/chat/completions",
             "body": {"model": model, "max_tokens": 64,
                      "messages": [{"role": "user", "content": f"Summarise ticket {prefix}-{i} in one line."}]}}
            for i in range(n)]


def anthropic_rows(n: int, prefix: str, model: str = "claude-haiku-5-5") -> list[dict[str, Any]]:
    return [{"custom_id": f"{prefix}-{i}",
             "params": {"model": model, "max_tokens": 64,
                        "messages": [{"role": "user", "content": f"Classify ticket {prefix}-{i}."}]}}
            for i in range(n)]


# ---- reading the store without writing it ---------------------------------------------
def connect_ro(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def rows(db: Path, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
    conn = connect_ro(db)
    try:
        return list(conn.execute(sql, args))
    finally:
        conn.close()


def backdate_intents(db: Path, seconds: float) -> int:
    """Make every SUBMITTING intent `seconds` older, as if that much time had passed (the
    engine sends an unmatched intent only after a grace period of 60 s)."""
    conn = sqlite3.connect(str(db), timeout=30)
    try:
        with conn:
            return conn.execute("UPDATE batches SET created_at = created_at - ? WHERE status = 'submitting'",
                                (seconds,)).rowcount
    finally:
        conn.close()


# ---- the store must match the emulator exactly ------------------------------------------
@dataclass
class Mismatch:
    problems: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.problems.append(text)


def emulator_batches(emu: Any) -> dict[str, dict[str, Any]]:
    return {b["id"]: b for b in emu.state()["batches"]}


def openai_tokens(emu: Any) -> dict[str, str | None]:
    """provider batch id -> metadata.batchdeck_token, for every OpenAI batch the emulator has."""
    client = emu.openai_client(max_retries=0)
    try:
        return {b.id: (b.metadata or {}).get("batchdeck_token") for b in client.batches.list(limit=100)}
    finally:
        client.close()


def check_store_matches_emulator(db: Path, emu: Any, *, foreign: set[str] = frozenset(),
                                 allow_unsent_intents: bool = True, audit: bool = True,
                                 require_ingest_events: bool = False) -> list[str]:
    """Every difference between the store and the emulator, as sentences (empty: they match).

    - no provider batch is attached to two local batches, and every attached id exists;
    - every emulator batch (but `foreign` ones the test made itself) is known locally:
      the provider never holds work we lost track of;
    - OpenAI: no two provider batches carry the same batchdeck token (nothing sent twice), and
      each carries the token of the local batch it is attached to;
    - each attached batch has as many items as the provider batch has requests, no duplicate
      custom_id or seq;
    - an ingested batch's item outcomes equal the emulator's counts, and every item of an
      ended, ingested batch is settled;
    - the savings rollup of every batch equals a recount from its items (nothing counted twice);
    - the audit log records every batch that reached the provider (an event naming its
      provider id, or the resubmit event listing it), names no batch wrongly, and (with
      `require_ingest_events`) has an ingest event for every ingested batch. `audit=False`
      skips the "records every batch" part (for tests about something else that kill a
      process at random, which may land between a write and its audit event).
    """
    m = Mismatch()
    emu_batches = emulator_batches(emu)
    local = rows(db, "SELECT * FROM batches ORDER BY id")
    attached: dict[str, sqlite3.Row] = {}
    for b in local:
        pid = b["provider_batch_id"]
        if pid is None:
            if b["status"] == "failed" and b["errors"]:
                continue  # the provider refused it outright: nothing was accepted
            if b["status"] != "submitting":
                m.add(f"local batch {b['id']} is {b['status']} without a provider id")
            elif not allow_unsent_intents:
                m.add(f"local batch {b['id']} is still SUBMITTING")
            continue
        if pid in attached:
            m.add(f"provider batch {pid} is attached to local batches {attached[pid]['id']} and {b['id']}")
        attached[pid] = b
        if pid not in emu_batches:
            m.add(f"local batch {b['id']} points at {pid}, which the provider does not have")
    for pid, eb in emu_batches.items():
        if pid in foreign:
            continue
        if pid not in attached:
            m.add(f"provider batch {pid} ({eb['provider']}, {eb['requests']} requests) is unknown to the store")
    if any(eb["provider"] == "openai" for eb in emu_batches.values()):
        tokens = openai_tokens(emu)
        seen: dict[str, str] = {}
        for pid, token in tokens.items():
            if pid in foreign:
                continue
            if token is None:
                m.add(f"OpenAI batch {pid} carries no batchdeck token")
                continue
            if token in seen:
                m.add(f"the same submission (token {token[:8]}…) was sent twice: {seen[token]} and {pid}")
            seen[token] = pid
            b = attached.get(pid)
            if b is not None and b["submit_token"] != token:
                m.add(f"OpenAI batch {pid} carries token {token[:8]}… but is attached to local batch "
                      f"{b['id']} whose token is {str(b['submit_token'])[:8]}…")
    conn = connect_ro(db)
    try:
        for b in local:
            bid = b["id"]
            n_items, n_cids, n_seqs = conn.execute(
                "SELECT count(*), count(DISTINCT custom_id), count(DISTINCT seq) FROM items WHERE batch_id = ?",
                (bid,)).fetchone()
            if not (n_items == n_cids == n_seqs):
                m.add(f"batch {bid}: {n_items} items but {n_cids} custom_ids and {n_seqs} seqs")
            eb = emu_batches.get(b["provider_batch_id"]) if b["provider_batch_id"] else None
            if eb is not None and not b["tracked"] and n_items != eb["requests"]:
                m.add(f"batch {bid}: {n_items} items locally, {eb['requests']} requests at the provider")
            if eb is not None and b["ingested_at"] is not None and eb["status"] in ("completed", "ended"):
                got = dict(conn.execute(
                    "SELECT coalesce(result_status, status), count(*) FROM items WHERE batch_id = ? GROUP BY 1",
                    (bid,)).fetchall())
                if got.get("succeeded", 0) != eb["succeeded"] or got.get("errored", 0) != eb["errored"]:
                    m.add(f"batch {bid}: outcomes {got} but the provider reports {eb['succeeded']} succeeded, "
                          f"{eb['errored']} errored")
                if got.get("pending", 0):
                    m.add(f"batch {bid} is ingested but {got['pending']} items are still pending")
                lost = conn.execute(
                    "SELECT count(*) FROM items WHERE batch_id = ? AND coalesce(result_status, status) = 'succeeded'"
                    " AND result_offset IS NULL", (bid,)).fetchone()[0]
                if lost:
                    m.add(f"batch {bid}: {lost} succeeded items have no raw result line")
        recount = {r[0]: r[1:] for r in conn.execute(
            """SELECT batch_id, count(*), total(CASE WHEN p THEN batch_cost END),
                      total(CASE WHEN p THEN realtime_cost END), total(CASE WHEN p THEN coalesce(promoted_cost, 0) END)
               FROM (SELECT *, (batch_cost IS NOT NULL AND realtime_cost IS NOT NULL) AS p FROM items)
               WHERE status <> 'pending' GROUP BY batch_id""")}
        rolled = {r[0]: r[1:] for r in conn.execute(
            "SELECT batch_id, sum(items), total(batch_cost), total(realtime_cost), total(promoted_cost)"
            " FROM savings_rollup GROUP BY batch_id HAVING sum(items) <> 0")}
        for bid in sorted(set(recount) | set(rolled)):
            a, r = recount.get(bid, (0, 0.0, 0.0, 0.0)), rolled.get(bid, (0, 0.0, 0.0, 0.0))
            if a[0] != r[0] or any(abs(x - y) > 1e-9 + 1e-9 * abs(x) for x, y in zip(a[1:], r[1:], strict=False)):
                m.add(f"batch {bid}: savings rollup says {r[0]} items ${r[1]:.6f} batch, "
                      f"items say {a[0]} items ${a[1]:.6f}: counted twice or lost")
        events = list(conn.execute("SELECT action, target, details FROM events"))
    finally:
        conn.close()
    named: set[str] = set()
    listed: set[int] = set()
    ingested_targets: set[str] = set()
    for action, target, details in events:
        if action == "ingest":
            ingested_targets.add(str(target))
        if action == "resubmit" and details:
            try:
                listed.update(int(x) for x in json.loads(details).get("new_batches") or [])
            except (ValueError, TypeError):
                pass
        if details and "provider_batch_id" in details:
            try:
                value = json.loads(details).get("provider_batch_id")
            except ValueError:
                value = None
            if value:
                named.add(value)
                b = attached.get(value)
                if b is None:
                    m.add(f"audit event {action} names provider batch {value}, which no local batch holds")
                elif target is not None and str(target) != str(b["id"]):
                    m.add(f"audit event {action} says {value} is local batch {target}, the store says {b['id']}")
    for pid, b in attached.items():
        if audit and not b["tracked"] and pid not in named and b["id"] not in listed:
            m.add(f"local batch {b['id']} ({pid}) reached the provider but no audit event records it")
        if require_ingest_events and b["ingested_at"] is not None and str(b["id"]) not in ingested_targets:
            m.add(f"local batch {b['id']} is ingested but the audit log has no ingest event for it")
    return m.problems


async def setup_batches(db, emu, files: list[tuple[str, list]], *, end: bool) -> list[int]:
    """Submit files in this process (fast), optionally end them and ingest; return batch ids."""
    from store import Store
    from tests.engine.conftest import make_engine

    store = Store.open(db)
    engine = make_engine(store, emu)
    ids = []
    try:
        for provider, lines in files:
            path = db.parent / f"setup-{len(ids)}.jsonl"
            write_jsonl(path, lines)
            ids += (await engine.submit(path, provider=provider)).batch_ids
        if end:
            emu.advance(30 * 3600)
            report = await engine.sync_once()
            assert set(report.ingested) == set(ids)
    finally:
        await engine.aclose()
        store.close()
    return ids
