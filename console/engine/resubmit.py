"""Resubmit failed items as a new batch linked to its parent.

Default selection: the batch's retryable failures (errored/expired/canceled) not yet replaced.
Permanent failures go only with `include_permanent`. The new batch goes through the same
exactly-once path as `submit`; the old items are claimed, marked RESUBMITTED and linked to
their replacements in the same transaction that records the new batch's intent and items
(before the provider call), so a crash cannot leave them looking unreplaced and send them
twice, and two resubmits (or a resubmit beside a promote) never both take one item: an item
another run holds, or already replaced, promoted or finished, is skipped and said so.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from console.engine import bodies as bodies_mod
from console.engine import pricing, providers, select, submit
from console.engine import requests as reqs
from console.engine.ceiling import CeilingTally
from console.engine.estimate import EXPECTED_BASIS, EXPECTED_OUTPUT_TOKENS, window_words
from console.engine.types import BadInput, ResubmitEstimate, ResubmitResult, TierCost
from console.format.spend import CEILING_BASIS, ceiling_words, money
from console.format.wording import plural
from store.claims import ClaimResult, new_owner
from store.model import FAILED_ITEM_STATUSES, ErrorClass, ItemStatus, PriceTier

_FAILED_VALUES = frozenset(s.value for s in FAILED_ITEM_STATUSES)
CLAIM_LEASE = 300.0
"""Seconds a resubmit's claim lasts; it is released in the same transaction that links the
items to their replacements, so it only ever outlives that transaction if the process dies."""

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from console.engine.service import Engine
    from store.model import Batch, Item


def _selection(engine: Engine, batch: Batch, item_ids: Sequence[int] | None, custom_ids: Sequence[str] | None,
               include_permanent: bool) -> list[Item]:
    named = select.chosen_items(engine, batch, item_ids=item_ids, custom_ids=custom_ids)
    if named is None:
        return list(engine.store.failed_items(batch.id, include_permanent=include_permanent))
    out = []
    for item in named:
        status = ItemStatus(item.status)
        if status not in FAILED_ITEM_STATUSES or item.replaced_by is not None:
            raise BadInput(f"item {item.custom_id!r} is {status.value}; only failed items that were "
                           "not replaced can be resubmitted")
        if item.error_class == ErrorClass.PERMANENT and not include_permanent:
            raise BadInput(f"item {item.custom_id!r} failed permanently ({item.error_type}); "
                           "fix the request or pass --include-permanent")
        out.append(item)
    return out


def estimate_resubmit(engine: Engine, batch: Batch, *, item_ids: Sequence[int] | None,
                      custom_ids: Sequence[str] | None, include_permanent: bool,
                      input_path: str | Path | None) -> ResubmitEstimate:
    items = _selection(engine, batch, item_ids, custom_ids, include_permanent)
    permanent = sum(1 for i in items if i.error_class == ErrorClass.PERMANENT)
    bodies, missing = bodies_mod.local_bodies(engine, batch, items, input_path)
    caps = providers.capabilities(batch.provider)
    needs_input = bool(missing) and (input_path is not None or not caps.supports_request_readback
                                     or not batch.input_file_id)
    cost = _batch_cost(engine, batch, bodies)
    ceilings = CeilingTally(engine.store, batch.provider, embeddings=(batch.endpoint or "").endswith("/embeddings"))
    for item in items:  # an item whose request is not at hand has no bound, and is counted so
        ceilings.add_text(bodies.get(item.custom_id), item.model or batch.model)
    ceiling = ceilings.at(PriceTier.BATCH)
    n_batches = max(1, -(-len(items) // caps.max_requests)) if items else 0
    if not items:
        summary = f"batch #{batch.id} has no failed items to resubmit" + (
            "" if include_permanent else " (permanent failures need --include-permanent)")
    elif needs_input:
        summary = bodies_mod.needs_input_message(batch, missing)
    else:
        expected = "unpriced (model not in the price book)" if cost is None else money(cost)
        summary = (f"resubmit {plural(len(items), 'failed item')} of batch #{batch.id} "
                   f"({len(items) - permanent} retryable, {permanent} permanent) as a new "
                   f"{batch.provider} batch at batch prices: expected {expected} ({EXPECTED_BASIS}); "
                   f"{ceiling_words(ceiling.bounded_cost, ceiling.unbounded, len(items), ceiling.reasons, 'item')}"
                   f"{'' if ceiling.unbounded else f' ({CEILING_BASIS})'}")
    return ResubmitEstimate(batch_id=batch.id, provider=batch.provider, items=len(items),
                            retryable=len(items) - permanent, permanent=permanent,
                            missing_requests=missing, needs_input=needs_input, batches=n_batches,
                            cost=TierCost("batch", cost, f"{window_words(caps)} window, usually under an hour"),
                            summary=summary, expected_basis=EXPECTED_BASIS, ceiling_cost=ceiling.cost,
                            ceiling_bounded_cost=ceiling.bounded_cost, ceiling_unbounded=ceiling.unbounded,
                            ceiling_reasons=ceiling.reasons)


def _batch_cost(engine: Engine, batch: Batch, bodies: dict[str, str]) -> float | None:
    tally = pricing.TokenTally(engine.store, batch.provider)
    for text in bodies.values():
        try:
            body = json.loads(text)
        except ValueError:
            continue
        model = body.get("model") if isinstance(body, dict) else None
        tally.add(model or batch.model, pricing.estimate_tokens(reqs.prompt_chars(body)),
                  reqs.max_output_tokens(body) or EXPECTED_OUTPUT_TOKENS)
    return tally.total(PriceTier.BATCH)


async def resubmit(engine: Engine, batch: Batch, *, item_ids: Sequence[int] | None,
                   custom_ids: Sequence[str] | None, include_permanent: bool,
                   input_path: str | Path | None) -> ResubmitResult:
    items = _selection(engine, batch, item_ids, custom_ids, include_permanent)
    if not items:
        raise BadInput(f"batch #{batch.id} has no failed items to resubmit"
                       + ("" if include_permanent else " (permanent failures need --include-permanent)"))
    bodies = await bodies_mod.all_bodies(engine, batch, items, input_path)
    caps = providers.capabilities(batch.provider)
    job_id = uuid.uuid4().hex[:12]
    new_ids: list[int] = []
    owner = new_owner()
    taken = ClaimResult()
    sent = 0
    endpoint = batch.endpoint or providers.spec(batch.provider).default_endpoint
    # Same model grouping and limits as submit.
    groups: dict[str | None, list[Item]] = {}
    for item in items:
        key = None if caps.mixed_models else (item.model or batch.model)
        groups.setdefault(key, []).append(item)
    for model, group in groups.items():
        for start in range(0, len(group), caps.max_requests):
            chunk = group[start:start + caps.max_requests]
            now = engine.clock()
            # Claim, record and link in ONE transaction: another resubmit or a promote that
            # took any of these items first wins them, and this batch is built without them.
            with engine.store.transaction():
                claim = engine.store.claim_items([i.id for i in chunk], owner=owner, until=now + CLAIM_LEASE,
                                                 now=now, statuses=_FAILED_VALUES)
                taken.skipped.update(claim.skipped)
                mine = set(claim.claimed)
                chunk = [i for i in chunk if i.id in mine]
                if not chunk:
                    continue
                pairs = [(i.custom_id, bodies[i.custom_id]) for i in chunk]
                new_id, token = submit.record(engine, provider=batch.provider, profile=batch.profile,
                                              endpoint=endpoint, model=model or batch.model,
                                              label=batch.label, deadline=batch.deadline, job_id=job_id,
                                              parent_id=batch.id, items=pairs,
                                              replaces=[i.id for i in chunk], owner=owner)
            sent += len(chunk)
            new_ids.append(new_id)
            await submit.send(engine, new_id, token, provider=batch.provider, profile=batch.profile,
                              endpoint=endpoint, model=model or batch.model, job_id=job_id, items=pairs,
                              event="resubmit.sent", details={"parent_id": batch.id, "job_id": job_id,
                                                              "requests": len(pairs)}, owner=owner)
    skipped = taken.skipped_text()
    engine.audit("resubmit" if new_ids else "resubmit.refused", str(batch.id), {
        "items": sent, "new_batches": new_ids, "include_permanent": include_permanent,
        "input": str(input_path) if input_path else None, "skipped": dict(taken.skipped),
    })
    if new_ids:
        summary = (f"resubmitted {plural(sent, 'item')} of batch #{batch.id} as batch "
                   f"{', '.join(f'#{i}' for i in new_ids)}")
        if skipped:
            summary += f"; {skipped}"
    else:
        summary = f"nothing resubmitted from batch #{batch.id}: {skipped}"
    return ResubmitResult(parent_id=batch.id, new_batch_ids=new_ids, items=sent, summary=summary,
                          skipped=dict(taken.skipped))
