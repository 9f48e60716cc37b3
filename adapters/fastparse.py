"""A fast, exact parser for results lines: learn each line *shape* once, then match it.

`json.loads` of a ~1 KB results line costs far more than the few fields ingest needs
(custom_id, status, usage, model): the bulk of a line is the model's text and a dozen keys
nobody reads. Lines of one results file share a handful of shapes, so:

* The first line of a new shape goes through the adapter's full parser (`json.loads` +
  `parse_line`: the reference semantics). If it is valid JSON, a *template* is learned from
  it: a regular expression that matches exactly the lines with the same structure (the same
  object keys, byte for byte, in the same order and nesting; the same kind of scalar at each
  place; any whitespace between tokens) and captures the few values ingest reads. Strings and
  numbers are matched by the strict JSON grammar, so a line a template matches in full *is*
  valid JSON with that structure, whatever its values.
* Later lines are matched against the known templates (most recently used first). A match
  yields the result from the captured values, computed by the same functions the full
  parser uses (`usage` is decoded by `json.loads` of just that small object, memoized by its
  bytes: usage objects repeat). Anything the template cannot vouch for falls back to the full
  parser for that line: a non-2xx status, a non-`succeeded` Anthropic result, escapes in a
  custom_id, bytes that are not UTF-8, a shape whose relevant fields have unexpected types,
  duplicate keys anywhere in the line (json keeps the last one), nesting deeper than
  `MAX_DEPTH`, lines longer than `MAX_TEMPLATE_LINE`.

So for every line the answer is the full parser's answer (tests/engine/test_ingest.py
compares the two on hostile and odd shapes); the full parser is merely not run for lines
whose shape has been proven. A file whose lines keep changing shape stops learning after
`MAX_LEARN_ATTEMPTS` lines and, when most lines miss, stops trying (cost stays bounded).

Standard library only; imports nothing from the adapters (they pass their functions in).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from store.model import ItemResult, ItemStatus, Usage

MAX_TEMPLATES = 16
MAX_LEARN_ATTEMPTS = 64
MAX_TEMPLATE_LINE = 64 * 1024
MAX_DEPTH = 32
_USAGE_MEMO = 1 << 13

_WS = rb"[ \t\n\r]*+"
_STR = rb'"[^"\\\x00-\x1f]*+(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*+)*+"'
_NUM = rb"-?(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?+(?:[eE][+-]?[0-9]++)?+"
_SCALAR = rb"(?:" + _STR + rb"|" + _NUM + rb"|true|false|null)"
_TOKEN = re.compile(
    rb"([ \t\n\r]*+)(?:(" + _STR + rb")|(" + _NUM + rb")|(true|false|null)|([{}\[\]:,]))"
)
_WS_ONLY = re.compile(_WS)


# ---- learning: one line -> a tree of tokens ------------------------------------------------
class _Shape(Exception):
    """The line cannot become a template (not valid JSON as we tokenize it, too deep, ...)."""


@dataclass(slots=True)
class _Node:
    kind: str                  # "obj", "arr", "str", "num", "lit"
    raw: bytes = b""           # scalar token bytes
    members: list | None = None  # obj: [(raw key, key, node)], arr: [node]


def _tokens(line: bytes) -> tuple[list[tuple[int, bytes]], bool]:
    """(kind, raw) tokens: 1 str, 2 num, 3 literal, 4 punctuation; and whether any whitespace."""
    out: list[tuple[int, bytes]] = []
    pos, end, spaced = 0, len(line), False
    match = _TOKEN.match
    while True:
        m = match(line, pos)
        if m is None:
            if _WS_ONLY.fullmatch(line, pos) is None:
                raise _Shape("not a sequence of JSON tokens")
            if pos != end:
                spaced = True
            return out, spaced
        if m.group(1):
            spaced = True
        k = m.lastindex
        out.append((k - 1, m.group(k)))
        pos = m.end()


def _tree(tokens: list[tuple[int, bytes]]) -> _Node:
    pos = 0

    def value(depth: int) -> _Node:
        nonlocal pos
        if depth > MAX_DEPTH or pos >= len(tokens):
            raise _Shape("too deep or truncated")
        kind, raw = tokens[pos]
        pos += 1
        if kind == 1:
            return _Node("str", raw)
        if kind == 2:
            return _Node("num", raw)
        if kind == 3:
            return _Node("lit", raw)
        if raw == b"{":
            members: list = []
            seen: set[str] = set()
            if tokens[pos:pos + 1] == [(4, b"}")]:
                pos += 1
                return _Node("obj", members=members)
            while True:
                if pos + 1 >= len(tokens) or tokens[pos][0] != 1 or tokens[pos + 1] != (4, b":"):
                    raise _Shape("bad object member")
                raw_key = tokens[pos][1]
                key = json.loads(raw_key)
                if key in seen:
                    raise _Shape("duplicate key")  # json keeps the last one: not our business
                seen.add(key)
                pos += 2
                members.append((raw_key, key, value(depth + 1)))
                if pos >= len(tokens):
                    raise _Shape("truncated")
                sep = tokens[pos]
                pos += 1
                if sep == (4, b"}"):
                    return _Node("obj", members=members)
                if sep != (4, b","):
                    raise _Shape("bad separator")
        if raw == b"[":
            items: list = []
            if tokens[pos:pos + 1] == [(4, b"]")]:
                pos += 1
                return _Node("arr", members=items)
            while True:
                items.append(value(depth + 1))
                if pos >= len(tokens):
                    raise _Shape("truncated")
                sep = tokens[pos]
                pos += 1
                if sep == (4, b"]"):
                    return _Node("arr", members=items)
                if sep != (4, b","):
                    raise _Shape("bad separator")
        raise _Shape("unexpected punctuation")

    root = value(0)
    if pos != len(tokens):
        raise _Shape("extra data")
    return root


# ---- learning: a tree -> a regular expression ----------------------------------------------
_SCALAR_PATTERN = {"str": _STR, "num": _NUM}


def _compile(
    root: _Node, spaced: bool, capture: dict[tuple[str, ...], str]
) -> tuple[re.Pattern[bytes], dict[str, int]]:
    """A pattern matching every line shaped like `root`; `capture` maps paths (object keys
    from the root) to group names. Arrays holding only scalars match any length."""
    ws = _WS if spaced else b""
    parts: list[bytes] = []
    groups: dict[str, int] = {}

    def emit(node: _Node, path: tuple[str, ...] | None) -> None:
        name = capture.get(path) if path is not None else None
        if name is not None:
            groups[name] = len(groups) + 1
            parts.append(b"(")
        if node.kind in _SCALAR_PATTERN:
            parts.append(_SCALAR_PATTERN[node.kind])
        elif node.kind == "lit":
            parts.append(node.raw)
        elif node.kind == "obj":
            parts.append(rb"\{")
            for i, (raw_key, key, child) in enumerate(node.members or ()):
                if i:
                    parts.append(ws + b",")
                parts.append(ws + re.escape(raw_key) + ws + b":" + ws)
                emit(child, path + (key,) if path is not None else None)
            parts.append(ws + rb"\}")
        else:  # array: no path of interest runs through one
            members = node.members or []
            if members and all(m.kind not in ("obj", "arr") for m in members):
                parts.append(rb"\[" + ws + _SCALAR + rb"(?:" + ws + b"," + ws + _SCALAR + rb")*+" + ws + rb"\]")
            else:
                parts.append(rb"\[")
                for i, child in enumerate(members):
                    parts.append(ws + (b"," + ws if i else b""))
                    emit(child, None)
                parts.append(ws + rb"\]")
        if name is not None:
            parts.append(b")")

    emit(root, ())
    return re.compile(ws + b"".join(parts) + ws), groups


# ---- per-provider shapes ---------------------------------------------------------------------
def _get(node: _Node | None, *keys: str) -> _Node | None:
    for key in keys:
        if node is None or node.kind != "obj":
            return None
        node = next((child for _, k, child in node.members or () if k == key), None)
    return node


def _optional(node: _Node | None, *kinds: str) -> bool:
    """Absent, null, or one of `kinds`."""
    return node is None or (node.kind == "lit" and node.raw == b"null") or node.kind in kinds


@dataclass(frozen=True, slots=True)
class Spec:
    """Where a provider's success lines keep what ingest reads (paths from the line's root).

    `status_path` holds the value that must be `status_ok` per line (a number in 200-299
    for OpenAI, the string "succeeded" for Anthropic); `container` is the object holding
    `model` and `usage` (OpenAI: response.body; Anthropic: result.message).
    """

    name: str
    status_path: tuple[str, ...]
    container: tuple[str, ...]
    parents: tuple[tuple[str, ...], ...]
    """Objects that must be present (as objects) for the full parser to take the success path."""
    forbid_truthy: tuple[str, ...] = ()
    """Top-level keys that must be absent or null (OpenAI: `error`)."""


OPENAI = Spec("openai", status_path=("response", "status_code"), container=("response", "body"),
              parents=(("response",), ("response", "body")), forbid_truthy=("error",))
ANTHROPIC = Spec("anthropic", status_path=("result", "type"), container=("result", "message"),
                 parents=(("result",), ("result", "message")))


@dataclass(slots=True)
class _Template:
    match: Callable[[bytes], re.Match[bytes] | None]
    groups: dict[str, int]
    fast: bool


def _learn(spec: Spec, line: bytes) -> _Template | None:
    """A template for `line`'s shape, or None if the shape cannot be one."""
    if len(line) > MAX_TEMPLATE_LINE:
        return None
    try:
        tokens, spaced = _tokens(line)
        root = _tree(tokens)
    except (_Shape, ValueError, RecursionError):
        return None
    capture: dict[tuple[str, ...], str] = {}
    fast = root.kind == "obj"
    if fast:
        cid = _get(root, "custom_id")
        status = _get(root, *spec.status_path)
        container = _get(root, *spec.container)
        fast = (cid is not None and cid.kind == "str"
                and status is not None and status.kind == ("num" if spec is OPENAI else "str")
                and all((n := _get(root, *p)) is not None and n.kind == "obj" for p in spec.parents)
                and all(_optional(_get(root, k)) and (_get(root, k) is None or _get(root, k).kind == "lit")
                        for k in spec.forbid_truthy)
                and _optional(_get(container, "model"), "str")
                and _optional(_get(container, "usage"), "obj"))
    if fast:
        capture[("custom_id",)] = "cid"
        capture[spec.status_path] = "status"
        if (m := _get(container, "model")) is not None and m.kind == "str":
            capture[spec.container + ("model",)] = "model"
        if (u := _get(container, "usage")) is not None and u.kind == "obj":
            capture[spec.container + ("usage",)] = "usage"
    try:
        pattern, groups = _compile(root, spaced, capture)
    except (re.error, RecursionError, OverflowError):
        return None
    return _Template(pattern.fullmatch, groups, fast)


