"""Promote items to the realtime API: estimate per tier first, then send with bounded concurrency.

No provider can cancel one item of a batch, so a promoted item may also finish in its batch:
the store keeps that copy but does not count it as a second output. Realtime answers are
appended to the batch's `promoted.jsonl` (console/engine/kept_answers.py), each flushed before
its item is marked; a promotion interrupted between the two is finished from that file, never
sent (and paid for) again.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import json
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.errors import AdapterError
from console.engine import bodies as bodies_mod
from console.engine import kept_answers, pricing, providers, retry, select
from console.engine import requests as reqs
from console.engine.types import BadInput, PromoteResult, PromotionEstimate, TierCost
from console.format.numbers import fmt_cost, fmt_int, fmt_money
from console.format.wording import plural
from store.model import FAILED_ITEM_STATUSES, ItemStatus, PriceTier

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from adapters.base import Capabilities
    from console.engine.service import Engine
    from store.model import Batch, Item

PROMOTE_POLICY = retry.RetryPolicy(attempts=8, base=0.1, cap=10.0)

TIER_NOTES = {
    "batch": "leave it in the batch: 24 h window, usually under an hour",
    "flex": "realtime at about the batch price; best-effort, slower, may be shed (429) under load",
    "standard": "realtime at list price",
    "priority": "realtime, fastest, at about twice the list price",
}

_PROMOTABLE = {ItemStatus.PENDING} | set(FAILED_ITEM_STATUSES)


class Slots:
    """At most `n` calls at once; a waiting retry is served before any first attempt.

    With a plain FIFO semaphore an item throttled at the start of a 1,000-item run would,
    after its retry-after, queue behind every item not yet sent: its retry would come at
    the end of the run, and a second 429 would add its whole wait on top of that.
    """

    def __init__(self, n: int) -> None:
        self.free = n
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    @contextlib.asynccontextmanager
    async def slot(self, *, first: bool) -> Any:
        await self._acquire(1 if first else 0)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, rank: int) -> None:
        if self.free > 0 and not self._waiting:
            self.free -= 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (rank, next(self._seq), fut))
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._release()  # handed a slot just as we were cancelled: pass it on
            else:
                fut.cancel()  # dropped from the heap lazily by _release
            raise

    def _release(self) -> None:
        while self._waiting:
            _, _, fut = heapq.heappop(self._waiting)
            if not fut.done():
                fut.set_result(None)  # the slot passes straight to the waiter
                return
        self.free += 1


def _selection(engine: Engine, batch: Batch, item_ids: Sequence[int] | None,
               custom_ids: Sequence[str] | None, *, skip: Collection[str] = ()) -> list[Item]:
    """The items to promote; `skip`: custom_ids just recorded from kept answers."""
    named = select.chosen_items(engine, batch, item_ids=item_ids, custom_ids=custom_ids)
    if named is None:
        return select.all_with_status(engine, batch.id, ItemStatus.PENDING.value)
    named = [item for item in named if item.custom_id not in skip]
    for item in named:
        status = ItemStatus(item.status)
        if status not in _PROMOTABLE or item.replaced_by is not None:
            raise BadInput(f"item {item.custom_id!r} is {status.value}; only pending or failed items "
                           "can be promoted")
    return named


def _default_tier(caps: Capabilities, tier: str | None) -> PriceTier:
    if tier is None:
        return PriceTier.STANDARD
    try:
        chosen = PriceTier(tier)
    except ValueError:
        raise BadInput(f"unknown tier {tier!r}; choose flex, standard or priority") from None
    if chosen not in caps.tiers:
        offered = ", ".join(t.value for t in caps.tiers)
        raise BadInput(f"tier {chosen.value} is not offered for this provider (offered: {offered})")
    return chosen


def _expected_output(engine: Engine, batch: Batch) -> int | None:
    """Mean output tokens of this batch's succeeded items (a better guess than max_tokens)."""
    rows = engine.store.page_items(batch.id, offset=0, limit=200, status=ItemStatus.SUCCEEDED.value)
    outs = [r.usage.output_tokens for r in rows if r.usage is not None]
    return round(sum(outs) / len(outs)) if outs else None


