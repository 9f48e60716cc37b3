"""Resumable, streaming downloads of results files (provider-neutral).

A results file is written in parts (OpenAI: output file, then error file; Anthropic: one
results stream). Each part streams to `<dest>.partN` in blocks; when it is complete a marker
`<dest>.partN.ok` is written. A break midway keeps the partial part: the next attempt asks for
the rest with `Range: bytes=<size>-` and appends on `206 Partial Content`, or starts that part
over on a plain `200`. When every part is complete they are joined into `dest` atomically, so
the presence of `dest` means "whole file". Memory stays at one block whatever the file size.

A part's `.ok` marker records the part's size, so joining appends the later parts to the
first one (after truncating it to its recorded size: a join cut short by a crash is simply
redone) and renames it to `dest`, instead of copying every byte once more.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from adapters.base import DownloadReport
from adapters.errors import AdapterError, DownloadIncomplete
from adapters.result_lines import iter_lines_with_offsets

OpenStream = Callable[[dict[str, str]], AbstractAsyncContextManager[Any]]
"""headers -> async context manager yielding a response with status_code, headers, iter_bytes()."""

BLOCK = 1 << 20


def part_paths(dest: Path, count: int) -> list[Path]:
    """The part files a multi-source download writes before they are joined into `dest`."""
    return [dest.with_name(f"{dest.name}.part{i}") for i in range(count)]


def join_parts(parts: list[Path], dest: Path) -> int:
    """Concatenate completed part files into `dest` (atomically), ensuring a newline between.

    Returns the size of `dest`. Streams in 1 MiB blocks.
    """
    tmp = dest.with_name(dest.name + ".joining")
    total = 0
    with open(tmp, "wb") as out:
        for part in parts:
            last = b"\n"
            with open(part, "rb") as f:
                while block := f.read(1 << 20):
                    out.write(block)
                    total += len(block)
                    last = block[-1:]
            if last != b"\n":
                out.write(b"\n")
                total += 1
    os.replace(tmp, dest)
    for part in parts:
        part.unlink(missing_ok=True)
        part.with_name(part.name + ".ok").unlink(missing_ok=True)
    return total


def _is_transport_error(exc: BaseException) -> bool:
    name = type(exc).__name__
    module = type(exc).__module__ or ""
    return module.startswith(("httpx", "httpcore", "h11", "anyio", "ssl")) or name in (
        "RemoteProtocolError", "ReadError", "ReadTimeout", "ConnectError", "IncompleteRead",
        "ConnectionResetError", "BrokenPipeError", "StreamClosed",
    ) or isinstance(exc, (ConnectionError, TimeoutError, EOFError))


def _ok_path(part: Path) -> Path:
    return part.with_name(part.name + ".ok")


def _recorded_size(part: Path) -> int | None:
    """The size a part's `.ok` marker records (None for an empty marker of an older version)."""
    try:
        text = _ok_path(part).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


async def fetch_part(open_stream: OpenStream, part: Path, *,
                     wrap: Callable[[BaseException], AdapterError]) -> tuple[int, bool]:
    """Download one part (resuming). Returns (bytes fetched now, resumed?)."""
    ok = _ok_path(part)
    if ok.exists():
        if part.exists():
            return 0, False
        ok.unlink()  # a marker without its part (a crash mid-clean-up): fetch it again
    start = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={start}-"} if start else {}
    fetched = 0
    resumed = False
    try:
        async with open_stream(headers) as resp:
            status = resp.status_code
            if start and status == 206:
                if not str(resp.headers.get("content-range") or "").startswith(f"bytes {start}-"):
                    # Appending another range than the one asked for would corrupt the part.
                    part.unlink(missing_ok=True)
                    raise DownloadIncomplete("results download restarted (the server sent a range "
                                             "other than the one asked for)", retryable=True)
                resumed = True
                mode = "ab"
            else:
                start, mode = 0, "wb"
            expected = resp.headers.get("content-length")
            with open(part, mode) as f:
                async for chunk in resp.iter_bytes(BLOCK):
                    f.write(chunk)
                    fetched += len(chunk)
            if expected is not None and expected.isdigit() and fetched < int(expected):
                raise DownloadIncomplete(
                    f"results download stopped after {start + fetched} bytes; it resumes on the next sync",
                    retryable=True,
                )
    except BaseException as exc:  # noqa: BLE001 - classify, keep the partial file
        status = exc.status if isinstance(exc, AdapterError) else getattr(exc, "status_code", None)
        if start and status == 416:
            # The server has no bytes past our partial file: it is whole but was never marked
            # (killed between its last write and the marker), or not a prefix the server
            # recognises. Either way start this part over; the adapter's opener may already
            # have wrapped the 416, so it is recognised in both forms.
            part.unlink(missing_ok=True)
            raise DownloadIncomplete("results download restarted (range not satisfiable)", retryable=True) from None
        if isinstance(exc, AdapterError):
            raise  # already classified (ours or the adapter's): passed on as it is
        if _is_transport_error(exc):
            raise DownloadIncomplete(
                f"results download broke after {start + fetched} bytes ({type(exc).__name__}); "
                "it resumes on the next attempt",
                retryable=True,
            ) from None
        if isinstance(exc, Exception):
            raise wrap(exc) from None
        raise
    size = start + fetched
    tmp = ok.with_name(f"{ok.name}.{os.getpid()}.tmp")  # two engines may finish one part
    tmp.write_text(str(size))
    os.replace(tmp, ok)  # a marker is whole or absent
    return fetched, resumed


