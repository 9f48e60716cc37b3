"""Turning an ended batch's results into item rows, idempotently and in flat memory.

1. Download (resuming a broken transfer) to `results/<id>-<provider id>.jsonl`; the file is
   kept, immutable, and items point into it by byte offset.
2. Stream the parsed lines into `store.ingest_results` (a generator end to end).
   *Pipelined* (opt-in, `PIPELINE`): while the download writes the part files, a worker thread
   tails them (reading only bytes the download has flushed, whole lines only), parses each
   line (`adapter.line_parser()`) and feeds the store, so download, parsing and SQLite's
   writes (which release the GIL) overlap. Offsets are those of the joined file. If an
   attempt breaks (or the file is already whole, or another ingest holds the writer), the
   pass stops where it is and the complete file is ingested afterwards the plain way:
   rows already written are rewritten with the same values (the store's ingest is
   idempotent on (batch, custom_id)), none is lost or doubled.
3. Items the results never mention are settled from the batch's end state: `expired` for an
   expired batch, `canceled` for a canceled one, `errored` (with the batch's error) for a
   failed one, `errored / missing_result` otherwise. Finished items are never touched.
4. `store.mark_ingested` recounts the batch, only once the results file is complete.
Running it again after a crash anywhere yields the same rows (the store's ingest is
idempotent, and `mark_ingested` comes after a whole file was ingested).
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from adapters import download as dl
from adapters.base import tolerant
from adapters.errors import ResultsNotReady
from console.engine import retry
from store.model import BatchStatus, ErrorClass, ItemResult, ItemStatus, RemoteBatch

_LOCK = threading.Lock()
"""One ingest writes at a time (SQLite has one writer; queueing here beats busy waits)."""

DOWNLOAD_POLICY = retry.RetryPolicy(attempts=6, base=0.2, cap=10.0)

PIPELINE = os.environ.get("BATCHDECK_INGEST_PIPELINE", "0") == "1"
"""Ingest while downloading (opt in with BATCHDECK_INGEST_PIPELINE=1). Off by default: on a
2-core machine it measured slower than download-then-ingest (3.8-5.5 s vs 3.2-4.4 s for
100k items), because the worker's SQLite writes release and retake the GIL on every row and
keep losing it to the download's event loop; see the engine notes in README."""

SWITCH_INTERVAL = float(os.environ.get("BATCHDECK_SWITCH_INTERVAL", "0.0002"))
"""The interpreter's thread switch interval during a pipelined ingest. The download (event
loop thread) needs the GIL briefly for every 64 KiB the socket delivers while the worker
parses; with the default 5 ms the download would wait up to 5 ms each time (a convoy)."""


def remote_from_batch(b: Any) -> RemoteBatch:
    """What the store knows about a batch, in the shape adapters take."""
    return RemoteBatch(
        provider=b.provider,
        provider_batch_id=b.provider_batch_id,
        status=BatchStatus(b.status),
        raw_status=b.raw_status or "",
        endpoint=b.endpoint,
        model=b.model,
        counts=b.counts,
        created_at=b.created_at,
        ended_at=b.ended_at,
        expires_at=b.expires_at,
        input_file_id=b.input_file_id,
        output_file_id=b.output_file_id,
        error_file_id=b.error_file_id,
        results_url=b.results_url,
    )


def results_path(engine: Any, b: Any) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in (b.provider_batch_id or "local"))
    return engine.batch_dir(b.id) / f"results-{safe}.jsonl"


_LEFTOVER = {
    BatchStatus.EXPIRED: (ItemStatus.EXPIRED, "batch_expired", "the batch expired before this request ran"),
    BatchStatus.CANCELED: (ItemStatus.CANCELED, "batch_cancelled", "the batch was cancelled before this request ran"),
}


