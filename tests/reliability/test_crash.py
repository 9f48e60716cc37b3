"""Crash anywhere: the engine process is killed (SIGKILL, or an `os._exit` at a named store
write) during submit, ingest, resubmit and promote; after a restart and one `sync --once`
the store matches the emulator exactly — nothing submitted twice, no result lost or
duplicated, nothing counted twice in savings, the audit log consistent.

Each test has its own emulator (frozen clock, so outcomes are fixed) and its own database
file; the `batchdeck` commands run as real subprocesses. Random kill moments come from a
fixed seed, so a failure reproduces.
"""

from __future__ import annotations

import json
import random
import time

import pytest

from adapters.emulator.testing import running_emulator
from tests.reliability.crashpoint import EXIT_CRASHED
from tests.reliability.helpers import (
    anthropic_rows,
    backdate_intents,
    check_store_matches_emulator,
    cli,
    cli_crashing_at,
    cli_env,
    cli_killed_after,
    openai_rows,
    rows,
    setup_batches,
    write_jsonl,
)

SEED = 20261123
HOUR = 3600.0


@pytest.fixture
def emu():
    with running_emulator(seed=41) as server:
        yield server


@pytest.fixture
def db(tmp_path):
    return tmp_path / "crash.db"


@pytest.fixture
def env(tmp_path, emu):
    return cli_env(tmp_path, emu)


def sync_ok(env, db) -> dict:
    done = cli(["sync", "--once", "--format", "json"], env, db)
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


def local_batches_by_prefix(db, prefix: str) -> list[int]:
    return [r[0] for r in rows(db, "SELECT DISTINCT batch_id FROM items WHERE custom_id LIKE ?", (prefix + "-%",))]


def test_submit_killed_at_random_moments_never_sends_twice_nor_loses_a_batch(tmp_path, emu, env, db):
    rng = random.Random(SEED)
    # How long one submit takes here, so that the kill moments cover all of it.
    calib = write_jsonl(tmp_path / "calib.jsonl", openai_rows(3, "calib"))
    t = time.perf_counter()
    assert cli(["submit", str(calib), "--provider", "openai"], env, db).returncode == 0
    span = time.perf_counter() - t
    killed = 0
    rounds = 0
    # At least six rounds, and more (bounded) until four kills landed inside a submit: on a
    # loaded machine a submit can run faster or slower than the calibration.
    while rounds < 6 or (killed < 4 and rounds < 12):
        round_no = rounds
        rounds += 1
        provider = "openai" if round_no % 2 == 0 else "anthropic"
        n = 4 + round_no  # distinct sizes: Anthropic intents are matched by request count
        lines = openai_rows(n, f"r{round_no}") if provider == "openai" else anthropic_rows(n, f"r{round_no}")
        path = write_jsonl(tmp_path / f"r{round_no}.jsonl", lines)
        code, was_killed = cli_killed_after(["submit", str(path), "--provider", provider], env, db,
                                            delay=rng.uniform(0.25, 1.1) * span)
        killed += was_killed
        assert was_killed or code == 0
        sync_ok(env, db)
        assert check_store_matches_emulator(db, emu, audit=False) == [], f"after round {round_no}"
    assert killed >= 4, "the kill moments should land inside most submits"
    # Intents that never reached the provider are sent once their grace period is over.
    backdate_intents(db, 120)
    sync_ok(env, db)
    assert check_store_matches_emulator(db, emu, allow_unsent_intents=False, audit=False) == []
    for round_no in range(rounds):
        local = local_batches_by_prefix(db, f"r{round_no}")
        assert len(local) <= 1, f"round {round_no} became {len(local)} local batches"
    assert len(rows(db, "SELECT id FROM batches WHERE provider_batch_id IS NOT NULL")) == len(emu.state()["batches"])


CRASH_POINTS_SUBMIT = [
    ("openai", "add_items:after:1"),        # intent + items, provider not called
    ("openai", "attach_remote:before:1"),   # provider accepted, we never recorded it
    ("anthropic", "add_items:after:1"),
    ("anthropic", "attach_remote:before:1"),  # found again by time window and request count
]


