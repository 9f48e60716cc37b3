"""Reading a downloaded results file line by line, for every adapter: each line with its byte
offset (items point back into the file by offset), and a guard (`decode_lines`, `read_results`)
so that one unreadable line never stops an ingest."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Protocol

import msgspec

from store.model import ErrorClass, ItemResult, ItemStatus


def iter_lines_with_offsets(path: Path, chunk: int = 1 << 20, *, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """(offset, line without newline) for each non-empty line from byte `start` (a line
    boundary, or the newline ending a line), reading in 1 MiB blocks."""
    offset = start
    with open(path, "rb", buffering=chunk) as f:
        f.seek(start)
        for line in f:
            n = len(line)
            stripped = line.rstrip(b"\r\n")
            # Only a line that starts with blank space needs the (copying) strip test.
            if stripped and (stripped[0] not in b" \t" or stripped.strip()):
                yield offset, stripped
            offset += n


def malformed(custom_id: str, why: str) -> ItemResult:
    """The result of a line that could not be read: errored, retryable (resubmitting is how
    to get a readable answer)."""
    return ItemResult(custom_id, ItemStatus.ERRORED, error_type="malformed_result",
                      error_message=f"the provider's result line could not be read ({why})",
                      error_class=ErrorClass.RETRYABLE)


IdReader = Callable[[bytes], "str | None"]


@cache
def id_reader(field: str = "custom_id") -> IdReader:
    """Reads a line's item id (`field`: `custom_id` for most providers, each names its own)
    when it can still be read: the line parses as JSON, or the id's string does."""
    decoder = msgspec.json.Decoder(msgspec.defstruct("ItemId", [(field, str | int)]))
    pattern = re.compile(b'"' + re.escape(field.encode()) + rb'"\s*:\s*"((?:[^"\\]|\\.){1,512})"')

    def read(line: bytes) -> str | None:
        try:
            return str(getattr(decoder.decode(line), field))
        except (msgspec.DecodeError, RecursionError):
            pass
        found = pattern.search(line)
        if found is None:
            return None
        try:
            text = json.loads(b'"' + found.group(1) + b'"')
        except ValueError:
            return None
        return text if isinstance(text, str) else None

    return read


def decode_lines(decode: Callable[[bytes], ItemResult | None],
                 id_field: str = "custom_id") -> Callable[[bytes], ItemResult | None]:
    """A typed line decoder made total: a line with wrong types, an overflowing number
    (`1e999` tokens) or damaged JSON becomes `malformed_result` when its id can still be
    read, and is skipped (settled later as `missing_result`) when it cannot."""
    id_of = id_reader(id_field)

    def parse(line: bytes) -> ItemResult | None:
        try:
            return decode(line)
        except msgspec.ValidationError as exc:
            why = f"wrong types: {exc}"
        except (msgspec.DecodeError, RecursionError, ValueError, OverflowError) as exc:
            why = f"not JSON: {exc}" if isinstance(exc, msgspec.DecodeError) else type(exc).__name__
        item_id = id_of(line)
        return None if item_id is None else malformed(item_id, why[:200])

    return parse


_PARSER_ERRORS = (AttributeError, TypeError, KeyError, IndexError, ValueError, ArithmeticError, RecursionError)
"""What a line parser may raise on a line of unexpected shape. A provider can send anything;
one unreadable line must not leave the other 49,999 results un-ingested: when its id can still
be read, the item is recorded as errored (`malformed_result`, retryable: resubmitting is how to
get a readable answer); otherwise the line is skipped and the item is later settled as
`missing_result`."""


class _HasLineParser(Protocol):
    def line_parser(self) -> Callable[[bytes], ItemResult | None]: ...


def read_results(spec: _HasLineParser, path: Path, start: int = 0) -> Iterator[ItemResult]:
    """Normalized results from a downloaded file, each with its line's byte offset/length.
    `start`: the byte offset to begin at (a line boundary: where an interrupted ingest's
    committed lines end), so a resumed ingest reads only what it has not stored yet.

    Streams line by line with the provider's decoder (`spec.line_parser()`); a line that
    cannot be read is flagged or skipped, never fatal (`_PARSER_ERRORS`). The line loop
    (`iter_lines_with_offsets`) and that guard are written out here rather than stacked as a
    generator and a wrapper: this loop runs once per result line, and each layer costs ~0.1 us
    of a line's ~7 us ingest (measured, tests/providers/bench_results.py)."""
    parse = spec.line_parser()
    id_of = id_reader(getattr(spec, "id_field", "custom_id"))
    offset = start
    with open(path, "rb", buffering=1 << 20) as f:
        f.seek(start)
        for line in f:
            n = len(line)
            stripped = line.rstrip(b"\r\n")
            # Only a line that starts with blank space needs the (copying) strip test.
            if stripped and (stripped[0] not in b" \t" or stripped.strip()):
                try:
                    result = parse(stripped)
                except _PARSER_ERRORS as exc:
                    item_id = id_of(stripped)
                    result = None if item_id is None else malformed(item_id, type(exc).__name__)
                if result is not None:
                    result.offset = offset
                    result.length = len(stripped)
                    yield result
            offset += n
