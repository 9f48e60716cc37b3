"""The most promoting a batch's pending items can cost, per item and per realtime tier.

The deadline guard reserves these figures against its caps, so they must be bounds, not
guesses: what a provider bills for an item can never be more than its ceiling here.
- output: the request's own limit (max_tokens, max_completion_tokens, maxOutputTokens) times
  the number of answers it asks for (`n`, `candidateCount`); a request without a limit has no
  ceiling;
- input: one token per UTF-8 byte of the whole request body as JSON (keys and punctuation
  included), plus a fixed allowance per message and per request for the chat template;
  images, audio and files are counted by the provider in ways the body does not show, so a
  request carrying them has no ceiling;
- every input token priced at the dearest input rate of the tier (plain, cache read or cache
  write: a cache write is billed above plain input), by the one cost rule (store.ledger).
An item without a ceiling, or whose model has no price at a tier, is never promoted by the
guard at that tier: an unknown cost is not $0 and no cap can be kept with it.

The same rule is the "ceiling" every spend preview names beside its expected cost (submit,
resubmit, promote; `CeilingTally`): requests without a bound are counted and said to have
none, never given a guessed figure.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from console.engine import bodies as bodies_mod
from console.engine import pricing, providers, select
from console.engine import requests as reqs
from store.model import ItemStatus, PriceRow, PriceTier, Usage

if TYPE_CHECKING:
    from console.engine.service import Engine
    from store.model import Batch
    from store.store import Store

BYTES_PER_TOKEN_FLOOR = 1
"""UNCONFIRMED: no tokenizer in use emits more than one token per UTF-8 byte of text (byte-level
BPE tokens each cover at least one byte); the input ceiling counts bytes as tokens."""
MESSAGE_OVERHEAD_CEILING = 16
"""UNCONFIRMED: template tokens a provider adds per message (OpenAI documents 3 to 4)."""
REQUEST_OVERHEAD_CEILING = 64
"""UNCONFIRMED: template tokens a provider adds per request (reply priming, default system text)."""
TOOLS_OVERHEAD_CEILING = 1024
"""UNCONFIRMED: tokens a provider adds when a request declares tools (Anthropic adds a tool-use
system prompt of a few hundred tokens); the tool definitions themselves are in the body bytes."""

MEDIA_KINDS = frozenset({"image", "image_url", "input_image", "document", "input_file", "file",
                         "input_audio", "audio", "video"})
MEDIA_KEYS = frozenset({"image_url", "input_audio", "inline_data", "inlineData", "file_data", "fileData", "audio"})
CLIENT_TOOL_TYPES = frozenset({"function", "custom"})
"""Tools the caller runs: one call returns the request to the caller. Any other tool (web search,
code execution, file search) runs at the provider and adds input and fees a body does not show."""
CLIENT_TOOL_KEYS = frozenset({"functionDeclarations", "function_declarations"})
REALTIME_TIERS = ("flex", "standard", "priority")

NO_REQUEST = "request not in the store"
NO_OUTPUT_LIMIT = "no output token limit in the request"
HAS_MEDIA = "images, audio or files in the request"
SERVER_TOOLS = "provider-run tools (search, code) in the request"
UNPRICED = "model unpriced at that tier"

PREVIEW_WORDS = {
    NO_REQUEST: "request not at hand",
    NO_OUTPUT_LIMIT: "no max_tokens",
    HAS_MEDIA: "images/audio/files",
    SERVER_TOOLS: "provider-run tools",
}
"""Why a request has no ceiling, in the few words a spend preview has room for (and what to
change: set max_tokens, drop the media or the provider-run tool, pass --input FILE)."""


@dataclass(frozen=True, slots=True)
class ItemCeiling:
    """One pending item: the most it can cost per realtime tier (None: no bound there)."""

    item_id: int
    costs: dict[str, float | None]
    unbounded: str | None = None
    """Why the item has no ceiling at any tier (None: it has one wherever it is priced)."""


@dataclass(frozen=True, slots=True)
class Ceilings:
    """A batch's pending items and their ceilings; `offered`: the provider's realtime tiers."""

    batch_id: int
    offered: tuple[str, ...]
    items: list[ItemCeiling] = field(default_factory=list)

    def at(self, tier: str) -> list[tuple[float, int]]:
        """(ceiling, item id) of every item with a ceiling at `tier`."""
        out: list[tuple[float, int]] = []
        for item in self.items:
            cost = item.costs.get(tier)
            if cost is not None:
                out.append((cost, item.item_id))
        return out

    def left_out(self, tier: str, chosen: set[int]) -> dict[str, int]:
        """Why each item not in `chosen` was left, counted by reason."""
        reasons: dict[str, int] = {}
        for item in self.items:
            if item.item_id in chosen:
                continue
            why = item.unbounded or (UNPRICED if item.costs.get(tier) is None else "over the budget")
            reasons[why] = reasons.get(why, 0) + 1
        return reasons


def batch_ceilings(engine: Engine, batch: Batch) -> Ceilings:
    """The ceilings of `batch`'s pending items, from the requests the store keeps (the guard
    never reads a provider's copy: an item without a stored request is left to people)."""
    caps = providers.capabilities(batch.provider)
    offered = tuple(t.value for t in caps.tiers if t.value in REALTIME_TIERS)
    items = select.all_with_status(engine, batch.id, ItemStatus.PENDING.value)
    bodies = bodies_mod.from_store(engine, items)
    out: list[ItemCeiling] = []
    embeddings = (batch.endpoint or "").endswith("/embeddings")
    rates: dict[str | None, dict[str, tuple[float, float] | None]] = {}
    for item in items:
        text = bodies.get(item.custom_id)
        body = _parsed(text)
        # The stored text is JSON: its bytes bound its strings' UTF-8 bytes whatever its escaping.
        tokens, why = token_ceiling(body, embeddings=embeddings, json_bytes=len(text.encode()) if text else None)
        if tokens is None or not isinstance(body, dict):
            out.append(ItemCeiling(item.id, dict.fromkeys(offered), why))
            continue
        named = body.get("model")
        model = (named if isinstance(named, str) and named else None) or item.model or batch.model
        if model not in rates:
            row = pricing.price_row(engine.store, batch.provider, model)
            rates[model] = {t: _unit_ceilings(row, t) for t in offered}
        costs: dict[str, float | None] = {}
        for tier, unit in rates[model].items():
            costs[tier] = None if unit is None else (tokens[0] * unit[0] + tokens[1] * unit[1]) / PER_UNIT
        out.append(ItemCeiling(item.id, costs))
    return Ceilings(batch.id, offered, out)