def test_submit_crashing_at_each_store_write_is_repaired_by_the_next_sync(tmp_path, emu, env, db):
    for i, (provider, point) in enumerate(CRASH_POINTS_SUBMIT):
        n = 5 + i
        lines = openai_rows(n, f"p{i}") if provider == "openai" else anthropic_rows(n, f"p{i}")
        path = write_jsonl(tmp_path / f"p{i}.jsonl", lines)
        done = cli_crashing_at(point, ["submit", str(path), "--provider", provider], env, db)
        assert done.returncode == EXIT_CRASHED, (point, done.stderr)
        sync_ok(env, db)
        assert check_store_matches_emulator(db, emu) == [], point
    # Both "provider accepted, not recorded" intents were found: OpenAI by our token,
    # Anthropic by window and count. The others wait out their grace period, then go once.
    how = sorted(json.loads(r[0])["reconciled_by"] for r in
                 rows(db, "SELECT details FROM events WHERE action = 'submit.reconciled'"))
    assert how == ["token", "window"]
    backdate_intents(db, 120)
    sync_ok(env, db)
    assert check_store_matches_emulator(db, emu, allow_unsent_intents=False) == []
    for i, (_provider, point) in enumerate(CRASH_POINTS_SUBMIT):
        local = local_batches_by_prefix(db, f"p{i}")
        # An intent killed before the provider was called is either rolled back whole or sent
        # once; one the provider accepted is never lost.
        # Killed inside the recording transaction: rolled back whole, nothing sent, ever.
        # Killed after the provider accepted: found again, never lost, never sent twice.
        assert len(local) == (1 if point.startswith("attach_remote") else 0), point


def test_an_intent_killed_before_its_items_were_written_is_never_sent_empty(tmp_path, emu, env, db):
    path = write_jsonl(tmp_path / "e.jsonl", openai_rows(5, "e"))
    done = cli_crashing_at("record_intent:after:1", ["submit", str(path), "--provider", "openai"], env, db)
    assert done.returncode == EXIT_CRASHED, done.stderr
    backdate_intents(db, 120)
    sync_ok(env, db)
    sent = [b["requests"] for b in emu.state()["batches"]]
    assert 0 not in sent, "an empty batch was submitted for a 5-request file"


def test_a_batch_attached_just_before_a_kill_is_still_in_the_audit_log(tmp_path, emu, env, db):
    path = write_jsonl(tmp_path / "a.jsonl", openai_rows(5, "a"))
    done = cli_crashing_at("attach_remote:after:1", ["submit", str(path), "--provider", "openai"], env, db)
    assert done.returncode == EXIT_CRASHED, done.stderr
    sync_ok(env, db)
    assert check_store_matches_emulator(db, emu) == []


CRASH_POINTS_INGEST = [
    "update_from_remote:after:1",  # status says ended, nothing ingested
    "ingest_results:during:20",    # inside the first chunk of a small batch
    "ingest_results:during:5500",  # after the first 5,000-row chunk of the big batch committed
    "ingest_results:after:1",      # results written, leftovers not settled, not marked
    "mark_ingested:before:1",
    "mark_ingested:after:1",       # marked, the ingest audit event not written
]


async def test_ingest_crashing_anywhere_yields_the_same_rows_as_an_uninterrupted_ingest(tmp_path, emu, env, db):
    emu.set_faults(error_rate=0.2)
    ids = await setup_batches(db, emu, [("openai", openai_rows(6_000, "big")),
                                        ("openai", openai_rows(40, "small")),
                                        ("anthropic", anthropic_rows(30, "anth"))], end=False)
    emu.advance(30 * HOUR)
    crashed = 0
    for point in CRASH_POINTS_INGEST:
        done = cli_crashing_at(point, ["sync", "--once"], env, db)
        assert done.returncode in (EXIT_CRASHED, 0), (point, done.stderr)
        crashed += done.returncode == EXIT_CRASHED
        assert check_store_matches_emulator(db, emu) == [], point
    assert crashed >= 5
    rng = random.Random(SEED)
    for _ in range(3):
        cli_killed_after(["sync", "--once"], env, db, delay=rng.uniform(0.5, 2.5))
    report = sync_ok(env, db)
    assert report["errors"] == {}
    assert check_store_matches_emulator(db, emu) == []
    assert {r[0] for r in rows(db, "SELECT id FROM batches WHERE ingested_at IS NOT NULL")} == set(ids)
    # Once ingested, another pass changes nothing.
    item_columns = "SELECT id, status, input_tokens, output_tokens, batch_cost, result_offset FROM items ORDER BY id"
    before = rows(db, item_columns)
    assert sync_ok(env, db)["ingested"] == {}
    assert rows(db, item_columns) == before
    assert rows(db, "SELECT sum(items) FROM savings_rollup")[0][0] == 6_000 + 40 + 30


CRASH_POINTS_RESUBMIT = [
    "record_intent:after:1",
    "link_resubmission:after:1",
    "attach_remote:before:1",
]


