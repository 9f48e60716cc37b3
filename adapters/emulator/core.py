"""The emulator's shared context (clock, state, server-wide faults), the HTTP gate, and the
small helpers every provider's routes use.

Every provider route passes `gate()` first (most through the `@gated(provider)` decorator; the
ones whose faults depend on the batch they name call it themselves): it checks that an API key is present (either
`x-api-key` or `Authorization: Bearer`), counts the call, adds the configured latency, and
answers a 429 (with `retry-after`), 500 or 529/503 for the configured share of calls. The
choice is a hash of (seed, call number): the same sequence of calls meets the same faults.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from . import rand
from .clock import Clock
from .faults import Faults
from .inputs import Items
from .spool import Spool
from .state import Batch, State

if TYPE_CHECKING:  # pragma: no cover
    from .dialect import Dialect


class Emulator:
    def __init__(self, *, seed: int = 0, speed: float = 1.0, start: float | None = None,
                 faults: Mapping[str, Any] | None = None) -> None:
        self.seed = seed
        self.clock = Clock(speed=speed, start=start)
        self.state = State(seed)
        self.faults = Faults().with_(faults or {})
        self.calls = 0
        self.flex_calls = 0
        self.rt_key = rand.key_for(seed, "realtime")
        self.spool = Spool()
        self.list_storm_for: Faults | None = None
        """The knobs the current `list_429_calls` storm was counted from (see gated_list)."""
        self.list_storm_left = 0

    def now(self) -> float:
        return self.clock.now()

    def next_call(self) -> int:
        self.calls += 1
        return self.calls

    def add_batch(self, dialect: Dialect, items: Items, now: float, overrides: dict[str, Any],
                  **fields: Any) -> Batch:
        """Create and register a batch of the provider `dialect` speaks: a new id, and the
        server-wide faults of this moment snapshotted, under the create's own `overrides`."""
        state = self.state
        batch = Batch(dialect=dialect, id=state.new_batch_id(dialect), seq=len(state.batches),
                      created_at=now, items=items, base_faults=self.faults, seed=self.seed,
                      overrides=overrides, **fields)
        state.add_batch(batch)
        return batch

    def reset(self) -> None:
        old, self.state = self.state, State(self.seed)
        for batch in old.batches.values():
            batch.drop_files()
        self.calls = 0
        self.flex_calls = 0

    def close(self) -> None:
        """Release what outlives requests (the spool directory); the server calls it on stop."""
        self.spool.close()


# --- requests --------------------------------------------------------------------------------


def emulator(request: Request) -> Emulator:
    return request.app.state.emu


_DIALECT = "emulator.dialect"


def dialect_of(request: Request) -> Dialect:
    """The provider this route serves (set by `bound`)."""
    dialect: Dialect = request.scope[_DIALECT]
    return dialect


def bound(endpoint: Callable[[Request], Awaitable[Response]],
          dialect: Dialect) -> Callable[[Request], Awaitable[Response]]:
    """`endpoint` serving `dialect`'s provider: one set of OpenAI-style routes serves every
    service that copies OpenAI's API, each under its own path prefix and name."""
    @functools.wraps(endpoint)
    async def handler(request: Request) -> Response:
        request.scope[_DIALECT] = dialect
        return await endpoint(request)

    return handler


