"""Results files written once, then served as static bytes, as a provider does.

A terminal batch's results file (OpenAI output or error file, Anthropic results) cannot change
any more, so the first request that needs it (for its size or its bytes) writes it to this
emulator's spool directory and every later request streams that file. Re-generating the text
on each request made the emulator, not the client, the bottleneck of ingest benchmarks.

- Writing runs in a worker thread (a 1 GB file takes seconds; the event loop keeps serving)
  under a lock per (batch, kind): concurrent first requests wait for one writer instead of
  writing twice. It streams generator chunks to a temporary name and renames it, so a final
  name only ever holds a whole file.
- An entry remembers the view it was written for and the batch's `files_epoch` (bumped when
  outcomes are re-planned or the batch is deleted); an entry for another view is rewritten,
  never served. Requests get an open handle, so deleting a file under a download is harmless.
- The directory is created on first use and removed when the server stops (`close`), or at
  interpreter exit for an emulator that was never served by `EmulatorServer`.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
from starlette.responses import StreamingResponse

from . import results
from .state import Batch, Spooled, View

BLOCK = 1 << 20

Target = tuple[Batch, View, str]
"""A batch, its terminal view and a kind: "output"/"error" (OpenAI) or "results" (Anthropic)."""


class SpoolClosed(RuntimeError):
    """The server is stopping: no more files are written."""


class Unsatisfiable(Exception):
    """A Range request starting at or past the end of the file (HTTP 416)."""


def generate(batch: Batch, view: View, kind: str) -> Iterator[bytes]:
    if kind == "results":
        return results.anthropic_results(batch, view)
    return results.openai_file(batch, view, kind)


def view_key(batch: Batch, view: View) -> tuple[object, ...]:
    """Everything a terminal results file depends on besides the plan (which `files_epoch` covers)."""
    return (batch.files_epoch, view.status, view.done, view.unrun_kind, view.terminal_at)


class Spool:
    def __init__(self) -> None:
        self._dir: Path | None = None
        self._closed = False
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._names = itertools.count(1)
        self._cleanup: weakref.finalize | None = None
        self.generated = 0
        """Files written so far (tests use it to tell a served file from a regenerated one)."""

    @property
    def path(self) -> Path | None:
        """The spool directory, None until the first file is written."""
        return self._dir

    def close(self) -> None:
        """Remove the directory; later writes raise `SpoolClosed`. Idempotent."""
        with self._guard:
            self._closed = True
        if self._cleanup is not None:
            self._cleanup()

    # --- writing (worker threads) ---------------------------------------------------------------

    def _lock(self, batch: Batch, kind: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault((batch.id, kind), threading.Lock())

    def materialize(self, batch: Batch, view: View, kind: str, *, want_handle: bool = False
                    ) -> tuple[Spooled, BinaryIO | None, bool]:
        """The spooled file for this view (written if needed), an open handle on it if asked,
        and whether it was written now. Blocking: call it from a worker thread."""
        key = view_key(batch, view)
        with self._lock(batch, kind):
            entry = batch.file_cache.get(kind)
            if entry is not None and entry.key == key:
                if not want_handle:
                    return entry, None, False
                try:
                    return entry, open(entry.path, "rb"), False
                except FileNotFoundError:
                    pass  # dropped after we looked it up: write it again
            entry, handle = self._write(batch, view, kind, key, want_handle)
            if batch.files_epoch == key[0]:
                old = batch.file_cache.get(kind)
                batch.file_cache[kind] = entry
                if old is not None and old.path != entry.path:
                    old.path.unlink(missing_ok=True)
            else:
                # Re-planned while we wrote: this request still reads what it asked for (through
                # its handle), later ones must not.
                entry.path.unlink(missing_ok=True)
            return entry, handle, True

    def _write(self, batch: Batch, view: View, kind: str, key: tuple[object, ...],
               want_handle: bool) -> tuple[Spooled, BinaryIO | None]:
        with self._guard:
            # Checked under the guard so that no file appears once `close` has begun removing
            # the directory.
            if self._closed:
                raise SpoolClosed("the emulator is stopping")
            if self._dir is None:
                self._dir = Path(tempfile.mkdtemp(prefix="batchdeck-emulator-spool-"))
                self._cleanup = weakref.finalize(self, shutil.rmtree, str(self._dir), ignore_errors=True)
            final = self._dir / f"{batch.id}.{kind}.{next(self._names)}.jsonl"
            tmp = final.with_name(f".{final.name}.part")
            f = open(tmp, "w+b")
        try:
            size = 0
            for chunk in generate(batch, view, kind):
                if self._closed:
                    raise SpoolClosed("the emulator is stopping")
                f.write(chunk)
                size += len(chunk)
            f.flush()
            os.replace(tmp, final)
        except BaseException:
            f.close()
            tmp.unlink(missing_ok=True)
            raise
        with self._guard:
            self.generated += 1
        entry = Spooled(size=size, path=final, key=key)
        if want_handle:
            f.seek(0)
            return entry, f
        f.close()
        return entry, None

    def finalize(self, targets: Iterable[Target]) -> dict[str, int]:
        """Write every target's file now; counts cover the files already written too."""
        files = size = generated = 0
        for batch, view, kind in targets:
            entry, _, wrote = self.materialize(batch, view, kind)
            files += 1
            size += entry.size
            generated += wrote
        return {"files": files, "bytes": size, "generated": generated}

    # --- the event loop's side ----------------------------------------------------------------

    async def ensure(self, batch: Batch, view: View, kind: str) -> Spooled:
        entry = batch.file_cache.get(kind)
        if entry is not None and entry.key == view_key(batch, view):
            return entry  # the common case needs no thread hop
        return (await anyio.to_thread.run_sync(self.materialize, batch, view, kind))[0]

    async def open(self, batch: Batch, view: View, kind: str) -> tuple[Spooled, BinaryIO]:
        entry, handle, _ = await anyio.to_thread.run_sync(
            partial(self.materialize, batch, view, kind, want_handle=True))
        assert handle is not None
        return entry, handle