async def test_resubmit_crashing_and_run_again_sends_each_failed_item_once(tmp_path, emu, env, db):
    emu.set_faults(error_rate=0.5, retryable_share=1.0)
    parents = await setup_batches(db, emu, [("openai", openai_rows(30, f"par{i}"))
                                            for i in range(len(CRASH_POINTS_RESUBMIT))], end=True)
    emu.set_faults(error_rate=0.0)
    failed = {p: rows(db, "SELECT count(*) FROM items WHERE batch_id = ? AND status = 'errored'", (p,))[0][0]
              for p in parents}
    assert all(n > 5 for n in failed.values()), failed
    for parent, point in zip(parents, CRASH_POINTS_RESUBMIT, strict=False):
        done = cli_crashing_at(point, ["resubmit", str(parent), "--yes"], env, db)
        assert done.returncode == EXIT_CRASHED, (point, done.stderr)
        # The operator runs it again; it sends what is left to send, or says nothing is.
        again = cli(["resubmit", str(parent), "--yes"], env, db)
        assert again.returncode in (0, 2), again.stderr
        assert "Traceback" not in again.stderr
    backdate_intents(db, 120)
    sync_ok(env, db)
    for parent in parents:
        sent = rows(db, "SELECT i.custom_id, count(*) FROM items i JOIN batches b ON b.id = i.batch_id "
                        "WHERE b.parent_id = ? GROUP BY i.custom_id", (parent,))
        twice = [cid for cid, n in sent if n > 1]
        assert twice == [], f"batch {parent}: {len(twice)} failed items resubmitted twice"
        assert len(sent) == failed[parent], f"batch {parent}: {len(sent)} of {failed[parent]} failed items resubmitted"
        dangling = rows(db, "SELECT count(*) FROM items WHERE batch_id = ? AND status = 'resubmitted' "
                            "AND replaced_by IS NULL", (parent,))[0][0]
        assert dangling == 0
    assert check_store_matches_emulator(db, emu, allow_unsent_intents=False) == []


async def test_resubmit_killed_between_recording_and_linking_does_not_send_items_twice(tmp_path, emu, env, db):
    emu.set_faults(error_rate=0.5, retryable_share=1.0)
    [parent] = await setup_batches(db, emu, [("openai", openai_rows(30, "dup"))], end=True)
    emu.set_faults(error_rate=0.0)
    done = cli_crashing_at("add_items:after:1", ["resubmit", str(parent), "--yes"], env, db)
    assert done.returncode == EXIT_CRASHED, done.stderr
    again = cli(["resubmit", str(parent), "--yes"], env, db)
    assert again.returncode in (0, 2), again.stderr
    backdate_intents(db, 120)
    sync_ok(env, db)
    twice = rows(db, "SELECT i.custom_id FROM items i JOIN batches b ON b.id = i.batch_id "
                     "WHERE b.parent_id = ? AND b.provider_batch_id IS NOT NULL GROUP BY i.custom_id "
                     "HAVING count(*) > 1", (parent,))
    assert twice == [], f"{len(twice)} failed items were sent to the provider twice"


async def test_promote_killed_and_run_again_promotes_each_item_once_and_counts_it_once(tmp_path, emu, env, db):
    [batch] = await setup_batches(db, emu, [("openai", openai_rows(80, "pro"))], end=False)
    for point in ("record_promotion:before:5", "record_promotion:after:20"):
        done = cli_crashing_at(point, ["promote", str(batch), "--yes", "--concurrency", "4"], env, db)
        assert done.returncode == EXIT_CRASHED, (point, done.stderr)
    rng = random.Random(SEED)
    for _ in range(2):
        cli_killed_after(["promote", str(batch), "--yes", "--concurrency", "4"], env, db,
                         delay=rng.uniform(1.0, 2.0))
    final = cli(["promote", str(batch), "--yes", "--format", "json"], env, db)
    assert final.returncode in (0, 2), final.stderr
    statuses = dict(rows(db, "SELECT status, count(*) FROM items WHERE batch_id = ? GROUP BY status", (batch,)))
    assert statuses == {"promoted": 80}
    assert rows(db, "SELECT count(*) FROM items WHERE batch_id = ? AND promoted_cost IS NULL", (batch,))[0][0] == 0
    # The batch finishes anyway: its copies are kept, not counted as second outputs.
    emu.advance(30 * HOUR)
    sync_ok(env, db)
    assert check_store_matches_emulator(db, emu) == []
    [row] = json.loads(cli(["savings", "--by", "batch", "--format", "json"], env, db).stdout)["rows"]
    assert row["items"] == 80
    exported = cli(["export", str(batch)], env, db).stdout.splitlines()
    assert len(exported) == 80
    assert sorted(json.loads(line)["custom_id"] for line in exported) == sorted(f"pro-{i}" for i in range(80))


