"""Reading a JSONL file of requests: validate every line, then plan how it splits into batches.

Two passes keep memory flat: `scan()` validates and keeps per line only its offset, custom_id,
model and wire size; `load()` re-reads just the lines of one planned batch when it is sent.
Every bad line is reported by number (bad JSON, missing or duplicate custom_id, a body the
endpoint does not accept, over the per-line size), never only the first.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from console.engine.types import BadInput, InvalidFile, LineProblem, SplitPlan

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from adapters.base import Capabilities
    from adapters.registry import ProviderSpec

_WIRE_OVERHEAD = 64
"""Bytes a line costs on the wire beyond body + custom_id (keys, url, punctuation)."""


@dataclass(slots=True)
class LineInfo:
    """What `scan` keeps of one good line."""

    line_no: int
    offset: int
    length: int
    custom_id: str
    endpoint: str
    model: str | None
    size: int
    """Serialized size on the wire (body + envelope)."""
    input_chars: int = 0
    max_output: int | None = None
    embedding_inputs: int = 0
    """Inputs this line embeds (each element of an array `input` counts as one)."""
    ceiling: tuple[int, int] | None = None
    """(input, output) tokens this request can bill at most (console.engine.ceiling); None:
    no bound, and `no_ceiling` says why (no output limit, media, provider-run tools)."""
    no_ceiling: str | None = None


@dataclass(slots=True)
class ScannedFile:
    path: Path
    lines: list[LineInfo] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    total_lines: int = 0
    copy: Path | None = None
    """A private copy of the validated bytes (see `scan(copy_into=...)`), read by `load()`."""

    @property
    def source(self) -> Path:
        """The file `load()` reads: the private copy when there is one."""
        return self.copy or self.path

    def discard(self) -> None:
        """Delete the private copy (if any)."""
        if self.copy is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.copy)
            self.copy = None

    @property
    def endpoint(self) -> str | None:
        return self.lines[0].endpoint if self.lines else None


def prompt_chars(body: Any) -> int:
    """Characters of prompt text in a body (messages, system, input, prompt): the token basis."""
    if not isinstance(body, dict):
        return 0
    total = 0

    def walk(value: Any) -> None:
        nonlocal total
        if isinstance(value, str):
            total += len(value)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for k, v in value.items():
                if k in ("text", "content", "input", "prompt", "system", "input_text"):
                    walk(v)
                elif isinstance(v, (list, dict)):
                    walk(v)

    # `contents` / `systemInstruction`: the GenerateContentRequest shape.
    for key in ("messages", "system", "input", "prompt", "instructions", "contents", "systemInstruction"):
        if key in body:
            walk(body[key])
    return total


def embedding_inputs(body: Any) -> int:
    """How many inputs an embeddings body embeds: the length of an array `input`, else 1.
    (That each array element counts is the reference's reading, §2.1; UNCONFIRMED.)"""
    if not isinstance(body, dict) or "input" not in body:
        return 0
    value = body["input"]
    if isinstance(value, list) and value and not all(isinstance(v, int) for v in value):
        return len(value)  # a list of strings (or of token arrays); a flat int list is one input
    return 1


def max_output_tokens(body: Any) -> int | None:
    if not isinstance(body, dict):
        return None
    for key in ("max_completion_tokens", "max_output_tokens", "max_tokens"):
        value = body.get(key)
        if isinstance(value, int):
            return value
    config = body.get("generationConfig")  # the GenerateContentRequest shape
    if isinstance(config, dict) and isinstance(config.get("maxOutputTokens"), int):
        return int(config["maxOutputTokens"])
    return None


def adapt(
    spec: ProviderSpec, obj: Any, *, model: str | None, endpoint: str | None
) -> tuple[str, str, dict[str, Any]]:
    """(custom_id, endpoint, body) of one parsed line; ValueError with the reason if bad."""

    if not isinstance(obj, dict):
        raise ValueError("line is not a JSON object")
    custom_id = obj.get("custom_id")
    if custom_id is None or custom_id == "":
        raise ValueError("missing custom_id")
    if not isinstance(custom_id, str):
        raise ValueError("custom_id must be a string")
    # MappingError is a ValueError: its one sentence becomes the line's problem.
    ep, body, translated = spec.adapt_request(obj, endpoint)
    if translated and model and isinstance(body, dict):
        # A request mapped from another provider's format usually names that provider's
        # model: --model says which model of this provider runs it.
        body = {**body, "model": model}
    elif model and isinstance(body, dict) and not body.get("model"):
        body = {**body, "model": model}
    return custom_id, ep, body


MAX_TOKENS_LIMIT = 10_000_000
"""No model batchdeck knows answers with more output tokens than this; a larger `max_tokens`
is a typo (or `1e30`) that would make every estimate and ceiling absurd. UNCONFIRMED as a
provider rule: providers cap lower per model and say so themselves at submit time."""

_TOKEN_LIMIT_KEYS = ("max_tokens", "max_completion_tokens", "max_output_tokens")

INPUT_LINE_LIMIT = 10_000_002
"""Bytes of one line of an --input FILE read into memory (a longer line is skipped)."""

_SKIP_CHUNK = 1 << 20
"""Bytes read at a time while skipping the rest of a line already over the limit."""


def _finite(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text} is out of range")
    return value


def _no_constant(text: str) -> Any:
    # json.loads accepts NaN, Infinity and -Infinity, which no provider's JSON parser does.
    raise ValueError(f"{text} is not valid JSON (not a number a provider accepts)")


def parse_line(line: bytes) -> Any:
    """One request line as JSON, strictly: NaN, Infinity and numbers that overflow to infinity
    (1e400) are refused here, where Python's json would accept them and send them on."""
    return json.loads(line, parse_constant=_no_constant, parse_float=_finite)


def body_problem(body: dict[str, Any], custom_id: str) -> str | None:
    """What no provider accepts in a request, whatever its endpoint: a model that is not text,
    a token limit that is not a whole number from 1 to MAX_TOKENS_LIMIT, text that cannot be
    encoded as UTF-8 (a lone surrogate such as \\udc00)."""
    if "model" in body and not isinstance(body["model"], str):
        return f"model must be a string, not {json.dumps(body['model'])[:40]}"
    for key in _TOKEN_LIMIT_KEYS:
        if key not in body:
            continue
        value = body[key]
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{key} must be a whole number, not {json.dumps(value)[:40]}"
        if not 1 <= value <= MAX_TOKENS_LIMIT:
            return f"{key} {value} is out of range (1 to {MAX_TOKENS_LIMIT:,})"
    try:
        custom_id.encode()
    except UnicodeEncodeError:
        return "custom_id holds a lone surrogate (not valid UTF-8 text)"
    return None


def open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading, if it is a regular file. A fifo, a device such as /dev/zero or
    a directory is refused at once (a fifo is opened without blocking, so it cannot hang us)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise BadInput(f"{path} is not a regular file (a directory, fifo or device); give a JSONL file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def bounded_lines(f: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(raw length, line) for each line of `f`, reading at most `limit + 1` bytes of one line
    into memory: a longer line is skipped in bounded chunks and given as (length, None)."""
    while True:
        raw = f.readline(limit + 1)
        if not raw:
            return
        if len(raw) <= limit or raw.endswith(b"\n"):
            yield len(raw), raw
            continue
        length = len(raw)
        while not raw.endswith(b"\n"):
            raw = f.readline(_SKIP_CHUNK)
            if not raw:
                break
            length += len(raw)
        yield length, None


def scan(path: Path, spec: ProviderSpec, *, model: str | None = None, endpoint: str | None = None,
         copy_into: Path | None = None) -> ScannedFile:
    """Validate every line; raise InvalidFile listing all bad lines, BadInput if unreadable.

    `copy_into` (a directory): keep a private copy (0600) of exactly the bytes validated, as
    `ScannedFile.copy`; `load()` then reads the copy, so a file edited or truncated while it is
    being submitted cannot change what is sent (the caller deletes the copy: `discard()`)."""
    caps = spec.capabilities
    out = ScannedFile(path=path)
    seen: dict[str, int] = {}
    dumps = json.dumps
    f = open_regular(path)
    copy: BinaryIO | None = None
    if copy_into is not None:
        fd, name = tempfile.mkstemp(prefix=".submit-", suffix=".jsonl", dir=copy_into)
        copy, out.copy = os.fdopen(fd, "wb"), Path(name)
    try:
        with f:
            _scan_lines(f, copy, out, seen, spec, caps, model, endpoint, dumps)
        if copy is not None:
            copy.close()
    except BaseException:
        out.discard()
        raise
    try:
        return _finish(out)
    except BaseException:
        out.discard()
        raise


def _scan_lines(f: BinaryIO, copy: BinaryIO | None, out: ScannedFile, seen: dict[str, int],
                spec: ProviderSpec, caps: Any, model: str | None, endpoint: str | None, dumps: Any) -> None:
    # Here, not at the top: the ceiling rule reads requests' output limits from this module.
    from console.engine.ceiling import token_ceiling

    offset = 0
    for line_no, (length, raw) in enumerate(bounded_lines(f, caps.max_line_bytes + 2), start=1):
        here = offset
        offset += length
        out.total_lines = line_no
        problems = out.problems
        if copy is not None and not problems:
            # Only a file with no bad line is ever sent: once one is found, stop copying.
            copy.write(raw if raw is not None else b"\n")

        def bad(msg: str, cid: str | None = None, problems: list[LineProblem] = problems,
                line_no: int = line_no) -> None:
            problems.append(LineProblem(line=line_no, message=msg, custom_id=cid))

        if raw is None:
            bad(f"line is {length:,} bytes, over the {caps.max_line_bytes:,}-byte limit per request")
            continue
        line = raw.strip()
        if not line:
            continue
        if len(line) > caps.max_line_bytes:
            bad(f"line is {len(line):,} bytes, over the {caps.max_line_bytes:,}-byte limit per request")
            continue
        try:
            obj = parse_line(line)
        except RecursionError:
            bad("bad JSON (nested too deeply)")
            continue
        except ValueError as exc:
            bad(f"bad JSON ({exc.msg if hasattr(exc, 'msg') else exc})")
            continue
        try:
            try:
                custom_id, ep, body = adapt(spec, obj, model=model, endpoint=endpoint)
            except ValueError as exc:
                cid = obj.get("custom_id") if isinstance(obj, dict) and isinstance(obj.get("custom_id"), str) else None
                bad(str(exc), cid)
                continue
            why = spec.validate_custom_id(custom_id)
            if why:
                bad(why, custom_id)
                continue
            if custom_id in seen:
                bad(f"duplicate custom_id {custom_id!r} (first on line {seen[custom_id]})", custom_id)
                continue
            seen[custom_id] = line_no
            why = spec.validate_body(body, ep) or body_problem(body, custom_id)
            if why:
                bad(f"{why}", custom_id)
                continue
            body_model = body.get("model") if isinstance(body.get("model"), str) else None
            if model and body_model and body_model != model and not caps.mixed_models:
                bad(f"model {body_model!r} differs from --model {model!r}", custom_id)
                continue
            try:
                wire = dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            except UnicodeEncodeError:
                bad("request holds a lone surrogate (such as \\udc00), which is not valid UTF-8 text", custom_id)
                continue
            size = len(wire) + len(custom_id) + _WIRE_OVERHEAD
            if size > caps.max_line_bytes:
                bad(f"request is {size:,} bytes, over the {caps.max_line_bytes:,}-byte limit per request", custom_id)
                continue
            embeds = embedding_inputs(body) if caps.max_embedding_inputs and ep.endswith("/embeddings") else 0
            bound, no_bound = token_ceiling(body, embeddings=ep.endswith("/embeddings"), json_bytes=len(wire))
            out.lines.append(LineInfo(line_no, here, length, custom_id, ep, body_model, size,
                                      prompt_chars(body), max_output_tokens(body), embeds, bound, no_bound))
        except RecursionError:
            # Loadable JSON, but too deep to map, validate or encode.
            cid = obj.get("custom_id") if isinstance(obj, dict) and isinstance(obj.get("custom_id"), str) else None
            bad("request is nested too deeply", cid)
            continue


def _finish(out: ScannedFile) -> ScannedFile:
    path = out.path
    if out.lines:
        endpoints = {li.endpoint for li in out.lines}
        if len(endpoints) > 1:
            first = out.lines[0].endpoint
            for li in out.lines:
                if li.endpoint != first:
                    out.problems.append(LineProblem(li.line_no, f"endpoint {li.endpoint} differs from "
                                                    f"{first} on line {out.lines[0].line_no} (one endpoint per file)",
                                                    li.custom_id))
            out.problems.sort(key=lambda p: p.line)
    if out.problems:
        raise InvalidFile(str(path), out.problems, out.total_lines)
    if not out.lines:
        raise BadInput(f"{path} has no requests")
    return out


def plan(lines: list[LineInfo], caps: Capabilities) -> list[list[LineInfo]]:
    """Split lines into batches within the provider's request, byte and embedding-input limits.

    Providers that take one model per batch get one group per model (in first-seen order);
    within a group, lines keep file order.
    """
    groups: dict[str | None, list[LineInfo]] = {}
    for li in lines:
        key = None if caps.mixed_models else li.model
        groups.setdefault(key, []).append(li)
    chunks: list[list[LineInfo]] = []
    for group in groups.values():
        current: list[LineInfo] = []
        size = inputs = 0
        cap = caps.max_embedding_inputs
        for li in group:
            if current and (len(current) >= caps.max_requests or size + li.size > caps.max_bytes
                            or (cap and li.embedding_inputs and inputs + li.embedding_inputs > cap)):
                chunks.append(current)
                current, size, inputs = [], 0, 0
            current.append(li)
            size += li.size
            inputs += li.embedding_inputs
        if current:
            chunks.append(current)
    return chunks


def split_plans(chunks: list[list[LineInfo]]) -> list[SplitPlan]:
    return [
        SplitPlan(index=i, requests=len(c), bytes=sum(li.size for li in c),
                  first_line=c[0].line_no, last_line=c[-1].line_no)
        for i, c in enumerate(chunks)
    ]


def load(path: Path, chunk: list[LineInfo], spec: ProviderSpec, *, model: str | None,
         endpoint: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(custom_id, body) for the lines of one planned batch, re-read by offset."""
    with open(path, "rb") as f:
        for li in chunk:
            f.seek(li.offset)
            try:
                obj = parse_line(f.read(li.length))
                custom_id, _, body = adapt(spec, obj, model=model, endpoint=endpoint)
            except (ValueError, RecursionError) as exc:
                # scan() accepted this line: the file changed since (or is nested too deeply).
                what = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
                raise BadInput(f"{path} line {li.line_no}: {what} (did the file change while "
                               "it was being submitted?)") from None
            yield custom_id, body


def bodies_by_custom_id(path: Path, spec: ProviderSpec, wanted: set[str]) -> dict[str, str]:
    """Request bodies (JSON text) from an operator's --input FILE, for the wanted custom_ids.

    Lines that fail to parse are skipped here (the file was validated when first submitted,
    or is a partial copy); only the wanted ids are kept in memory.
    """
    found: dict[str, str] = {}
    dumps = json.dumps
    with open_regular(path) as f:
        for _, raw in bounded_lines(f, INPUT_LINE_LIMIT):
            raw = raw.strip() if raw is not None else b""
            if not raw:
                continue
            try:
                obj = parse_line(raw)
                custom_id, _, body = adapt(spec, obj, model=None, endpoint=None)
                if custom_id in wanted:
                    found[custom_id] = dumps(body, separators=(",", ":"), ensure_ascii=False)
            except (ValueError, RecursionError):  # RecursionError: nested too deeply
                continue
    return found