async def ingest_batch(engine: Any, b: Any, remote: RemoteBatch | None = None) -> int:
    """Download and ingest one ended batch; returns result lines ingested (0 if none)."""
    remote = remote or remote_from_batch(b)
    status = BatchStatus(remote.status)
    adapter = engine.adapter(b.provider, b.profile)
    path: Path | None = results_path(engine, b)
    report = None
    now = engine.clock()
    t0 = time.perf_counter()
    piped: _Pass | None = None
    line_parser = getattr(adapter, "line_parser", None)
    if PIPELINE and line_parser is not None and not path.exists() and _LOCK.acquire(blocking=False):
        try:
            piped = _Pass(tolerant(line_parser()), os.fspath(path))
            report = await _pipelined(engine, b, adapter, remote, path, piped, now)
        except ResultsNotReady:
            path = None
        finally:
            _LOCK.release()
    else:
        try:
            report = await retry.call(lambda: adapter.download_results(remote, path),
                                      policy=DOWNLOAD_POLICY, sleep=engine.sleep, stats=None)
        except ResultsNotReady:
            # Ended with nothing to download (failed validation, cancelled before any ran):
            # every item is settled from the batch's end state below.
            path = None
    t1 = time.perf_counter()
    done = piped.stats if piped is not None else None
    now = engine.clock() if piped is None else now

    def work() -> tuple[int, int]:
        with _LOCK:
            lines = inserted = 0
            if done is not None:
                lines, inserted = done.lines, done.inserted
            elif path is not None:
                stats = engine.store.ingest_results(b.id, adapter.parse_results(path),
                                                    results_path=str(path), now=now)
                lines, inserted = stats.lines, stats.inserted
            settle_leftovers(engine, b, status, remote.errors, now)
            return lines, inserted

    lines, inserted = await asyncio.to_thread(work)
    details: dict[str, Any] = {"lines": lines, "status": status.value,
                               "download_s": round((piped.download_s if piped else t1 - t0), 3),
                               "ingest_s": round(time.perf_counter() - (t0 if done else t1), 3)}
    if piped is not None:
        details.update(pipelined=done is not None, wait_s=round(piped.wait_s, 3),
                       parse_s=round(piped.parse_s, 3))
    if report is not None:
        details.update(bytes=report.bytes_total, resumed=report.resumed)
    if inserted and not b.tracked:
        # Results for custom_ids this batch never had: the provider batch attached to this
        # intent (Anthropic window match) is not ours. Say so loudly; never hide it.
        msg = (f"{inserted} result lines name custom_ids this batch never submitted; "
               "the provider batch may have been matched to the wrong submission")
        engine.store.set_batch_fields(b.id, errors=msg)
        details["mismatch"] = inserted

    def mark() -> None:
        with _LOCK, engine.store.transaction():  # the mark and its audit event, or neither
            engine.store.mark_ingested(b.id, now=now)
            engine.audit("ingest", str(b.id), details)

    await asyncio.to_thread(mark)
    return lines


async def _pipelined(engine: Any, b: Any, adapter: Any, remote: RemoteBatch, path: Path,
                     piped: "_Pass", now: float) -> Any:
    """Download `path` while a worker thread ingests what has arrived (`_Pass`).

    Returns the download report; `piped.stats` is set when the pass ingested the whole file,
    None when it stopped early (the caller then ingests the complete file). The caller holds
    `_LOCK` for the duration. Raises what the download raises (after stopping the worker).
    """
    started = time.perf_counter()

    def work() -> None:
        try:
            piped.stats = engine.store.ingest_results(b.id, piped.results(), results_path=str(path),
                                                      now=now)
        except _Stop:
            piped.stats = None

    async def download() -> Any:
        with dl.watching(piped):
            return await retry.call(lambda: adapter.download_results(remote, path),
                                    policy=DOWNLOAD_POLICY, sleep=engine.sleep, stats=None)

    worker = asyncio.ensure_future(asyncio.to_thread(work))
    fetch = asyncio.ensure_future(download())
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        await asyncio.wait({worker, fetch}, return_when=asyncio.FIRST_EXCEPTION)
        if worker.done() and worker.exception() is not None:
            fetch.cancel()
            await asyncio.gather(fetch, return_exceptions=True)
            raise worker.exception()  # type: ignore[misc]
        report = await fetch
        piped.download_s = time.perf_counter() - started
        piped.finish()
        await worker
        return report
    finally:
        piped.stop()  # whatever happened, the worker must not wait for bytes that never come
        await asyncio.gather(worker, return_exceptions=True)
        sys.setswitchinterval(interval)
        piped.close()


class _Stop(Exception):
    """The pipelined pass stops early; the complete file is ingested afterwards."""


