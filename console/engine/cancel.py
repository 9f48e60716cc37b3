"""Cancel a batch (the front ends ask first, showing `cancel_preview`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.errors import AdapterError
from console.engine import retry
from console.engine.types import BadInput, CancelPreview, CancelResult, ProviderFailed, accepted_id
from console.format.wording import plural
from store.model import BatchStatus, ItemStatus

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from adapters.base import BatchAdapter
    from console.engine.service import Engine
    from store.model import Batch


def cancel_preview(engine: Engine, batch: Batch) -> CancelPreview:
    status = BatchStatus(batch.status)
    pending = engine.store.count_items(batch.id, status=ItemStatus.PENDING.value)
    cancellable = not status.is_terminal and status is not BatchStatus.CANCELING and bool(batch.provider_batch_id)
    if cancellable:
        summary = (f"cancel {batch.provider} batch {batch.provider_batch_id} (our #{batch.id}): "
                   f"{plural(pending, 'item')} not yet finished will not run; finished ones are kept")
    elif status is BatchStatus.CANCELING:
        summary = f"batch #{batch.id} is already being cancelled"
    elif not batch.provider_batch_id:
        summary = f"batch #{batch.id} has no provider id yet (still submitting); sync first"
    else:
        summary = f"batch #{batch.id} is {status.value}; there is nothing to cancel"
    return CancelPreview(batch_id=batch.id, provider=batch.provider,
                         provider_batch_id=batch.provider_batch_id, status=status.value,
                         pending_items=pending, cancellable=cancellable, summary=summary)


async def cancel(engine: Engine, batch: Batch) -> CancelResult:
    preview = cancel_preview(engine, batch)
    if not preview.cancellable:
        engine.audit("cancel.refused", str(batch.id), {"reason": preview.summary, "status": preview.status})
        raise BadInput(preview.summary)
    adapter = engine.adapter(batch.provider, batch.profile)
    try:
        remote = await retry.call(lambda: adapter.cancel(accepted_id(batch)),
                                  policy=engine.retry, sleep=engine.sleep)
    except AdapterError as exc:
        if not exc.retryable:
            await _refuse_if_it_already_ended(engine, adapter, batch)
        engine.audit("cancel.failed", str(batch.id), {"error": exc.message, "status": exc.status})
        raise ProviderFailed(f"cancel failed: {exc.message}") from None
    _, new = engine.store.update_from_remote(batch.id, remote, now=engine.clock())
    new_value = BatchStatus(new).value
    engine.audit("cancel", str(batch.id), {"provider_batch_id": batch.provider_batch_id,
                                           "status": new_value, "pending_items": preview.pending_items})
    return CancelResult(batch_id=batch.id, status=new_value,
                        summary=f"batch #{batch.id} is {new_value}")


async def _refuse_if_it_already_ended(engine: Engine, adapter: BatchAdapter, batch: Batch) -> None:
    """A batch our store still shows running may have ended at the provider since the last
    sync, which then refuses the cancel. Say that plainly (and record the new status) rather
    than report a provider failure."""
    try:
        remote = await retry.call(lambda: adapter.retrieve(accepted_id(batch)),
                                  policy=engine.retry, sleep=engine.sleep)
    except AdapterError:
        return
    if BatchStatus(remote.status).is_terminal:
        _, new = engine.store.update_from_remote(batch.id, remote, now=engine.clock())
        engine.audit("cancel.refused", str(batch.id), {
            "reason": "the batch had already ended at the provider", "status": BatchStatus(new).value})
        raise BadInput(f"batch #{batch.id} had already ended at the provider ({BatchStatus(new).value}); there is "
                       "nothing to cancel, and its results arrive with the next sync")
