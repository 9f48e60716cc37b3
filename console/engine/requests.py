"""Reading a JSONL file of requests: validate every line, then plan how it splits into batches.

Two passes keep memory flat: `scan()` validates and keeps per line only its offset, custom_id,
model and wire size; `load()` re-reads just the lines of one planned batch when it is sent.
Every bad line is reported by number (bad JSON, missing or duplicate custom_id, a body the
endpoint does not accept, over the per-line size), never only the first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.engine.types import BadInput, InvalidFile, LineProblem, SplitPlan

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from adapters.base import BatchAdapter, Capabilities

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


@dataclass(slots=True)
class ScannedFile:
    path: Path
    lines: list[LineInfo] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    total_lines: int = 0

    @property
    def endpoint(self) -> str | None:
        return self.lines[0].endpoint if self.lines else None


def _source_of(obj: dict[str, Any]) -> tuple[str, str | None, Any] | None:
    if "params" in obj and "body" not in obj:
        return "anthropic", None, obj["params"]
    if "body" in obj:
        url = obj.get("url")
        if "url" in obj or "method" in obj:
            if obj.get("method", "POST") != "POST":
                return None
            return "openai", url if isinstance(url, str) else None, obj["body"]
        return "body", None, obj["body"]
    return None


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

    for key in ("messages", "system", "input", "prompt", "instructions"):
        if key in body:
            walk(body[key])
    return total


def max_output_tokens(body: Any) -> int | None:
    if not isinstance(body, dict):
        return None
    for key in ("max_completion_tokens", "max_output_tokens", "max_tokens"):
        value = body.get(key)
        if isinstance(value, int):
            return value
    return None


def adapt(
    adapter_cls: type[BatchAdapter], obj: Any, *, model: str | None, endpoint: str | None
) -> tuple[str, str, dict[str, Any]]:
    """(custom_id, endpoint, body) of one parsed line; ValueError with the reason if bad."""
    from adapters.mapping import MappingError

    if not isinstance(obj, dict):
        raise ValueError("line is not a JSON object")
    custom_id = obj.get("custom_id")
    if custom_id is None or custom_id == "":
        raise ValueError("missing custom_id")
    if not isinstance(custom_id, str):
        raise ValueError("custom_id must be a string")
    source = _source_of(obj)
    if source is None:
        raise ValueError("line has neither body nor params (or a method other than POST)")
    kind, url, payload = source
    try:
        ep, body = adapter_cls.adapt_line(kind, url or endpoint, payload)
    except MappingError as exc:
        raise ValueError(str(exc)) from None
    translated = body is not payload
    if translated and model and isinstance(body, dict):
        # A request mapped from another provider's format usually names that provider's
        # model: --model says which model of this provider runs it.
        body = {**body, "model": model}
    elif model and isinstance(body, dict) and not body.get("model"):
        body = {**body, "model": model}
    return custom_id, ep, body


def scan(
    path: Path, adapter_cls: type[BatchAdapter], *, model: str | None = None, endpoint: str | None = None
) -> ScannedFile:
    """Validate every line; raise InvalidFile listing all bad lines, BadInput if unreadable."""
    caps = adapter_cls.capabilities
    out = ScannedFile(path=path)
    seen: dict[str, int] = {}
    loads, dumps = json.loads, json.dumps
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    with f:
        offset = 0
        for line_no, raw in enumerate(f, start=1):
            length = len(raw)
            line = raw.strip()
            here = offset
            offset += length
            out.total_lines = line_no
            if not line:
                continue
            problems = out.problems

            def bad(msg: str, cid: str | None = None, problems: list[LineProblem] = problems,
                    line_no: int = line_no) -> None:
                problems.append(LineProblem(line=line_no, message=msg, custom_id=cid))

            if len(line) > caps.max_line_bytes:
                bad(f"line is {len(line):,} bytes, over the {caps.max_line_bytes:,}-byte limit per request")
                continue
            try:
                obj = loads(line)
            except RecursionError:
                bad("bad JSON (nested too deeply)")
                continue
            except ValueError as exc:
                bad(f"bad JSON ({exc.msg if hasattr(exc, 'msg') else exc})")
                continue
            try:
                try:
                    custom_id, ep, body = adapt(adapter_cls, obj, model=model, endpoint=endpoint)
                except ValueError as exc:
                    cid = obj.get("custom_id") if isinstance(obj, dict) else None
                    cid = cid if isinstance(cid, str) else None
                    bad(str(exc), cid)
                    continue
                why = adapter_cls.validate_custom_id(custom_id)
                if why:
                    bad(why, custom_id)
                    continue
                if custom_id in seen:
                    bad(f"duplicate custom_id {custom_id!r} (first on line {seen[custom_id]})", custom_id)
                    continue
                seen[custom_id] = line_no
                why = adapter_cls.validate_body(body, ep)
                if why:
                    bad(f"{why}", custom_id)
                    continue
                body_model = body.get("model") if isinstance(body.get("model"), str) else None
                if model and body_model and body_model != model and not caps.mixed_models:
                    bad(f"model {body_model!r} differs from --model {model!r}", custom_id)
                    continue
                encoded = dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
                size = len(encoded) + len(custom_id) + _WIRE_OVERHEAD
                if size > caps.max_line_bytes:
                    bad(f"request is {size:,} bytes, over the {caps.max_line_bytes:,}-byte limit per request",
                        custom_id)
                    continue
                out.lines.append(LineInfo(line_no, here, length, custom_id, ep, body_model, size,
                                          prompt_chars(body), max_output_tokens(body)))
            except RecursionError:
                # Loadable JSON, but too deep to map, validate or encode.
                cid = obj.get("custom_id") if isinstance(obj, dict) else None
                cid = cid if isinstance(cid, str) else None
                bad("request is nested too deeply", cid)
                continue
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
    """Split lines into batches within the provider's request and byte limits.

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
        size = 0
        for li in group:
            if current and (len(current) >= caps.max_requests or size + li.size > caps.max_bytes):
                chunks.append(current)
                current, size = [], 0
            current.append(li)
            size += li.size
        if current:
            chunks.append(current)
    return chunks


