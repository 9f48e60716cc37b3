"""Reading a downloaded results file line by line, for every adapter: each line with its byte
offset (items point back into the file by offset), a JSON line parser, and a guard so that
one unreadable line never stops an ingest."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from store.model import ErrorClass, ItemResult, ItemStatus


def json_line_parser(parse_line: Callable[[Any], ItemResult]) -> Callable[[bytes], ItemResult | None]:
    """`parse_line` over a raw results line: None for a line that is not JSON (skipped)."""
    loads = json.loads

    def parse(line: bytes) -> ItemResult | None:
        try:
            data = loads(line)
        except ValueError:
            return None
        return parse_line(data)

    return parse


def iter_lines_with_offsets(path: Path, chunk: int = 1 << 20, *, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """(offset, line without newline) for each non-empty line from byte `start` (a line
    boundary, or the newline ending a line), reading in 1 MiB blocks."""
    offset = start
    with open(path, "rb", buffering=chunk) as f:
        f.seek(start)
        for line in f:
            n = len(line)
            stripped = line.rstrip(b"\r\n")
            if stripped.strip():
                yield offset, stripped
            offset += n


_CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*"((?:[^"\\]|\\.){1,512})"')


def tolerant(parse: Callable[[bytes], ItemResult | None]) -> Callable[[bytes], ItemResult | None]:
    """Wrap a line parser so a line with wrong types or shapes never stops an ingest.

    A provider can send anything; one unreadable line must not leave the other 49,999
    results un-ingested. When its custom_id can still be read, the item is recorded as
    errored (`malformed_result`, retryable: resubmitting is how to get a readable answer);
    otherwise the line is skipped and the item is later settled as `missing_result`.
    """

    def parse_or_flag(line: bytes) -> ItemResult | None:
        try:
            return parse(line)
        except (AttributeError, TypeError, KeyError, IndexError, ValueError, ArithmeticError,
                RecursionError) as exc:
            found = _CUSTOM_ID.search(line)
            if found is None:
                return None
            try:
                custom_id = json.loads(b'"' + found.group(1) + b'"')
            except ValueError:
                return None
            return ItemResult(
                custom_id,
                ItemStatus.ERRORED,
                error_type="malformed_result",
                error_message=f"the provider's result line could not be read ({type(exc).__name__})",
                error_class=ErrorClass.RETRYABLE,
            )

    return parse_or_flag