PER_UNIT = 1_000_000


def _unit_ceilings(row: PriceRow | None, tier: str) -> tuple[float, float] | None:
    """(ceiling of a million input tokens, of a million output tokens) at `tier`: cost is linear
    in tokens, so an item's ceiling is these scaled (priced once per model, not per item)."""
    per_in = cost_ceiling(row, tier, PER_UNIT, 0)
    per_out = cost_ceiling(row, tier, 0, PER_UNIT)
    return None if per_in is None or per_out is None else (per_in, per_out)


def cost_ceiling(row: PriceRow | None, tier: PriceTier | str, input_tokens: int, output_tokens: int) -> float | None:
    """The most `input_tokens` in and `output_tokens` out can cost at `tier`: every input token
    at whichever input rate (plain, cache read, cache write) is dearest. None when unpriced."""
    shapes = (Usage(input_tokens=input_tokens, output_tokens=output_tokens),
              Usage(cache_read_tokens=input_tokens, output_tokens=output_tokens),
              Usage(cache_write_tokens=input_tokens, output_tokens=output_tokens))
    costs = [pricing.cost(u, row, tier) for u in shapes]
    return None if any(c is None for c in costs) else max(c for c in costs if c is not None)


def token_ceiling(body: object, *, embeddings: bool = False,
                  json_bytes: int | None = None) -> tuple[tuple[int, int] | None, str | None]:
    """(input tokens at most, output tokens at most) of one request body, or (None, why not).
    `json_bytes`: the size of the body as stored JSON, if at hand (else it is serialized)."""
    if not isinstance(body, dict):
        return None, NO_REQUEST
    if _has_media(body):
        return None, HAS_MEDIA
    if not _client_tools_only(body):
        return None, SERVER_TOOLS
    if embeddings:
        out = 0
    else:
        limit = reqs.max_output_tokens(body)
        if limit is None or limit < 0:
            return None, NO_OUTPUT_LIMIT
        out = limit * _answers(body)
    if json_bytes is None:
        json_bytes = len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    tokens = json_bytes // BYTES_PER_TOKEN_FLOOR
    tokens += MESSAGE_OVERHEAD_CEILING * (_messages(body) + 1) + REQUEST_OVERHEAD_CEILING
    if body.get("tools"):
        tokens += TOOLS_OVERHEAD_CEILING
    return (tokens, out), None


