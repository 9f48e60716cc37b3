"""The built-in provider emulator: OpenAI and Anthropic batch + realtime APIs on 127.0.0.1.

A real HTTP server (Starlette + uvicorn) that the official `openai` and `anthropic` SDKs talk to
unchanged, given only a base URL, with a compressed clock and fault injection. Used by the
demo (`batchdeck demo`), the tests and the benchmarks; no network, no keys (any non-empty key
is accepted, as `x-api-key` or `Authorization: Bearer`; a missing key gets a 401).

Public API
----------
    EmulatorServer(*, host="127.0.0.1", port=0, seed=0, speed=1.0, faults=None,
                   start_time=None, use_subprocess=False)
        .start() -> self / .stop() / context manager
        .base_url_openai     "http://127.0.0.1:PORT/v1"   (openai.OpenAI(base_url=...))
        .base_url_anthropic  "http://127.0.0.1:PORT"      (anthropic.Anthropic(base_url=...))
        .admin_url           "http://127.0.0.1:PORT/_emulator"
        .advance(s) .set_time(t) .set_speed(x) .now() .set_faults(**knobs) .batch_faults(id, **knobs)
        .finalize() .state() .reset() .openai_client(**kw) .anthropic_client(**kw)
    start_emulator(**kwargs) -> EmulatorServer            (started; stop it yourself)
    adapters.emulator.testing.running_emulator(seed=0, speed=0.0, faults=None, start_time=None)
        context manager for tests (frozen clock by default)
    adapters.emulator.cli.main(argv) -> int               (`batchdeck emulator ...`)

Endpoints
---------
OpenAI (base .../v1): POST /v1/files (multipart, purpose=batch), GET /v1/files, GET|DELETE
/v1/files/{id}, GET /v1/files/{id}/content, POST /v1/batches, GET /v1/batches (after, limit),
GET /v1/batches/{id}, POST /v1/batches/{id}/cancel; realtime POST /v1/chat/completions,
/v1/responses, /v1/embeddings honouring `service_tier` (flex: slower, and a share of calls
get 429 `resource_unavailable`; priority/fast: fastest, reported as `priority`).
Anthropic (base without /v1): POST|GET /v1/messages/batches, GET|DELETE
/v1/messages/batches/{id}, POST .../{id}/cancel, GET .../{id}/results (JSONL,
`application/x-jsonl`, at the absolute `results_url`); realtime POST /v1/messages.
`?beta=true` is accepted on every route.

Admin (no key): GET /_emulator/state (clock, faults, every batch's status and counts);
GET|POST /_emulator/clock {"advance": s} | {"set": epoch} | {"speed": x};
GET|POST /_emulator/faults {knob: value, ..., "reset": true?} (server-wide);
GET|POST /_emulator/batches/{id}/faults {knob: value} (one batch, either provider);
POST /_emulator/reset (forget batches and files);
POST /_emulator/finalize (write the results file of every ended batch now; answers
{"files": N, "bytes": B, "generated": n}).

Results files
-------------
As a provider does, a results file (OpenAI output/error file, Anthropic results) is written
once, by the first request that needs it (its size or its bytes) or by /_emulator/finalize,
into a spool directory of the server's own (a temporary directory removed when the server
stops), and then served as static bytes with `Range: bytes=N-` support (206; 416 past the
end). Re-planning a batch's outcomes (per-batch faults), deleting the batch or its file, or
a reset deletes the written files.

Time
----
Emulated time = start + real elapsed × speed (+ admin jumps). Batches follow a realistic
timeline (see `state`): OpenAI `validating` → `in_progress` (request_counts grow as items
finish along a fast-start/long-tail curve) → `finalizing` → `completed`; Anthropic stays
`in_progress` with only `processing` counted until `ended`. The 24 h window expires
unfinished items; cancel goes through `cancelling`/`canceling` to `cancelled`/`ended`.

Fault knobs
-----------
Server-wide via `--faults "k=v,..."` / `faults=` / POST /_emulator/faults; per batch via
OpenAI metadata `emulator_<knob>` (e.g. {"emulator_error_rate": "0.2"}), the
`x-emulator-faults: k=v,...` header on a create (both providers), or
POST /_emulator/batches/{id}/faults. Outcome knobs are fixed per batch when it is created
(from the server-wide values) unless overridden for that batch; HTTP knobs are read live.

  error_rate=0.0        share of items that error (hash of seed, batch id, custom_id)
  retryable_share=0.5   share of errored items with a retryable error (OpenAI: HTTP 429 or 500
                        in response.body, or a non-HTTP request_timeout; Anthropic:
                        overloaded/api/timeout/rate_limit error); the rest are permanent
                        (400 invalid_request_error). Malformed requests (no messages,
                        stream=true, max_tokens<1) always fail permanently.
  expire=0.0            share of items that never finish: the batch expires at 24 h with
                        partial output (`true` = 0.3)
  duration=None         processing time in emulated seconds (default from the batch size)
  stuck_finalizing=0    seconds an OpenAI batch stays `finalizing` (Anthropic: stays
                        in_progress after its last item); `true` = 12 h
  token_limit=false     OpenAI: the batch fails after validating with token_limit_exceeded
  broken_download=0     results downloads break after this share of lines (`true` = 0.5;
                        a broken download is a plain 200 whatever its Range header)
  broken_download_times=None  only the first N downloads break (default: all)
  max_requests=None     request limit (OpenAI 50,000 -> too_many_tasks; Anthropic 100,000 -> 400)
  max_bytes=None        size limit (OpenAI upload 200 MB -> 400; Anthropic body 256 MB -> 413)
  empty_error_file_id=false  OpenAI quirk: a clean batch reports error_file_id ""
  http_429_rate=0       share of API calls answered 429 with retry-after (+ retry-after-ms)
  list_429_rate=0       share of list calls (both providers' batch lists) answered 429
  list_429_calls=0      the next N list calls after the knobs are set are answered 429
  http_500_rate=0       share answered 500
  http_529_rate=0       share answered 529 overloaded_error (OpenAI routes: 503)
  retry_after=1.0       seconds in the retry-after header
  echo_auth_401=false   every API call is answered 401 with a message that echoes the
                        credentials it received (the Authorization and x-api-key headers as
                        sent, and the key as base64 and as Basic base64("user:key")): a
                        provider or proxy that quotes secrets back in its error text
  latency_ms=0          added to every API call
  slow_rate=0, slow_ms=2000   share of calls delayed by slow_ms more
  realtime_latency_ms=3 base latency of realtime calls (priority ×0.5, default ×1, flex ×4)
  flex_unavailable_rate=0.1   share of flex realtime calls answered 429 resource_unavailable

Determinism: same seed ⇒ same batch/file ids (per creation sequence) and the same per-item
outcomes, finish times, texts and token counts, whatever the order of requests. HTTP fault
draws are a hash of (seed, call number).

Content: answers are plausible English cut from a fixed text bank; input tokens ≈ prompt
characters / 4 + per-message overhead, output tokens = generated characters / 4, capped by
the request's max tokens; OpenAI prompts of 1,024+ tokens hit the cache about half the time,
Anthropic requests with `cache_control` read or write the cache.
"""

from .server import EmulatorServer, start_emulator

__all__ = ["EmulatorServer", "start_emulator"]