async def test_a_promotion_recorded_before_a_kill_keeps_its_realtime_answer(tmp_path, emu, env, db):
    [batch] = await setup_batches(db, emu, [("openai", openai_rows(30, "ans"))], end=False)
    done = cli_crashing_at("record_promotion:after:12", ["promote", str(batch), "--yes", "--concurrency", "4"],
                           env, db)
    assert done.returncode == EXIT_CRASHED, done.stderr
    promoted = {r[0] for r in rows(db, "SELECT custom_id FROM items WHERE batch_id = ? AND status = 'promoted'",
                                   (batch,))}
    assert len(promoted) == 12
    exported = [json.loads(line) for line in cli(["export", str(batch)], env, db).stdout.splitlines()]
    answers = {e["custom_id"]: e for e in exported if e["custom_id"] in promoted}
    lost = sorted(cid for cid, e in answers.items() if e["source"] != "realtime" or not e["text"])
    assert lost == [], f"{len(lost)} promoted items lost their realtime answer: {lost[:3]}"


async def test_a_promote_killed_before_recording_frees_its_claims_and_the_next_run_buys_the_rest_once(
        tmp_path, emu, env, db):
    """The answer is stored with its mark in one transaction (no side file): a kill before that
    transaction leaves the item unbought-as-far-as-the-store-knows, and the dead run's claims
    lapse at once, so the next promote finishes the batch and buys every other item once."""
    [batch] = await setup_batches(db, emu, [("openai", openai_rows(40, "paid"))], end=False)
    done = cli_crashing_at("record_promotion:before:5", ["promote", str(batch), "--yes", "--concurrency", "1"],
                           env, db)
    assert done.returncode == EXIT_CRASHED, done.stderr
    marked = rows(db, "SELECT count(*) FROM items WHERE batch_id = ? AND status = 'promoted'", (batch,))[0][0]
    assert marked == 4
    held = rows(db, "SELECT count(*) FROM items WHERE batch_id = ? AND claim IS NOT NULL", (batch,))[0][0]
    assert held == 36  # the dead run's claims are still written, but lapse with its process
    calls = emu.state()["calls"]
    again = cli(["promote", str(batch), "--yes", "--format", "json"], env, db)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["promoted"] == 36 and report["skipped"] == {}, report
    # Two polls (before the estimate, and again once confirmed), then the 36 answers.
    assert emu.state()["calls"] - calls == 2 + 36, "an item was bought twice"
    statuses = dict(rows(db, "SELECT status, count(*) FROM items WHERE batch_id = ? GROUP BY status", (batch,)))
    assert statuses == {"promoted": 40}
    assert rows(db, "SELECT count(*) FROM items WHERE batch_id = ? AND claim IS NOT NULL", (batch,))[0][0] == 0
    assert rows(db, "SELECT count(*) FROM realtime_answers a JOIN items i ON i.id = a.item_id "
                    "WHERE i.batch_id = ?", (batch,))[0][0] == 40
    exported = [json.loads(line) for line in cli(["export", str(batch)], env, db).stdout.splitlines()]
    assert sorted(e["custom_id"] for e in exported if e["source"] == "realtime" and e["text"]) == sorted(
        f"paid-{i}" for i in range(40))
    assert not list(tmp_path.rglob("promoted.jsonl"))


async def test_two_stores_in_one_directory_never_share_paid_answers(tmp_path, emu, env):
    """Two databases side by side with the same local batch id and custom_ids: each one's
    promote buys and keeps its own answers (they used to share results/<id>/promoted.jsonl,
    and B "recovered" A's answers as its own)."""
    a_db, b_db = tmp_path / "a.db", tmp_path / "b.db"
    [a] = await setup_batches(a_db, emu, [("openai", openai_rows(6, "same"))], end=False)
    [b] = await setup_batches(b_db, emu, [("openai", openai_rows(6, "same", model="gpt-6-sol"))], end=False)
    assert a == b
    # A's promote dies after paying for its 4th answer, before recording it.
    done = cli_crashing_at("record_promotion:before:4", ["promote", str(a), "--yes", "--concurrency", "1"],
                           env, a_db)
    assert done.returncode == EXIT_CRASHED, done.stderr
    calls = emu.state()["calls"]
    again = cli(["promote", str(b), "--yes", "--format", "json"], env, b_db)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["promoted"] == 6
    assert emu.state()["calls"] - calls == 2 + 6  # two refresh polls; B bought all of its own six
    models = {json.loads(line)["response"]["model"] for line in cli(["export", str(b)], env, b_db).stdout.splitlines()}
    assert models == {"gpt-6-sol"}  # none of A's answers (gpt-6-luna) in B


