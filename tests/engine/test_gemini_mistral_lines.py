"""Gemini and Mistral result lines: gRPC codes read by Gemini's own table (never as HTTP),
usage from usageMetadata, Mistral failures by status_code >= 400 or error, whatever file."""

from __future__ import annotations

import json

from adapters.gemini import results as gemini
from adapters.gemini.status import grpc_class
from adapters.mistral import results as mistral
from store.model import ErrorClass, ItemStatus, Usage


def _g(obj):
    return gemini.parse_raw_line(json.dumps(obj).encode())


def _m(obj):
    return mistral.parse_raw_line(json.dumps(obj).encode())


def test_gemini_usage_splits_cached_tokens_out_and_bills_thoughts_as_output():
    r = _g({"key": "a", "response": {"candidates": [{"finishReason": "STOP"}], "modelVersion": "gemini-2.5-flash",
                                     "usageMetadata": {"promptTokenCount": 1000, "candidatesTokenCount": 40,
                                                       "thoughtsTokenCount": 10, "cachedContentTokenCount": 600}}})
    assert (r.custom_id, r.status, r.model, r.truncated) == ("a", ItemStatus.SUCCEEDED, "gemini-2.5-flash", False)
    assert r.usage == Usage(input_tokens=400, output_tokens=50, cache_read_tokens=600)
    cut = _g({"key": "b", "response": {"candidates": [{"finishReason": "MAX_TOKENS"}]}})
    assert cut.truncated and cut.usage is None


def test_gemini_errors_carry_grpc_codes_never_read_as_http():
    bad = _g({"key": "x", "error": {"code": 3, "message": "Request contains an invalid argument."}})
    assert (bad.status, bad.error_type, bad.http_status, bad.error_class) == (
        ItemStatus.ERRORED, "INVALID_ARGUMENT", None, ErrorClass.PERMANENT)
    busy = _g({"key": "y", "error": {"code": 14, "message": "overloaded", "status": "UNAVAILABLE"}})
    assert (busy.error_type, busy.error_class, busy.http_status) == ("UNAVAILABLE", ErrorClass.RETRYABLE, None)
    # 13 would be a permanent "4xx-ish" nonsense as HTTP; as gRPC it is INTERNAL, retryable.
    assert grpc_class(13) is ErrorClass.RETRYABLE and grpc_class(5) is ErrorClass.PERMANENT
    assert grpc_class(None, "PERMISSION_DENIED") is ErrorClass.PERMANENT


def test_mistral_failures_by_status_code_or_error_wherever_they_sit():
    ok = _m({"custom_id": "a", "response": {"status_code": 200, "body": {
        "model": "mistral-small-latest", "usage": {"prompt_tokens": 12, "completion_tokens": 5},
        "choices": [{"finish_reason": "length"}]}}, "error": None})
    assert (ok.status, ok.usage, ok.truncated) == (ItemStatus.SUCCEEDED, Usage(12, 5), True)
    in_output = _m({"custom_id": "b", "response": {"status_code": 400, "body": {
        "object": "error", "message": "too long", "type": "invalid_request_error"}}, "error": None})
    assert (in_output.status, in_output.http_status, in_output.error_class, in_output.error_message) == (
        ItemStatus.ERRORED, 400, ErrorClass.PERMANENT, "too long")
    in_error_file = _m({"custom_id": "c", "response": {"status_code": 500, "body": {"message": "boom"}},
                        "error": {"message": "Internal server error", "code": "3000"}})
    assert (in_error_file.http_status, in_error_file.error_class) == (500, ErrorClass.RETRYABLE)
    error_only = _m({"custom_id": "d", "response": {"status_code": 200, "body": {}}, "error": "something broke"})
    assert error_only.status == ItemStatus.ERRORED and error_only.error_message == "something broke"


def test_an_unknown_mistral_status_stays_unknown_and_is_not_terminal(monkeypatch):
    import adapters
    from store.model import BatchStatus

    monkeypatch.setenv("MISTRAL_API_KEY", "k")
    adapter = adapters.get_adapter("mistral", base_url="http://127.0.0.1:9")
    remote = adapter.to_remote({"id": "j", "status": "PAUSED_FOR_MAINTENANCE", "created_at": 100,
                                "total_requests": 4, "succeeded_requests": 1, "failed_requests": 0,
                                "metadata": {"batchdeck_timeout_hours": "6"}})
    assert remote.status == BatchStatus.UNKNOWN and not remote.status.is_terminal
    assert remote.raw_status == "PAUSED_FOR_MAINTENANCE" and remote.counts.processing == 3
    assert remote.expires_at == 100 + 6 * 3600


def test_gemini_counts_are_int64_strings_and_absent_means_zero(monkeypatch):
    import adapters
    from store.model import BatchStatus

    monkeypatch.setenv("GEMINI_API_KEY", "k")
    adapter = adapters.get_adapter("gemini", base_url="http://127.0.0.1:9")
    remote = adapter.to_remote({"name": "batches/x", "metadata": {
        "state": "JOB_STATE_SUCCEEDED", "createTime": "2027-01-15T08:00:00Z", "displayName": "batchdeck:tok",
        "batchStats": {"requestCount": "3", "successfulRequestCount": "3"},
        "output": {"responsesFile": "files/batch-x"}}, "done": True})
    assert remote.status == BatchStatus.COMPLETED and remote.counts.succeeded == 3 and remote.counts.errored == 0
    assert remote.metadata == {"batchdeck_token": "tok"} and remote.output_file_id == "files/batch-x"
    assert remote.expires_at - remote.created_at == 48 * 3600


def test_a_resumed_mistral_ingest_still_gives_the_failures_it_held_back(monkeypatch, tmp_path):
    """Mistral's reader gives failures last (a later success for the same id wins), so a chunk
    of successes can commit past a failure not yet written; resuming there must not lose it."""
    import adapters

    monkeypatch.setenv("MISTRAL_API_KEY", "k")
    adapter = adapters.get_adapter("mistral", base_url="http://127.0.0.1:9")

    def ok(cid):
        return {"custom_id": cid, "response": {"status_code": 200, "body": {
            "usage": {"prompt_tokens": 3, "completion_tokens": 2}, "choices": [{"finish_reason": "stop"}]}},
            "error": None}

    def failed(cid):
        return {"custom_id": cid, "response": {"status_code": 500, "body": {"message": "boom"}}, "error": None}

    lines = [failed("a"), failed("b"), ok("b"), ok("c"), ok("d"), failed("c")]
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    whole = [(r.custom_id, r.status) for r in adapter.parse_results(path)]
    assert whole == [("b", ItemStatus.SUCCEEDED), ("c", ItemStatus.SUCCEEDED), ("d", ItemStatus.SUCCEEDED),
                     ("a", ItemStatus.ERRORED)]
    # An ingest that committed b and c (their lines end at the fourth line) and was killed:
    start = sum(len(json.dumps(x)) + 1 for x in lines[:4])
    resumed = [(r.custom_id, r.status) for r in adapter.parse_results(path, start)]
    assert resumed == [("d", ItemStatus.SUCCEEDED), ("a", ItemStatus.ERRORED)]  # c's late failure stays ignored