# --- serving ---------------------------------------------------------------------------------


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """[start, end) for a single `Range: bytes=` range, or None to send the whole file (no
    header, several ranges, or one we cannot read: RFC 9110 lets a server ignore those).
    Raises `Unsatisfiable` for a start at or past the end."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if not first.strip():
            suffix = int(last)
            if suffix <= 0 or size == 0:
                raise Unsatisfiable
            return max(0, size - suffix), size
        start = int(first)
        end = int(last) + 1 if last.strip() else None
    except ValueError:
        return None
    if start < 0 or (end is not None and end <= start):
        return None
    if start >= size:
        raise Unsatisfiable
    return start, size if end is None else min(end, size)


def file_response(handle: BinaryIO, size: int, rng: tuple[int, int] | None, media_type: str,
                  headers: Mapping[str, str]) -> StreamingResponse:
    """A 200 (whole file) or 206 (`rng`) response streaming from `handle`, which it closes."""
    start, end = rng or (0, size)
    h = {**headers, "accept-ranges": "bytes", "content-length": str(end - start)}
    if rng is not None:
        h["content-range"] = f"bytes {start}-{end - 1}/{size}"
    return StreamingResponse(_read(handle, start, end), status_code=206 if rng is not None else 200,
                             media_type=media_type, headers=h)


async def _read(handle: BinaryIO, start: int, end: int) -> AsyncIterator[bytes]:
    try:
        handle.seek(start)
        left = end - start
        while left > 0:
            block = await anyio.to_thread.run_sync(handle.read, min(BLOCK, left))
            if not block:
                break
            left -= len(block)
            yield block
    finally:
        handle.close()


def line_blocks(handle: BinaryIO) -> Iterator[bytes]:
    """The file in ~1 MiB blocks cut at line ends, closing `handle`: `break_after` counts whole
    lines per chunk, and with line-aligned chunks its cut is the same as over generator chunks."""
    try:
        carry = b""
        while block := handle.read(BLOCK):
            block = carry + block
            cut = block.rfind(b"\n") + 1
            carry = block[cut:]
            if cut:
                yield block[:cut]
        if carry:
            yield carry
    finally:
        handle.close()
