"""Small builders for store tests (plain data, no behaviour of our own code)."""

from __future__ import annotations

from store.model import BatchStatus, ItemResult, ItemStatus, RemoteBatch, RequestCounts, Usage

T0 = 1_795_000_000.0  # 2026-11-18 09:46:40 UTC


def remote(pid: str = "batch_abc", status: BatchStatus = BatchStatus.IN_PROGRESS, raw: str = "in_progress",
           provider: str = "openai", **kw) -> RemoteBatch:
    kw.setdefault("model", "gpt-6-luna")
    kw.setdefault("endpoint", "/v1/chat/completions")
    return RemoteBatch(provider=provider, provider_batch_id=pid, status=status, raw_status=raw, **kw)


def intent(store, token: str = "tok-1", provider: str = "openai", model: str | None = "gpt-6-luna",
           n: int = 3, now: float = T0, **kw) -> int:
    args = dict(provider=provider, profile="default", endpoint="/v1/chat/completions", model=model,
                label=None, deadline=None, job_id=None, parent_id=None, submitted_by="ana@box",
                submit_token=token, request_count=n, now=now)
    args.update(kw)
    return store.record_intent(**args)


def ok(cid: str, it=1000, ot=200, cr=0, cw=0, model=None, offset=None, length=None) -> ItemResult:
    return ItemResult(custom_id=cid, status=ItemStatus.SUCCEEDED, usage=Usage(it, ot, cr, cw),
                      model=model, http_status=200, offset=offset, length=length)


def failed(cid: str, status=ItemStatus.ERRORED, error_type="rate_limit_error", error_class=None,
           http_status=429) -> ItemResult:
    from store.model import ErrorClass

    if error_class is None and status is ItemStatus.ERRORED:
        error_class = ErrorClass.PERMANENT if error_type == "invalid_request_error" else ErrorClass.RETRYABLE
    return ItemResult(custom_id=cid, status=status, error_type=error_type,
                      error_message=f"{error_type} happened", http_status=http_status,
                      error_class=error_class)


__all__ = ["T0", "remote", "intent", "ok", "failed", "RequestCounts", "BatchStatus", "ItemStatus"]