_OK_CODES = frozenset(str(code).encode() for code in range(200, 300))


class FastParser:
    """Parses one results file's lines: `parse(line)` returns what the full parser returns
    (`None` for a line it skips); it raises only what the full parser raises.

    Args:
        spec: where the provider keeps the fields (`OPENAI`, `ANTHROPIC`).
        full: the reference parser, `bytes -> ItemResult | None`.
        usage: the provider's usage normalizer (`dict -> Usage | None`).
    """

    def __init__(self, spec: Spec, full: Callable[[bytes], ItemResult | None],
                 usage: Callable[[Any], Usage | None]) -> None:
        self.spec = spec
        self.full = full
        self.normalize_usage = usage
        self.templates: list[tuple[Callable[[bytes], Any], Callable[..., Any] | None]] = []
        self.attempts = 0
        self.misses = 0
        self.enabled = True
        self._usage: dict[bytes, Usage | None] = {}
        self._models: dict[bytes, str] = {}

    def parse(self, line: bytes) -> ItemResult | None:
        if not self.enabled:
            return self.full(line)
        templates = self.templates
        for match, extract in templates:
            m = match(line)
            if m is None:
                continue
            if templates[0][0] is not match:  # most recently used first
                templates.remove((match, extract))
                templates.insert(0, (match, extract))
            if extract is not None:
                result = extract(m.groups(), line)
                if result is not None:
                    return result
            return self.full(line)
        result = self.full(line)
        self.misses += 1
        if result is not None and self.attempts < MAX_LEARN_ATTEMPTS:
            self.attempts += 1
            template = _learn(self.spec, line)
            if template is not None:
                templates.insert(0, (template.match, self._extractor(template) if template.fast else None))
                del templates[MAX_TEMPLATES:]
        elif self.misses > 4096:
            self.enabled = False  # a file of ever-changing shapes: stop trying
        return result

    def _extractor(self, t: _Template) -> Callable[[tuple, bytes], ItemResult | None]:
        """The per-line extraction for template `t` (its groups at fixed places)."""
        gs = t.groups
        ci, si = gs["cid"] - 1, gs["status"] - 1
        mi = gs["model"] - 1 if "model" in gs else None
        ui = gs["usage"] - 1 if "usage" in gs else None
        ok = _OK_CODES if self.spec is OPENAI else frozenset((b'"succeeded"',))
        models, memo, normalize = self._models, self._usage, self.normalize_usage
        succeeded, loads = ItemStatus.SUCCEEDED, json.loads

        def extract(g: tuple, line: bytes) -> ItemResult | None:
            if g[si] not in ok:
                return None
            if not line.isascii():
                try:
                    line.decode("utf-8", "surrogatepass")
                except UnicodeDecodeError:
                    return None  # the full parser skips it
            cid = g[ci]
            if b"\\" in cid:
                return None
            model = None
            if mi is not None:
                raw = g[mi]
                model = models.get(raw)
                if model is None:
                    if b"\\" in raw:
                        return None
                    if len(models) > 4096:
                        models.clear()
                    model = models[raw] = raw[1:-1].decode("utf-8", "surrogatepass")
            usage = None
            if ui is not None:
                raw = g[ui]
                try:
                    usage = memo[raw]
                except KeyError:
                    usage = normalize(loads(raw))
                    if len(memo) >= _USAGE_MEMO:
                        memo.clear()
                    memo[raw] = usage
            return ItemResult(cid[1:-1].decode("utf-8", "surrogatepass"), succeeded, usage, model)

        return extract
