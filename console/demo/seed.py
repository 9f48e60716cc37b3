"""A deterministic demo store: a realistic fleet at a frozen instant (3 a.m., on call).

Used by the snapshot tests, the screenshots, the Pilot tests and the benchmark. It writes
through the Store API only (record_intent → attach_remote → update_from_remote, add_items →
ingest_results with real results files), exactly as the engine would, so every screen reads
what a real sync would have left. Same arguments, same bytes: no wall clock, seeded RNG.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters import registry
from console.demo import lines
from console.demo.config import fleet_file, provider_facts, seconds
from console.engine.estimate import window_seconds
from console.tui.clock import DEMO_NOW
from store.model import BatchStatus, ErrorClass, ItemResult, ItemStatus, PriceTier, RemoteBatch, RequestCounts, Usage

H, M = 3600.0, 60.0
ACTOR = "oncall@ops-1"
HOSTILE_INDEX = 3
"""Which item of the `hostile` batch carries the escape-laden answer (always a success)."""
DEMO_IDS: dict[str, tuple[str, dict[str, str]]] = {
    name: (facts.batch_id, facts.statuses) for name, facts in provider_facts().items()}
"""provider -> (its batch id shape, normalized status -> its raw status word), from the fleet
file's `[providers.*]` tables: the registry has no id shapes or reverse status lookup. The words
are the ones adapters/lifecycle.py maps back (tests/console/test_demo_seed.py checks)."""


@dataclass
class Spec:
    """One demo batch: who, how big, where it is in its life, and what went wrong."""

    provider: str
    label: str | None
    model: str | None
    size: int
    status: str
    created: float
    """Seconds before now."""
    ended: float | None = None
    progress: float = 0.0
    """Fraction done, for batches still running (from the provider's counts)."""
    failures: dict[str, int] = field(default_factory=dict)
    """error_type -> how many items failed so (ingested only for ended batches)."""
    expired_items: int = 0
    canceled_items: int = 0
    deadline: float | None = None
    """Seconds after now."""
    parent: int | None = None
    promote: int = 0
    errors: str | None = None
    tracked: bool = False
    hostile: bool = False
    """Plant a response full of markup and escape sequences (the literal-text test)."""


def _spec(entry: dict[str, Any], size: int | None = None) -> Spec:
    """One `[[seeded]]` table of the fleet file as a Spec (durations in seconds)."""
    def maybe(key: str) -> float | None:
        return seconds(entry[key]) if key in entry else None

    return Spec(provider=entry["provider"], label=entry.get("label"), model=entry.get("model"),
                size=int(entry["size"] if size is None else size), status=entry["status"],
                created=seconds(entry["created"]), ended=maybe("ended"), progress=float(entry.get("progress", 0.0)),
                failures=dict(entry.get("failures", {})), expired_items=int(entry.get("expired_items", 0)),
                canceled_items=int(entry.get("canceled_items", 0)), deadline=maybe("deadline"),
                parent=entry.get("parent"), promote=int(entry.get("promote", 0)), errors=entry.get("errors"),
                tracked=bool(entry.get("tracked", False)), hostile=bool(entry.get("hostile", False)))


def fleet(big: int | None = None) -> list[Spec]:
    """The seeded fleet (console/demo/fleet.toml `[[seeded]]`); `big` adds the `[bench]` batch
    with that many items (the benchmark)."""
    data = fleet_file()
    specs = [_spec(entry) for entry in data["seeded"]]
    if big:
        bench = data["bench"]
        spec = _spec(bench, size=big)
        spec.failures = {etype: big * per // 1000 for etype, per in bench.get("failures_per_thousand", {}).items()}
        specs.append(spec)
    return specs


def seed(store: Any, *, now: float = DEMO_NOW, big: int | None = None, rng_seed: int = 7) -> list[int]:
    """Fill `store` with the demo fleet as seen at `now`; returns the local batch ids."""
    rng = random.Random(rng_seed)
    specs = fleet(big)
    ids = [_one(store, spec, i + 1, now, rng) for i, spec in enumerate(specs)]
    _resubmission_links(store, ids, now)
    _audit(store, ids, specs, now)
    return ids


def _remote(spec: Spec, n: int, status: str, counts: RequestCounts, now: float) -> RemoteBatch:
    created = now - spec.created
    ended = now - spec.ended if spec.ended is not None else None
    id_shape, raw = DEMO_IDS[spec.provider]
    return RemoteBatch(
        provider=spec.provider, provider_batch_id=id_shape.format(n=n) + ("ext" if spec.tracked else ""),
        status=BatchStatus(status), raw_status=raw.get(status, status),
        endpoint=registry.get(spec.provider).default_endpoint, model=spec.model, counts=counts,
        created_at=created, started_at=created + 60 if status != "validating" else None, ended_at=ended,
        # Each provider's own window (Gemini's is 48 h), as the engine reads it.
        expires_at=created + window_seconds(registry.capabilities(spec.provider)), errors=spec.errors)


def _one(store: Any, spec: Spec, n: int, now: float, rng: random.Random) -> int:
    created = now - spec.created
    if spec.tracked:
        remote = _remote(spec, n, spec.status, RequestCounts(total=120, succeeded=80, processing=40), now)
        batch_id, _ = store.upsert_tracked(remote, profile="default", now=created + 5 * M,
                                           submitted_by="another-team@ci")
        return batch_id
    batch_id = store.record_intent(
        provider=spec.provider, profile="default", endpoint=registry.get(spec.provider).default_endpoint,
        model=spec.model,
        label=spec.label, deadline=now + spec.deadline if spec.deadline else None, job_id=f"job{n:03d}",
        parent_id=spec.parent, submitted_by=ACTOR, submit_token=f"demo-token-{n:03d}",
        request_count=spec.size, now=created)
    custom = _custom_ids(spec, n)
    store.add_items(batch_id, ((cid, lines.request_body(spec.provider, spec.model, cid, i))
                               for i, cid in enumerate(custom)), model=spec.model)
    first = "validating" if "validating" in DEMO_IDS[spec.provider][1] else "in_progress"
    store.attach_remote(batch_id, _remote(spec, n, first, RequestCounts(total=spec.size), now), now=created + 2)
    running = RequestCounts(total=spec.size, processing=spec.size)
    store.update_from_remote(batch_id, _remote(spec, n, "in_progress", running, now), now=created + 60)
    if spec.status in ("in_progress", "unknown"):
        done = int(spec.size * spec.progress)
        errored = sum(spec.failures.values())
        counts = RequestCounts(total=spec.size, succeeded=done - errored, errored=errored,
                               processing=spec.size - done)
        store.update_from_remote(batch_id, _remote(spec, n, spec.status, counts, now), now=now - 30)
        return batch_id
    ended = now - (spec.ended or 0)
    if spec.status == "failed":  # rejected at validation: nothing ran
        store.update_from_remote(batch_id, _remote(spec, n, "failed", RequestCounts(total=spec.size), now),
                                 now=ended)
        return batch_id
    if spec.promote:
        _promote(store, batch_id, spec, custom, ended - 20 * M, rng)
    results = _results(store, batch_id, spec, custom, rng)
    final = RequestCounts(total=spec.size, succeeded=spec.size - sum(spec.failures.values())
                          - spec.expired_items - spec.canceled_items,
                          errored=sum(spec.failures.values()), expired=spec.expired_items,
                          canceled=spec.canceled_items)
    store.update_from_remote(batch_id, _remote(spec, n, spec.status, final, now), now=ended)
    if results is not None:
        path, rows = results
        store.ingest_results(batch_id, rows, results_path=str(path), now=ended + 30)
        store.mark_ingested(batch_id, now=ended + 31)
    return batch_id


def _custom_ids(spec: Spec, n: int) -> list[str]:
    stem = (spec.label or "req").replace(" ", "-")
    return [f"{stem}-{i:06d}" for i in range(spec.size)]


def _results(store: Any, batch_id: int, spec: Spec, custom: list[str],
             rng: random.Random) -> tuple[Path, list[ItemResult]] | None:
    """Write a provider-shaped results file and the normalized rows pointing into it."""
    if spec.status == "failed" or not custom:
        return None
    outcome: dict[int, tuple[str, str | None]] = {}
    pool = [i for i in range(len(custom)) if not (spec.hostile and i == HOSTILE_INDEX)]
    picks = rng.sample(pool, sum(spec.failures.values()) + spec.expired_items + spec.canceled_items)
    cursor = 0
    for failure, count in spec.failures.items():
        for i in picks[cursor:cursor + count]:
            outcome[i] = ("errored", failure)
        cursor += count
    for status, count in (("expired", spec.expired_items), ("canceled", spec.canceled_items)):
        for i in picks[cursor:cursor + count]:
            outcome[i] = (status, None)
        cursor += count
    path = store.results_dir(batch_id) / "results.jsonl"
    rows: list[ItemResult] = []
    offset = 0
    with path.open("wb") as fh:
        for i, cid in enumerate(custom):
            status, etype = outcome.get(i, ("succeeded", None))
            usage = Usage(rng.randint(150, 1400), rng.randint(40, 420)) if status == "succeeded" else None
            hostile = spec.hostile and i == HOSTILE_INDEX
            raw = lines.result_line(spec.provider, spec.model, cid, i, status, etype, usage, hostile)
            data = (json.dumps(raw, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            fh.write(data)
            eclass = None
            if status != "succeeded":
                eclass = ErrorClass.PERMANENT if etype == "invalid_request_error" else ErrorClass.RETRYABLE
            rows.append(ItemResult(
                custom_id=cid, status=ItemStatus(status), usage=usage, model=spec.model,
                error_type=etype, error_message=lines.error_message(etype) if etype else None,
                http_status=lines.http_status(etype) if etype else None, error_class=eclass,
                offset=offset, length=len(data)))
            offset += len(data)
    return path, rows


def _promote(store: Any, batch_id: int, spec: Spec, custom: list[str], at: float,
             rng: random.Random) -> None:
    found = store.find_items(batch_id, custom[: spec.promote])
    for item in found:
        usage = Usage(rng.randint(300, 900), rng.randint(100, 300))
        realtime = (usage.input_tokens * 0.15 + usage.output_tokens * 0.6) / 1e6
        store.record_promotion(item.id, ItemResult(item.custom_id, ItemStatus.SUCCEEDED, usage=usage,
                                                   model=spec.model),
                               promoted_cost=realtime, realtime_cost=realtime,
                               tier=PriceTier.STANDARD, now=at)


def _resubmission_links(store: Any, ids: list[int], now: float) -> None:
    """Batch 2 is the resubmission of batch 1's retryable failures."""
    parent, child = ids[0], ids[1]
    retryable = store.failed_items(parent)
    store.link_resubmission([i.id for i in retryable], child, now=now - 20 * M)


def _audit(store: Any, ids: list[int], specs: list[Spec], now: float) -> None:
    """A night's audit log over the seeded fleet (positions in `[[seeded]]`, 0-based)."""
    def submitted(k: int) -> dict[str, object]:
        return {"provider": specs[k].provider, "requests": specs[k].size}

    tracked = store.get_batch(ids[8])
    events = [
        (30 * H, "submit", ids[0], submitted(0)),
        (22 * H + 40 * M, "submit", ids[3], submitted(3)),
        (8 * H, "submit", ids[9], submitted(9)),
        (5 * H, "submit", ids[2], submitted(2)),
        (5 * H + 1, "cancel", ids[10], {"pending_items": specs[10].canceled_items}),
        (4 * H, "submit", ids[5], submitted(5)),
        (2 * H, "track", ids[8], {"provider": specs[8].provider, "provider_batch_id": tracked.provider_batch_id}),
        (80 * M, "promote", ids[11], {"items": specs[11].promote, "tier": "standard", "cost": 0.0021}),
        (1 * H, "submit", ids[6], submitted(6)),
        (20 * M, "resubmit", ids[0], {"items": specs[1].size, "new_batch_ids": [ids[1]]}),
    ]
    for ago, action, target, details in sorted(events, key=lambda e: -e[0]):
        store.append_event(action, str(target), details, actor=ACTOR, now=now - ago)