def gated(dialect: Dialect | None = None) -> Callable[[Callable[[Request, Emulator], Awaitable[Response]]],
                                                    Callable[[Request], Awaitable[Response]]]:
    """A provider route behind `gate` with the server's faults: it runs, given the emulator,
    only for a call that gets through (a key present, no injected fault). Routes whose faults
    depend on the batch they name call `gate` themselves. Without `dialect`, the route's own
    (`bound`)."""
    def wrap(route: Callable[[Request, Emulator], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(route)
        async def handler(request: Request) -> Response:
            emu = emulator(request)
            if (bad := await gate(emu, request, dialect or dialect_of(request))) is not None:
                return bad
            return await route(request, emu)

        return handler

    return wrap


def gated_list(dialect: Dialect | None = None) -> Callable[[Callable[[Request, Emulator], Awaitable[Response]]],
                                                         Callable[[Request], Awaitable[Response]]]:
    """`gated` for a list route: `list_429_rate` adds a storm on the list endpoints alone
    (discovery and `track --all` meet it while status polls still get through)."""
    def wrap(route: Callable[[Request, Emulator], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(route)
        async def handler(request: Request) -> Response:
            emu = emulator(request)
            f = emu.faults
            if emu.list_storm_for is not f:  # knobs were set: a new storm of list_429_calls
                emu.list_storm_for, emu.list_storm_left = f, f.list_429_calls
            if emu.list_storm_left > 0:
                emu.list_storm_left -= 1
                f = f.with_({"http_429_rate": 1.0})
            elif f.list_429_rate > f.http_429_rate:
                f = f.with_({"http_429_rate": f.list_429_rate})
            if (bad := await gate(emu, request, dialect or dialect_of(request), f)) is not None:
                return bad
            return await route(request, emu)

        return handler

    return wrap


def reply_headers(request: Request) -> dict[str, str]:
    """The headers `gate` chose for this call's answer (its request id)."""
    return getattr(request.state, "request_headers", {})


def int_param(value: str | None, default: int) -> int:
    """A query parameter as an int (`default` if absent or empty); ValueError if not a number."""
    if value is None or value == "":
        return default
    return int(value)


# --- responses -------------------------------------------------------------------------------


def jresp(obj: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(obj), status_code=status, media_type="application/json", headers=dict(headers or {}))


def raw_json(text: str, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(text, status_code=status, media_type="application/json", headers=dict(headers or {}))


def rfc3339(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unix(t: float | None) -> int | None:
    return None if t is None else int(t)


# --- the gate --------------------------------------------------------------------------------


def _api_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    return None


async def gate(emu: Emulator, request: Request, dialect: Dialect, faults: Faults | None = None) -> Response | None:
    """None to go on, or the error response this call gets (401, or an injected fault)."""
    n = emu.next_call()
    h = rand.mix(emu.seed, "call", n)
    headers = dialect.request_id(h)
    if not _api_key(request):
        return dialect.refuse("auth", headers)
    f = faults or emu.faults
    if f.echo_auth_401:
        return _echo_credentials(request, dialect, headers)
    delay = f.latency_ms
    if f.slow_rate and rand.unit(h, 1) < f.slow_rate:
        delay += f.slow_ms
    if delay > 0:
        await asyncio.sleep(delay / 1000.0)
    u = rand.unit(h, 0)
    if u < f.http_429_rate:
        headers = {**headers, "retry-after": _fmt_secs(f.retry_after), "retry-after-ms": str(int(f.retry_after * 1000))}
        return dialect.refuse("rate_limit", headers)
    u -= f.http_429_rate
    if u < f.http_500_rate:
        return dialect.refuse("server", headers)
    u -= f.http_500_rate
    if u < f.http_529_rate:
        return dialect.refuse("overloaded", headers)
    request.state.request_headers = headers
    return None


def _echo_credentials(request: Request, dialect: Dialect, headers: dict[str, str]) -> Response:
    """The `echo_auth_401` quirk: a 401 quoting the credentials back in every usual encoding."""
    import base64

    key = _api_key(request) or ""
    b64 = base64.b64encode(key.encode()).decode()
    basic = base64.b64encode(f"apiuser:{key}".encode()).decode()
    text = (f"Incorrect API key provided. Authorization: {request.headers.get('authorization', '')}; "
            f"x-api-key: {request.headers.get('x-api-key', '')}; as base64: {b64}; "
            f"as Basic: Authorization: Basic {basic}")
    bad_key = dialect.refusals["bad_key"]
    return dialect.error(401, bad_key.kind, text, bad_key.code, headers)


def _fmt_secs(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class BrokenDownload(Exception):
    """Raised mid-stream to cut a results download (the `broken_download` fault)."""


def break_after(chunks: Iterator[bytes], total_lines: int, fraction: float) -> Iterator[bytes]:
    """Pass `chunks` through until `fraction` of `total_lines` (plus half a line), then fail."""
    keep = int(total_lines * min(max(fraction, 0.0), 1.0))
    seen = 0
    for chunk in chunks:
        lines = chunk.split(b"\n")
        n = len(lines) - 1
        if seen + n <= keep:
            seen += n
            yield chunk
            continue
        take = keep - seen
        head = b"\n".join(lines[:take])
        partial = lines[take][: max(1, len(lines[take]) // 2)]
        yield (head + b"\n" if take else b"") + partial
        break
    raise BrokenDownload("results download cut by the broken_download fault")


class _DropBrokenDownload(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:
            if isinstance(exc, BrokenDownload):
                return False
            grouped = exc.exceptions[0] if isinstance(exc, BaseExceptionGroup) and exc.exceptions else None
            exc = exc.__cause__ or exc.__context__ or grouped
        return True


def quiet_broken_downloads() -> None:
    """Keep uvicorn from printing a traceback for every deliberately broken download."""
    for name in ("uvicorn.error", "uvicorn"):
        log = logging.getLogger(name)
        if not any(isinstance(f, _DropBrokenDownload) for f in log.filters):
            log.addFilter(_DropBrokenDownload())
