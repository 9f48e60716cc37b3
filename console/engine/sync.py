"""Sync: poll every batch that is not done, concurrently, and ingest the ones that ended.

* One asyncio task per batch, bounded by a semaphore per provider (`providers.concurrency_for`).
* Each poll retries 429/5xx a few times honouring `retry-after` (`engine.poll_policy`); if the
  provider still refuses, the batch is left exactly as it was — a throttled poll never marks
  anything failed — and is tried again after the provider's `retry-after`.
* Adaptive interval: batches far from done are polled less often (`next_interval`), the
  long-running loop (`force=False`) skips batches not yet due; `sync --once` polls all.
* A batch seen ending is ingested in the same pass (download + parse + store).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from adapters.errors import AdapterError, NotFoundError
from console.engine import alerts, ingest, inputs, providers, retry
from console.engine import discover as discovery
from console.engine.submit import keep_known_total
from console.engine.types import BatchChange, EngineError, SyncReport, accepted_id
from store.model import BatchStatus

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from console.engine.lease import LeaseHolder
    from console.engine.service import Engine
    from store.model import Batch, SyncLease

MIN_INTERVAL = 5.0
MAX_INTERVAL = 300.0


def next_interval(remote_status: BatchStatus, done: int, total: int, created: float | None,
                  expires: float | None, deadline: float | None, now: float) -> float:
    """Seconds until the next poll: short when the batch is close to done, long when far."""
    if remote_status in (BatchStatus.FINALIZING, BatchStatus.CANCELING):
        interval = MIN_INTERVAL
    elif remote_status in (BatchStatus.VALIDATING, BatchStatus.SUBMITTING):
        interval = 10.0
    else:
        if total and done:
            fraction = done / total
        elif created and expires and expires > created:
            # Anthropic counts stay 0 until the end: use the share of the window elapsed,
            # weighted so the first hour (when most batches finish) is polled often.
            fraction = min(1.0, (now - created) / 3600.0)
        else:
            fraction = 0.0
        if fraction >= 0.9:
            interval = 10.0
        elif fraction >= 0.5:
            interval = 30.0
        elif fraction >= 0.1:
            interval = 60.0
        else:
            interval = 120.0
    for horizon in (deadline, expires):
        if horizon is not None and horizon - now < 3600:
            interval = min(interval, 15.0)
    return max(MIN_INTERVAL, min(MAX_INTERVAL, interval))


async def sync_once(engine: Engine, *, force: bool = True, discover: bool = True) -> SyncReport:
    started = time.monotonic()
    report = SyncReport()
    try:
        report.reconciled = await engine.reconcile_intents()
        report.awaiting = len(engine.store.pending_intents())
    except AdapterError as exc:
        report.errors[0] = f"reconciling pending submissions: {exc.message}"
    health = discovery.AccountTally()
    batches = engine.store.batches_to_sync()
    if discover:
        # After reconciling: our own unconfirmed submissions must not come back as "tracked".
        # After choosing what to poll: a batch just listed is as fresh as a poll would make it
        # (the next pass polls it, and ingests it if it already ended).
        await discovery.discover(engine, report, health, force=force)
    # Tracked batches' inputs (just discovered, or tracked since the last pass) before any
    # result is ingested below: their items then exist with bodies, in request order.
    await inputs.read_pending(engine, report.errors)
    now = engine.clock()
    due = []
    for b in batches:
        if not force and engine.next_poll.get(b.id, 0.0) > now:
            report.skipped += 1
            continue
        due.append(b)
    sems: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(1))
    for provider in {b.provider for b in due}:
        sems[provider] = asyncio.Semaphore(providers.concurrency_for(engine, provider))

    async def one(b: Batch) -> None:
        async with sems[b.provider]:
            await sync_batch(engine, b, report, health)

    await asyncio.gather(*(one(b) for b in due))
    health.record(engine)
    if engine.next_poll:
        upcoming = [t for bid, t in engine.next_poll.items()]
        report.next_poll_in = max(0.0, min(upcoming) - engine.clock()) if upcoming else None
    report.seconds = time.monotonic() - started
    if report.changed or report.ingested or report.reconciled:
        engine.audit("sync", None, {
            "polled": report.polled,
            "changed": [c.to_dict() for c in report.changed][:200],
            "ingested": {str(k): v for k, v in report.ingested.items()},
            "throttled": len(report.throttled),
        })
    await alerts.after_pass(engine, report)  # heartbeat, rules, deadline guard (console/engine/alerts)
    return report


async def sync_batch(engine: Engine, b: Batch, report: SyncReport,
                     health: discovery.AccountTally | None = None) -> None:
    """Poll one batch and ingest it if it has ended (a sync pass, and promote's refresh).
    `health` collects, per account, whether the poll was answered (the heartbeat)."""
    now = engine.clock()
    status = BatchStatus(b.status)
    remote = None
    if not status.is_terminal:
        try:
            adapter = engine.adapter(b.provider, b.profile)
        except (AdapterError, EngineError) as exc:  # no key, unknown profile: say so, per account
            message = exc.message if isinstance(exc, AdapterError) else str(exc)
            report.errors[b.id] = message
            if health is not None:
                health.errors[(b.provider, b.profile or "default")] = message
            return
        try:
            remote = await retry.call(lambda: adapter.retrieve(accepted_id(b)),
                                      policy=engine.poll_policy, sleep=engine.sleep)
        except AdapterError as exc:
            if health is not None and not isinstance(exc, NotFoundError):
                health.errors[(b.provider, b.profile or "default")] = exc.message
            if exc.retryable:
                report.throttled.append(b.id)
                wait = max(exc.retry_after or 0.0, MIN_INTERVAL)
                engine.next_poll[b.id] = engine.clock() + wait
            else:
                report.errors[b.id] = exc.message
                if isinstance(exc, NotFoundError):
                    engine.next_poll[b.id] = engine.clock() + MAX_INTERVAL
            return
        report.polled += 1
        if health is not None:
            health.ok.add((b.provider, b.profile or "default"))
        keep_known_total(remote, b.counts.total)
        old, new = engine.store.update_from_remote(b.id, remote, now=engine.clock())
        if old != new:
            report.changed.append(BatchChange(b.id, str(old.value if hasattr(old, "value") else old),
                                              str(new.value if hasattr(new, "value") else new)))
        status = BatchStatus(new)
        engine.next_poll[b.id] = now + engine.poll_scale * next_interval(
            status, remote.counts.done, remote.counts.total, remote.created_at,
            remote.expires_at, b.deadline, now)
    if status.is_terminal and b.ingested_at is None:
        fresh = engine.store.get_batch(b.id) if remote is not None else b
        if fresh is None:  # removed from the store while we polled it: nothing to ingest into
            return
        try:
            lines = await ingest.ingest_batch(engine, fresh, remote)
        except AdapterError as exc:
            # Download broke beyond the retry budget: the partial file is kept, the next
            # pass resumes it. The batch's status is already right.
            report.errors[b.id] = exc.message
            return
        report.ingested[b.id] = lines
        engine.next_poll.pop(b.id, None)


STANDBY_RECHECK = 10.0
"""Seconds a standing-by process waits before trying the lease again."""


async def sync_forever(engine: Engine, *, stop: asyncio.Event | None = None,
                       on_pass: Callable[[SyncReport], Any] | None = None,
                       lease: bool = False, on_standby: Callable[[SyncLease], Any] | None = None,
                       lease_ttl: float | None = None, standby_recheck: float = STANDBY_RECHECK,
                       discover: bool = True) -> None:
    """`sync_once(force=False)` in a loop, sleeping until the next batch is due (1–30 s).

    With `lease`, only while this process holds the store's sync lease (console/engine/lease.py):
    otherwise it stands by, calls `on_standby(lease)` and tries again every `standby_recheck`
    seconds. The lease is renewed while a pass runs and released on the way out.
    """
    from console.engine.lease import LEASE_TTL, LeaseHolder

    stop = stop or asyncio.Event()
    holder = LeaseHolder(engine.store, engine.heartbeat_clock, engine.actor, lease_ttl or LEASE_TTL) if lease else None
    try:
        while not stop.is_set():
            if holder is not None:
                current = await asyncio.to_thread(holder.take)
                if not holder.holds(current):
                    if on_standby is not None:
                        on_standby(current)
                    await _wait(stop, standby_recheck)
                    continue
            renewing = asyncio.create_task(_keep_renewing(holder)) if holder is not None else None
            try:
                report = await sync_once(engine, force=False, discover=discover)
            finally:
                if renewing is not None:
                    renewing.cancel()
            if holder is not None:
                await asyncio.to_thread(holder.passed)
            if on_pass is not None:
                on_pass(report)
            wait = report.next_poll_in if report.next_poll_in is not None else 30.0
            wait = min(wait, max(0.0, engine.next_discovery - engine.clock()))  # the next listing is due
            await _wait(stop, max(1.0, min(30.0, wait)))
    finally:
        if holder is not None:
            try:
                holder.release()
            except Exception:  # noqa: BLE001 - the store may be closing; the lease then lapses
                pass


async def _keep_renewing(holder: LeaseHolder) -> None:
    """Renew the lease every third of its life while a long pass (a big ingest) runs."""
    while True:
        await asyncio.sleep(holder.ttl / 3)
        await asyncio.to_thread(holder.take)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