def split_job_rows(prefix: str, models: tuple[str, ...]) -> list[dict]:
    """One file that submit splits into one OpenAI batch per model (a batch holds one model)."""
    out: list[dict] = []
    for k, model in enumerate(models):
        out += openai_rows(4 + k, f"{prefix}{k}", model=model)
    return out


def test_submit_killed_between_the_batches_of_a_split_job_is_flagged_and_finished_once_by_sync(
        tmp_path, emu, env, db):
    path = write_jsonl(tmp_path / "split.jsonl", split_job_rows("sp", ("gpt-6-luna", "gpt-6-sol")))
    done = cli_crashing_at("item_requests:before:2", ["submit", str(path), "--provider", "openai"], env, db)
    assert done.returncode == EXIT_CRASHED, done.stderr
    # Both batches were recorded with their items before the first provider call.
    assert rows(db, "SELECT count(*) FROM batches")[0][0] == 2
    assert rows(db, "SELECT count(*) FROM items")[0][0] == 4 + 5
    assert len(emu.state()["batches"]) == 1
    listed = cli(["ls"], env, db).stdout
    assert "is partly sent: 1 of 2 batches reached the provider" in listed
    [unsent] = [r[0] for r in rows(db, "SELECT id FROM batches WHERE status = 'submitting'")]
    shown = json.loads(cli(["show", str(unsent), "--format", "json"], env, db).stdout)
    assert shown["job_partly_sent"] == {"sent": 1, "batches": 2}
    sync_ok(env, db)  # the rest is young: another submit may still be sending it
    assert len(emu.state()["batches"]) == 1
    backdate_intents(db, 120)
    # sync is killed while it sends the aged intent: the provider accepted, we never recorded it.
    killed = cli_crashing_at("attach_remote:before:1", ["sync", "--once"], env, db)
    assert killed.returncode == EXIT_CRASHED, killed.stderr
    sync_ok(env, db)  # found again by our token, never sent a second time
    assert len(emu.state()["batches"]) == 2
    assert check_store_matches_emulator(db, emu, allow_unsent_intents=False) == []
    assert "partly sent" not in cli(["ls"], env, db).stdout


def test_sync_killed_at_random_while_it_sends_aged_intents_sends_each_once(tmp_path, emu, env, db):
    rng = random.Random(SEED + 1)
    models = ("gpt-6-luna", "gpt-6-sol", "gpt-6-astra", "gpt-6.1-sol")
    for job in range(3):
        path = write_jsonl(tmp_path / f"j{job}.jsonl", split_job_rows(f"k{job}", models))
        # Every submit stops after its first batch was sent and recorded: three jobs, nine
        # batches left as intents.
        done = cli_crashing_at("item_requests:before:2", ["submit", str(path), "--provider", "openai"], env, db)
        assert done.returncode == EXIT_CRASHED, done.stderr
    backdate_intents(db, 120)
    kills = 0
    for _ in range(4):
        _, was_killed = cli_killed_after(["sync", "--once"], env, db, delay=rng.uniform(0.6, 1.6))
        kills += was_killed
        backdate_intents(db, 600)  # a killed sync's send claim lapses with it; keep the rest aged
    assert kills >= 1, "the kill moments should land inside a sync"
    sync_ok(env, db)
    assert check_store_matches_emulator(db, emu, allow_unsent_intents=False, audit=False) == []
    assert len(emu.state()["batches"]) == 3 * len(models)  # nothing lost, nothing sent twice
    assert rows(db, "SELECT count(*) FROM batches WHERE status = 'submitting'")[0][0] == 0


async def test_an_ingest_killed_after_marking_still_has_its_audit_event(tmp_path, emu, env, db):
    [batch] = await setup_batches(db, emu, [("openai", openai_rows(10, "aud"))], end=False)
    emu.advance(30 * HOUR)
    done = cli_crashing_at("mark_ingested:after:1", ["sync", "--once"], env, db)
    assert done.returncode == EXIT_CRASHED, done.stderr
    sync_ok(env, db)
    assert rows(db, "SELECT ingested_at IS NOT NULL FROM batches WHERE id = ?", (batch,))[0][0] == 1
    assert check_store_matches_emulator(db, emu, require_ingest_events=True) == []
