"""Finding the request bodies of items to resubmit or promote.

In order: the store (batches we submitted keep every request); the operator's --input FILE
(matched by custom_id); the provider (OpenAI keeps the input file). Anthropic cannot give a
batch's requests back, so a tracked Anthropic batch needs --input FILE, and we say exactly that.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from adapters.errors import AdapterError, ReadbackUnsupported
from console.engine import providers
from console.engine import requests as reqs
from console.engine.types import NeedsInput, ProviderFailed
from console.format.wording import plural

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from console.engine.service import Engine
    from store.model import Batch, Item


def from_store(engine: Engine, items: list[Item]) -> dict[str, str]:
    """custom_id -> body for the items whose request the store keeps (read in bulk: a
    50,000-item promotion must not cost 50,000 queries)."""
    out = {item.custom_id: item.request for item in items if item.request is not None}
    unread = [item for item in items if item.request is None]
    if unread:
        bodies = engine.store.request_bodies(item.id for item in unread)
        out.update((item.custom_id, bodies[item.id]) for item in unread if item.id in bodies)
    return out


def needs_input_message(batch: Batch, missing: int) -> str:
    caps = providers.capabilities(batch.provider)
    if not caps.supports_request_readback:
        return (f"batch #{batch.id} has no stored requests for {plural(missing, 'item')} and {batch.provider} "
                "cannot give a batch's requests back; pass --input FILE with the original JSONL "
                "(lines are matched by custom_id)")
    return (f"batch #{batch.id} has no stored requests for {plural(missing, 'item')} and the provider's "
            "input file is not available; pass --input FILE with the original JSONL")


def local_bodies(
    engine: Engine, batch: Batch, items: list[Item], input_path: str | Path | None
) -> tuple[dict[str, str], int]:
    """Bodies available without calling the provider, and how many are still missing."""
    bodies = from_store(engine, items)
    missing = {i.custom_id for i in items} - bodies.keys()
    if missing and input_path is not None:
        bodies.update(reqs.bodies_by_custom_id(Path(input_path), providers.adapter_cls(batch.provider), missing))
        missing -= bodies.keys()
    return bodies, len(missing)


async def all_bodies(engine: Engine, batch: Batch, items: list[Item], input_path: str | Path | None) -> dict[str, str]:
    """Every item's body, reading the provider's copy if need be; NeedsInput if impossible."""
    bodies, missing = local_bodies(engine, batch, items, input_path)
    if not missing:
        return bodies
    caps = providers.capabilities(batch.provider)
    if input_path is not None or not caps.supports_request_readback or not batch.input_file_id:
        raise NeedsInput(needs_input_message(batch, missing))
    from console.engine.ingest import remote_from_batch

    wanted = {i.custom_id for i in items} - bodies.keys()
    adapter = engine.adapter(batch.provider, batch.profile)
    try:
        async for custom_id, body in adapter.fetch_requests(remote_from_batch(batch)):
            if custom_id in wanted:
                bodies[custom_id] = body
    except ReadbackUnsupported:
        raise NeedsInput(needs_input_message(batch, missing)) from None
    except AdapterError as exc:
        raise ProviderFailed(f"could not read the batch's input file back: {exc.message}") from None
    still = wanted - bodies.keys()
    if still:
        verb = "is" if len(still) == 1 else "are"
        raise NeedsInput(f"{plural(len(still), 'item')} {verb} not in the batch's input file; pass --input FILE")
    return bodies