def split_plans(chunks: list[list[LineInfo]]) -> list[SplitPlan]:
    return [
        SplitPlan(index=i, requests=len(c), bytes=sum(li.size for li in c),
                  first_line=c[0].line_no, last_line=c[-1].line_no)
        for i, c in enumerate(chunks)
    ]


def load(path: Path, chunk: list[LineInfo], adapter_cls: type[BatchAdapter], *, model: str | None,
         endpoint: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(custom_id, body) for the lines of one planned batch, re-read by offset."""
    loads = json.loads
    with open(path, "rb") as f:
        for li in chunk:
            f.seek(li.offset)
            try:
                obj = loads(f.read(li.length))
                custom_id, _, body = adapt(adapter_cls, obj, model=model, endpoint=endpoint)
            except (ValueError, RecursionError) as exc:
                # scan() accepted this line: the file changed since (or is nested too deeply).
                what = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
                raise BadInput(f"{path} line {li.line_no}: {what} (did the file change while "
                               "it was being submitted?)") from None
            yield custom_id, body


def bodies_by_custom_id(path: Path, adapter_cls: type[BatchAdapter], wanted: set[str]) -> dict[str, str]:
    """Request bodies (JSON text) from an operator's --input FILE, for the wanted custom_ids.

    Lines that fail to parse are skipped here (the file was validated when first submitted,
    or is a partial copy); only the wanted ids are kept in memory.
    """
    found: dict[str, str] = {}
    dumps = json.dumps
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    with f:
        for raw in f:
            raw = raw.strip()
            if not raw:
                continue
            try:
                obj = json.loads(raw)
                custom_id, _, body = adapt(adapter_cls, obj, model=None, endpoint=None)
                if custom_id in wanted:
                    found[custom_id] = dumps(body, separators=(",", ":"), ensure_ascii=False)
            except (ValueError, RecursionError):  # RecursionError: nested too deeply
                continue
    return found