def estimate_promotion(engine: Engine, batch: Batch, *, item_ids: Sequence[int] | None,
                       custom_ids: Sequence[str] | None, tier: str | None,
                       input_path: str | Path | None) -> PromotionEstimate:
    caps = providers.capabilities(batch.provider)
    chosen = _default_tier(caps, tier)
    items = _selection(engine, batch, item_ids, custom_ids)
    answered = kept_answers.read(kept_answers.path_for(engine, batch), {item.custom_id for item in items})
    to_send = [item for item in items if item.custom_id not in answered]
    bodies, missing = bodies_mod.local_bodies(engine, batch, to_send, input_path)
    needs_input = bool(missing) and (input_path is not None or not caps.supports_request_readback
                                     or not batch.input_file_id)
    typical_out = _expected_output(engine, batch)
    tally = pricing.TokenTally(engine.store, batch.provider)
    for item in to_send:
        body: Any = None
        if item.custom_id in bodies:
            try:
                body = json.loads(bodies[item.custom_id])
            except ValueError:
                body = None
        i_tok = pricing.estimate_tokens(reqs.prompt_chars(body)) if body is not None else 0
        o_tok = typical_out or (reqs.max_output_tokens(body) if body is not None else None) or 256
        model = (body.get("model") if isinstance(body, dict) else None) or item.model or batch.model
        tally.add(model, i_tok, o_tok)
    in_tok, out_tok = tally.input_tokens, tally.output_tokens
    totals = {t: tally.total(t) for t in ("batch", "flex", "standard", "priority")}
    costs = [TierCost("batch", totals["batch"], TIER_NOTES["batch"])]
    for t in (PriceTier.FLEX, PriceTier.STANDARD, PriceTier.PRIORITY):
        costs.append(TierCost(t.value, totals[t.value], TIER_NOTES[t.value], available=t in caps.tiers))
    if not items:
        summary = f"batch #{batch.id} has no pending items to promote"
    elif needs_input:
        summary = bodies_mod.needs_input_message(batch, missing)
    else:
        summary = (f"promote {plural(len(items), 'item')} of batch #{batch.id} to realtime at {chosen.value}: "
                   f"about {fmt_cost(totals[chosen.value])} (vs {fmt_cost(totals['batch'])} if left in the "
                   f"batch; ~{in_tok:,} input + ~{out_tok:,} output tokens)")
        if answered:
            summary += (f"; {len(answered)} of them were answered before an interruption and are "
                        "recorded from the kept answer at no further cost")
    return PromotionEstimate(batch_id=batch.id, provider=batch.provider, model=batch.model,
                             items=len(items), missing_requests=missing, needs_input=needs_input,
                             input_tokens=in_tok, output_tokens=out_tok, costs=costs,
                             tier=chosen.value, summary=summary, answered=len(answered))


async def promote(engine: Engine, batch: Batch, *, item_ids: Sequence[int] | None,
                  custom_ids: Sequence[str] | None, tier: str | None,
                  input_path: str | Path | None, concurrency: int,
                  on_progress: Callable[[int, int], Any] | None) -> PromoteResult:
    caps = providers.capabilities(batch.provider)
    chosen = _default_tier(caps, tier)
    # Held until the end: a second promote of this batch is refused, and the items chosen
    # below cannot be bought meanwhile by another run.
    sidecar = kept_answers.open_for_append(kept_answers.path_for(engine, batch), batch.id)
    try:
        return await _promote_locked(engine, batch, sidecar, chosen, item_ids=item_ids,
                                     custom_ids=custom_ids, input_path=input_path,
                                     concurrency=concurrency, on_progress=on_progress)
    finally:
        sidecar.close()


