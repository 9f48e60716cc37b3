"""A tracked batch's requests: read from the provider where it keeps them, else attached.

Where the provider keeps a batch's input (OpenAI's input file), the engine reads it, streamed
(the adapter spools it to a temporary file and yields line by line), the first sync pass after
the batch is tracked — before any result is ingested — so its items exist with their custom_ids,
bodies and order: promote, resubmit, export order and the items view then work as on batches
batchdeck submitted. Where it does not (Anthropic), the batch reads "inputs unknown" until the
operator attaches the original file (`track ... --input FILE` or `attach BATCH FILE`), once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from adapters.errors import AdapterError, NotFoundError, ReadbackUnsupported
from console.engine import providers, retry
from console.engine import requests as reqs
from console.engine.batch_facts import INPUTS_NOT_READ
from console.engine.types import BadInput
from store.model import Batch, RemoteBatch

if TYPE_CHECKING:
    from console.engine.service import Engine

READ, UNKNOWN, ATTACHED = "read", "unknown", "attached"
PENDING = INPUTS_NOT_READ  # "pending": the provider keeps them, not read yet
INPUT_CHUNK = 5_000
"""Requests written per store transaction while reading an input file (memory stays flat)."""


def state_for(remote: RemoteBatch) -> str:
    """What a newly tracked batch's inputs are: `pending` (readable from the provider) or
    `unknown` (the provider cannot give them back, or names no input file)."""
    caps = providers.capabilities(remote.provider)
    return PENDING if caps.supports_request_readback and remote.input_file_id else UNKNOWN


def mark_tracked(engine: Engine, batch_id: int, remote: RemoteBatch) -> None:
    """Record what is known of a batch's inputs when it is first tracked."""
    engine.store.set_batch_fields(batch_id, inputs=state_for(remote))


async def read_inputs(engine: Engine, batch: Batch) -> int:
    """Read a `pending` batch's input from the provider into its items; returns the requests read.

    The download is retried with the engine's bounded backoff; nothing is written until the
    whole input is spooled (the adapter downloads first, then yields), so a failure leaves the
    batch `pending` for the next pass.
    """
    from console.engine.ingest import remote_from_batch

    adapter = engine.adapter(batch.provider, batch.profile)
    lines = None

    async def first() -> tuple[str, str] | None:
        # The adapter spools the whole file before its first line: retrying up to here
        # retries the download, and nothing has been written yet.
        nonlocal lines
        lines = adapter.fetch_requests(remote_from_batch(batch))
        try:
            return await anext(lines)
        except StopAsyncIteration:
            return None

    try:
        head = await retry.call(first, policy=engine.poll_policy, sleep=engine.sleep)
    except ReadbackUnsupported:
        engine.store.set_batch_fields(batch.id, inputs=UNKNOWN)
        return 0
    total = 0
    chunk: list[tuple[str, str]] = [head] if head is not None else []
    if head is not None and lines is not None:
        async for pair in lines:
            chunk.append(pair)
            if len(chunk) >= INPUT_CHUNK:
                created, matched = engine.store.apply_inputs(batch.id, chunk, model=batch.model, first_seq=total)
                total += created + matched
                chunk = []
    if chunk:
        created, matched = engine.store.apply_inputs(batch.id, chunk, model=batch.model, first_seq=total)
        total += created + matched
    engine.store.set_batch_fields(batch.id, inputs=READ)
    engine.audit("inputs.read", str(batch.id), {"requests": total})
    return total


async def read_pending(engine: Engine, errors: dict[int, str]) -> int:
    """Read every `pending` batch's input (a sync pass's first step), the ones the provider
    drops soonest first; errors per batch.

    A read that fails leaves the batch `pending` for the next pass, with the provider's exact
    date for its input learned (`learn_expiry`): the countdown and the needs-attention reason
    say how long is left to retry. An input the provider no longer has (404) is `unknown` from
    then on: the operator can attach the original file.
    """
    read = 0
    for batch in sorted(engine.store.batches_with_inputs(PENDING), key=_soonest_first):
        try:
            read += await read_inputs(engine, batch)
        except NotFoundError as exc:
            engine.store.set_batch_fields(batch.id, inputs=UNKNOWN)
            engine.audit("inputs.gone", str(batch.id), {"error": exc.message})
            errors[batch.id] = (f"its input file is gone ({exc.message}); attach the original with "
                                f"`batchdeck attach {batch.id} FILE`")
        except AdapterError as exc:
            errors[batch.id] = f"reading its input file: {exc.message}"
            await learn_expiry(engine, batch)
    return read


def _soonest_first(batch: Batch) -> tuple[bool, float, int]:
    return batch.inputs_until is None, batch.inputs_until or 0.0, batch.id


async def learn_expiry(engine: Engine, batch: Batch) -> None:
    """Store when the provider stops serving this batch's requests, as exactly as the adapter
    can say (one call at most, never retried: this is extra to a read that just failed)."""
    from console.engine.ingest import remote_from_batch

    try:
        until = await engine.adapter(batch.provider, batch.profile).inputs_until(remote_from_batch(batch))
    except AdapterError:
        return
    if until is not None and until != batch.inputs_until:
        engine.store.set_batch_fields(batch.id, inputs_until=until)


def _requests_in(path: Path, provider: str) -> Iterator[tuple[str, str]]:
    """(custom_id, body JSON) of each line of an operator's file, in file order."""
    adapter_cls = providers.adapter_cls(provider)
    dumps = json.dumps
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    with f:
        for line_no, raw in enumerate(f, 1):
            raw = raw.strip()
            if not raw:
                continue
            try:
                custom_id, _, body = reqs.adapt(adapter_cls, json.loads(raw), model=None, endpoint=None)
            except (ValueError, RecursionError):
                raise BadInput(f"{path} line {line_no}: not a request line this provider accepts") from None
            yield custom_id, dumps(body, separators=(",", ":"), ensure_ascii=False)


def attach(engine: Engine, batch: Batch, path: str | Path) -> int:
    """Attach the original input file to a tracked batch whose inputs are unknown, once.

    Lines are matched by custom_id; the file's order becomes the items' order. Refused (one
    sentence, exit 2) for a batch whose requests batchdeck already has, or a file none of
    whose custom_ids are in the batch's results.
    """
    path = Path(path)
    if batch.inputs in (READ, ATTACHED) or (batch.inputs is None and not batch.tracked):
        raise BadInput(f"batch {batch.id} already has its requests; nothing to attach")
    ids = [custom_id for custom_id, _ in _requests_in(path, batch.provider)]  # every line checked, ids kept
    if not ids:
        raise BadInput(f"{path} has no request lines")
    if engine.store.count_items(batch.id) > 0:
        if not engine.store.find_items(batch.id, ids[:1000], with_request=False):
            raise BadInput(f"none of the first custom_ids in {path} are in batch {batch.id}; is it the right file?")
    created, matched = engine.store.apply_inputs(batch.id, _requests_in(path, batch.provider), model=batch.model)
    engine.store.set_batch_fields(batch.id, inputs=ATTACHED)
    engine.audit("inputs.attach", str(batch.id), {"file": path.name, "requests": created + matched})
    return int(created + matched)


async def ensure_read(engine: Engine, batch: Batch) -> Batch:
    """The batch with its inputs read if they were still `pending` (when first needed: a
    promote, resubmit or export before the next sync pass read them)."""
    if batch.inputs == PENDING:
        await read_inputs(engine, batch)
        fresh: Batch = engine.batch(batch.id)
        return fresh
    return batch