class _Pass:
    """One pipelined ingest: a `download.Watcher` on the event loop's side, a generator of
    parsed results on the worker's side; a condition variable between the two.

    The worker reads part k only up to the size the download reported flushed, and only
    whole lines (a part's last line once the part is complete), so it never parses bytes
    that could still change. Offsets are those of the joined file: part k starts at the sum
    of the earlier parts' sizes, plus one for each that lacked a final newline.
    """

    def __init__(self, parse: Callable[[bytes], Any], name: str) -> None:
        self.parse = parse
        self.name = name
        self.cond = threading.Condition()
        self.parts: list[Path] | None = None
        self.files: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.complete: set[int] = set()
        self.stopped = False
        self.finished = False
        self.stats: Any = None
        self.download_s = 0.0
        self.wait_s = 0.0
        self.parse_s = 0.0

    # ---- download side (event loop thread) ----------------------------------------------
    def begin(self, parts: list[Path]) -> None:
        with self.cond:
            if self.parts is None:
                self.parts = list(parts)
            self.cond.notify_all()

    def _open(self, index: int, part: Path) -> bool:
        if self.stopped:
            return False
        if index not in self.files:
            try:
                self.files[index] = open(part, "rb")  # noqa: SIM115 - closed in close()
            except OSError:
                self.stopped = True
                return False
        return True

    def started(self, index: int, part: Path, kept: int) -> None:
        with self.cond:
            if index in self.files and kept < self.sizes.get(index, 0):
                self.stopped = True  # the part starts over: its bytes may not be those we read
            elif self._open(index, part):
                self.sizes[index] = kept
            self.cond.notify_all()

    def wrote(self, index: int, size: int) -> None:
        with self.cond:
            self.sizes[index] = size
            self.cond.notify_all()

    def done(self, index: int, part: Path, size: int) -> None:
        with self.cond:
            if self._open(index, part):
                self.sizes[index] = size
                self.complete.add(index)
            self.cond.notify_all()

    def broken(self) -> None:
        self.stop()

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()

    def finish(self) -> None:
        with self.cond:
            self.finished = True
            self.cond.notify_all()

    def close(self) -> None:
        for f in self.files.values():
            f.close()
        self.files.clear()

    # ---- worker side ----------------------------------------------------------------------
    def _wait(self, index: int, have: int) -> tuple[Any, int, bool]:
        """(file, flushed size, complete?) of part `index` once it holds more than `have`
        bytes or is complete; raises _Stop if the pass must stop."""
        t = time.perf_counter()
        with self.cond:
            while True:
                if self.stopped:
                    raise _Stop
                f = self.files.get(index)
                if f is not None and (index in self.complete or self.sizes.get(index, 0) > have):
                    self.wait_s += time.perf_counter() - t
                    return f, self.sizes[index], index in self.complete
                if self.finished and f is None:
                    raise _Stop  # the download ended without telling us about this part
                self.cond.wait(1.0)

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(offset in the joined file, line without its newline) of each non-blank line, as
        `adapters.base.iter_lines_with_offsets` would give them from the joined file."""
        for block in self.blocks():
            yield from block

    def blocks(self) -> Iterator[list[tuple[int, bytes]]]:
        """`lines()` a block (up to 1 MiB of whole lines) at a time."""
        with self.cond:
            while self.parts is None:
                if self.stopped or self.finished:
                    raise _Stop
                self.cond.wait(1.0)
            count = len(self.parts)
        base = 0
        pread = os.pread
        for index in range(count):
            pos = 0       # offset in the part of the first byte not yet yielded
            read_at = 0   # bytes of the part read so far
            carry = b""   # read bytes of a line not yet whole (pos .. read_at)
            while True:
                f, size, complete = self._wait(index, read_at)
                fd = f.fileno()
                while read_at < size:
                    block = pread(fd, min(dl.BLOCK, size - read_at), read_at)
                    if not block:
                        raise _Stop  # shorter than reported: not ours to guess
                    read_at += len(block)
                    data = carry + block if carry else block
                    cut = data.rfind(b"\n") + 1
                    if not cut:
                        carry = data
                        continue
                    at = base + pos
                    out = []
                    for line in data[:cut].split(b"\n"):
                        stripped = line.rstrip(b"\r\n")
                        if stripped.strip():
                            out.append((at, stripped))
                        at += len(line) + 1
                    yield out
                    pos += cut
                    carry = data[cut:]
                if complete and read_at >= size:
                    break
            if carry:  # the part's last line, without a newline (the join adds one)
                stripped = carry.rstrip(b"\r\n")
                if stripped.strip():
                    yield [(base + pos, stripped)]
            base += size + (1 if carry else 0)

    def results(self) -> Iterator[Any]:
        parse = self.parse
        clock = time.perf_counter
        for block in self.blocks():
            t = clock()
            out = []
            for offset, line in block:
                result = parse(line)
                if result is not None:
                    result.offset = offset
                    result.length = len(line)
                    out.append(result)
            self.parse_s += clock() - t
            yield from out


def settle_leftovers(engine: Any, b: Any, status: BatchStatus, errors: str | None, now: float) -> int:
    """Give items the results never mentioned their final state from the batch's end."""
    from console.engine.submit import pending_custom_ids

    ids = pending_custom_ids(engine.store, b.id)
    if not ids:
        return 0
    if status in _LEFTOVER:
        item_status, etype, message = _LEFTOVER[status]
        klass = ErrorClass.RETRYABLE
    elif status is BatchStatus.FAILED:
        item_status, etype = ItemStatus.ERRORED, "batch_failed"
        message = errors or "the provider failed the whole batch"
        from adapters.lifecycle import classify_error

        code = (errors or "").split(" ", 1)[0].split(":", 1)[0] or None
        klass = classify_error(code, None) if code else ErrorClass.PERMANENT
        etype = code or etype
    else:
        item_status, etype, message = ItemStatus.ERRORED, "missing_result", "the provider returned no result for this request"
        klass = ErrorClass.RETRYABLE
    engine.store.ingest_results(
        b.id,
        (ItemResult(cid, item_status, error_type=etype, error_message=message, error_class=klass)
         for cid in ids),
        results_path=None,
        now=now,
    )
    return len(ids)