async def _promote_locked(engine: Engine, batch: Batch, sidecar: Any, chosen: PriceTier, *,
                          item_ids: Sequence[int] | None, custom_ids: Sequence[str] | None,
                          input_path: str | Path | None, concurrency: int,
                          on_progress: Callable[[int, int], Any] | None) -> PromoteResult:
    recorder = kept_answers.Recorder(engine, batch)
    # Answers an interrupted run paid for are recorded from the file first, never sent again.
    recovered = kept_answers.record_unmarked(engine, batch, recorder)
    kept = ""
    if recovered:
        kept = (f"; {plural(len(recovered), 'answer')} paid for by an interrupted run "
                f"{'was' if len(recovered) == 1 else 'were'} recorded from the kept copy, not sent again")
    items = _selection(engine, batch, item_ids, custom_ids, skip=set(recovered))
    if not items:
        if recovered:
            return PromoteResult(batch_id=batch.id, tier=chosen.value, promoted=0, failed={}, cost=0.0,
                                 retries=0, seconds=0.0, summary=f"nothing left to promote in batch #{batch.id}{kept}")
        raise BadInput(f"batch #{batch.id} has no pending items to promote")
    adapter = engine.adapter(batch.provider, batch.profile)
    bodies = await bodies_mod.all_bodies(engine, batch, items, input_path)
    endpoint = batch.endpoint or adapter.default_endpoint
    slots = Slots(max(1, concurrency))
    stats = retry.RetryStats()
    failed: dict[str, str] = {}
    promoted = 0
    total_cost: float | None = 0.0
    started = time.monotonic()

    async def one(item: Item) -> None:
        nonlocal promoted, total_cost
        body = json.loads(bodies[item.custom_id])
        tries = 0

        async def attempt() -> Any:
            # The slot is held only during the call: a throttled item waits out its
            # retry-after without blocking the others, then goes ahead of items not yet
            # started (otherwise it would queue behind all of them once more).
            nonlocal tries
            tries += 1
            async with slots.slot(first=tries == 1):
                return await adapter.realtime(item.custom_id, body, endpoint=endpoint, tier=chosen)

        try:
            answer = await retry.call(attempt, policy=PROMOTE_POLICY, sleep=engine.sleep, stats=stats)
        except AdapterError as exc:
            failed[item.custom_id] = exc.message
            return
        result = answer.result
        if result.status is not ItemStatus.SUCCEEDED:
            failed[item.custom_id] = result.error_message or result.error_type or "error"
            return
        sidecar.write(kept_answers.line(item.custom_id, reported_tier=answer.tier, paid_tier=chosen,
                                        raw=answer.raw))
        # The paid-for answer reaches the file before the item is marked promoted: a kill in
        # between leaves an answer without the mark, which kept_answers records later.
        sidecar.flush()
        paid = recorder.record(item, result, chosen, body.get("model"))
        promoted += 1
        total_cost = None if (paid is None or total_cost is None) else total_cost + paid
        if on_progress is not None:
            on_progress(promoted + len(failed), len(items))

    await asyncio.gather(*(one(i) for i in items))
    seconds = time.monotonic() - started
    engine.audit("promote", str(batch.id), {
        "tier": chosen.value, "items": len(items), "promoted": promoted, "failed": len(failed),
        "recovered": len(recovered), "cost": total_cost, "retries": stats.retries,
        "throttled": stats.throttled,
    })
    money = fmt_money(total_cost) if total_cost is not None else "an unpriced amount"
    summary = (f"promoted {fmt_int(promoted)} of {plural(len(items), 'item')} of batch #{batch.id} "
               f"at {chosen.value} for {money}")
    summary += kept
    if failed:
        summary += f"; {len(failed)} could not be sent and were left as they were"
    return PromoteResult(batch_id=batch.id, tier=chosen.value, promoted=promoted, failed=failed,
                         cost=total_cost, retries=stats.retries, seconds=seconds, summary=summary)