def _parsed(text: str | None) -> object:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _answers(body: dict[str, object]) -> int:
    """How many answers one call returns (each up to the output limit)."""
    n = body.get("n")
    config = body.get("generationConfig") or body.get("generation_config")
    count = config.get("candidateCount", config.get("candidate_count")) if isinstance(config, dict) else None
    picks = [v for v in (n, count) if isinstance(v, int) and not isinstance(v, bool) and v > 1]
    return max(picks, default=1)


def _messages(body: dict[str, object]) -> int:
    total = 0
    for key in ("messages", "input", "contents"):
        value = body.get(key)
        if isinstance(value, list):
            total += len(value)
    return total


def _has_media(root: object) -> bool:
    """Whether any object in the body is an image, audio or file part. A loop over containers
    only (strings are never looked into): every submit scans each line with it."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            kind = node.get("type")
            if (isinstance(kind, str) and kind in MEDIA_KINDS) or not MEDIA_KEYS.isdisjoint(node):
                return True
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return False


def _client_tools_only(body: dict[str, object]) -> bool:
    if "web_search_options" in body:
        return False
    tools = body.get("tools")
    if not tools:
        return True
    if not isinstance(tools, list):
        return False
    for tool in tools:
        if not isinstance(tool, dict):
            return False
        kind = tool.get("type")
        if kind is None and tool.keys() and tool.keys() <= CLIENT_TOOL_KEYS:
            continue  # Gemini: {"functionDeclarations": [...]}
        if kind is None and "input_schema" in tool:
            continue  # Anthropic client tool
        if kind not in CLIENT_TOOL_TYPES:
            return False
    return True


@dataclass(frozen=True, slots=True)
class SpendCeiling:
    """The most a spend of many requests can cost at one tier.

    `bounded_cost` bounds the `bounded` requests (None: a model of theirs is unpriced there);
    the `unbounded` others have no bound at all, counted by why in `reasons` (PREVIEW_WORDS).
    """

    tier: str
    bounded: int
    bounded_cost: float | None
    unbounded: int
    reasons: dict[str, int]
    output_tokens: int
    """Output tokens the bounded requests may produce at most (their limits x answers)."""

    @property
    def cost(self) -> float | None:
        """The bound of the whole spend: None when any request has none, or it is unpriced."""
        return None if self.unbounded else self.bounded_cost


class CeilingTally:
    """Per-request ceilings summed per model, priced once per model and tier at the end (cost
    is linear in tokens, as in pricing.TokenTally): the ceiling of a spend of any size."""

    def __init__(self, store: Store, provider: str, *, embeddings: bool = False) -> None:
        self.store = store
        self.provider = provider
        self.embeddings = embeddings
        self.tokens: dict[str | None, list[int]] = {}
        self.reasons: Counter[str] = Counter()
        self.bounded = 0
        self._rows: dict[str | None, PriceRow | None] = {}

    def add(self, model: str | None, tokens: tuple[int, int] | None, why: str | None) -> None:
        """One request: its (input, output) token ceiling, or None and why it has none."""
        if tokens is None:
            self.reasons[PREVIEW_WORDS.get(why or NO_REQUEST, why or NO_REQUEST)] += 1
            return
        sums = self.tokens.setdefault(model, [0, 0])
        sums[0] += tokens[0]
        sums[1] += tokens[1]
        self.bounded += 1

    def add_text(self, text: str | None, model: str | None) -> None:
        """One request as stored JSON text (None: not at hand); its own "model" wins over `model`."""
        body = _parsed(text)
        tokens, why = token_ceiling(body, embeddings=self.embeddings,
                                    json_bytes=len(text.encode()) if text else None)
        named = body.get("model") if isinstance(body, dict) else None
        self.add(named if isinstance(named, str) and named else model, tokens, why)

    def at(self, tier: PriceTier | str) -> SpendCeiling:
        name = tier.value if isinstance(tier, PriceTier) else tier
        total: float | None = 0.0
        output = 0
        for model, (i_tok, o_tok) in self.tokens.items():
            output += o_tok
            if model not in self._rows:
                self._rows[model] = pricing.price_row(self.store, self.provider, model)
            cost = cost_ceiling(self._rows[model], name, i_tok, o_tok)
            total = None if cost is None or total is None else total + cost
        return SpendCeiling(name, self.bounded, total, sum(self.reasons.values()), dict(self.reasons), output)