def _join(parts: list[Path], dest: Path) -> int:
    """Join completed parts into `dest` by appending parts 1.. to part 0 and renaming it.

    Part 0 is first truncated to its recorded size, so a join a crash cut short is redone
    from scratch. A newline goes after every part that does not end with one (as
    `join_parts` does). Falls back to `join_parts` (a full copy) for markers without sizes.
    """
    sizes = [_recorded_size(p) for p in parts]
    if any(size is None for size in sizes):
        return join_parts(parts, dest)
    first = parts[0]
    total = 0
    with open(first, "r+b") as out:
        for i, (part, size) in enumerate(zip(parts, sizes, strict=False)):
            if i == 0:
                out.truncate(size)
                out.seek(size)
                if size:
                    out.seek(size - 1)
                    last = out.read(1)
            else:
                last = b"\n"
                with open(part, "rb") as f:
                    remaining = size
                    while remaining > 0 and (block := f.read(min(BLOCK, remaining))):
                        out.write(block)
                        remaining -= len(block)
                        last = block[-1:]
            total += size
            if size and last != b"\n":
                out.write(b"\n")
                total += 1
    os.replace(first, dest)
    for part in parts:
        if part != first:
            part.unlink(missing_ok=True)
        _ok_path(part).unlink(missing_ok=True)
    return total


async def download(
    dest: Path, openers: list[OpenStream], *, wrap: Callable[[BaseException], AdapterError]
) -> DownloadReport:
    """Fetch every part (resuming broken ones) and join them into `dest`."""
    if dest.exists():
        return DownloadReport(dest, dest.stat().st_size, 0, False, len(openers))
    dest.parent.mkdir(parents=True, exist_ok=True)
    parts = part_paths(dest, len(openers))
    fetched_total = 0
    resumed_any = False
    for opener, part in zip(openers, parts, strict=False):
        fetched, resumed = await fetch_part(opener, part, wrap=wrap)
        fetched_total += fetched
        resumed_any = resumed_any or resumed
    try:
        size = _join(parts, dest)
    except FileNotFoundError:
        # Another process (a second engine on the same store) joined the same parts first.
        if not dest.exists():
            raise DownloadIncomplete("results download restarts (a part file vanished)",
                                     retryable=True) from None
        size = dest.stat().st_size
    return DownloadReport(dest, size, fetched_total, resumed_any, len(openers))



async def request_lines(
    opener: OpenStream, *, wrap: Callable[[BaseException], AdapterError]
) -> AsyncIterator[tuple[str, str]]:
    """(custom_id, request body as compact JSON) of each line of an OpenAI-style input file
    (`{"custom_id", "method", "url", "body"}` per line: OpenAI, Together, Mistral), in file
    order. The file streams to a private temporary file first, so memory stays flat; lines
    that are not such objects are skipped."""
    tmp = Path(tempfile.mkstemp(prefix="batchdeck-input-", suffix=".jsonl")[1])
    try:
        tmp.unlink()
        await download(tmp, [opener], wrap=wrap)
        dumps = json.dumps
        for _, line in iter_lines_with_offsets(tmp):
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if isinstance(data, dict) and "custom_id" in data:
                yield str(data["custom_id"]), dumps(data.get("body") or {}, separators=(",", ":"))
    finally:
        tmp.unlink(missing_ok=True)
