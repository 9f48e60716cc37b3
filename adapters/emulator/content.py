"""Plausible answers and token counts that follow from the request.

Input tokens come from the prompt's length (about 4 characters a token, plus a few tokens of
overhead per message); output tokens from the generated text (its length / 4, rounded up),
capped by the request's max tokens. Text is cut from a fixed bank of paragraphs at word
boundaries, chosen by a hash, so it is deterministic and cheap: a 100k-line results file is
built with string slicing, not per-word loops. The bank holds no quotes, backslashes or
control characters, so its slices go into JSON without escaping.
"""

from __future__ import annotations

import base64
import json
import math
import random
import struct
from bisect import bisect_right
from functools import lru_cache
from typing import Any

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4
REQUEST_OVERHEAD_TOKENS = 3
IMAGE_TOKENS = 765
MIN_OUTPUT_TOKENS = 8
MAX_OUTPUT_TOKENS = 400
DEFAULT_EMBEDDING_DIMS = 64
GENERATE_CONTENT = ":generateContent"
"""The generateContent method's path ending: its body is a GenerateContentRequest
(contents[].parts[].text, systemInstruction) rather than chat messages."""
"""Vector length when a request gives no `dimensions` (kept small: results files stay light)."""

_SENTENCES = [
    "The report covers the third quarter and highlights a steady rise in customer retention.",
    "Overall, the sentiment of the review is positive, with minor concerns about delivery times.",
    "The main risk identified is the dependency on a single supplier for critical components.",
    "In summary, the proposal is feasible within the stated budget and timeline.",
    "The customer asks for a refund because the product arrived damaged.",
    "This ticket should be routed to the billing team with normal priority.",
    "The function parses the input file line by line and validates each record.",
    "A short answer: yes, the configuration change is backwards compatible.",
    "Key entities mentioned are the regional office, the finance committee and two vendors.",
    "The translation keeps the formal register of the original text.",
    "Based on the provided context, the most likely category is logistics.",
    "The article argues that smaller models can match larger ones on narrow tasks.",
    "Three action items follow from the meeting notes, each with an owner and a due date.",
    "The abstract describes a randomized trial with four hundred participants.",
    "No personal data was found in the supplied document.",
    "The code change fixes an off-by-one error in the pagination logic.",
    "Revenue grew by eleven percent while operating costs stayed flat.",
    "The user is most likely asking about resetting their account password.",
    "The contract renews automatically unless either party gives sixty days notice.",
    "The recommended next step is to run the migration on a staging copy first.",
    "Sentiment: neutral. Topic: shipping. Urgency: low.",
    "The passage explains how tides are driven by the gravity of the moon and the sun.",
    "A careful reading suggests the author is skeptical of the proposed regulation.",
    "The dataset contains duplicate rows that should be removed before training.",
    "The email requests a meeting next Tuesday to review the draft budget.",
    "This answer is grounded in the second and fourth paragraphs of the source.",
    "The error occurs because the timeout is shorter than the slowest upstream call.",
    "The product description emphasizes durability, battery life and a light frame.",
    "The classification is spam, with high confidence.",
    "Both options are viable, but the second one has lower long term maintenance cost.",
    "The claim is partly supported: the numbers match, but the dates do not.",
    "Here is a concise rewrite that keeps every fact and removes the repetition.",
    "The invoice total matches the purchase order after the discount is applied.",
    "The poem uses the changing seasons as a metaphor for memory.",
    "The main obstacle is that the legacy system has no stable interface.",
    "After checking the logs, the failure appears to start after the nightly deploy.",
    "The summary lists the decisions, the open questions and the agreed deadlines.",
    "The question is ambiguous, so the answer covers both readings.",
    "Most of the feedback concerns onboarding, which users find slow and confusing.",
    "The estimate assumes current prices and no change in demand.",
]

_N_PARAS = 64
_PARA_CHARS = 4200
_MAX_START = 1200


def _build_bank() -> tuple[list[str], list[list[int]], list[list[int]]]:
    paras: list[str] = []
    starts: list[list[int]] = []
    ends: list[list[int]] = []
    for i in range(_N_PARAS):
        rng = random.Random(1000 + i)
        parts: list[str] = []
        length = 0
        sent_starts: list[int] = []
        while length < _PARA_CHARS:
            deck = list(_SENTENCES)
            rng.shuffle(deck)  # every sentence once before any repeats
            for s in deck:
                sent_starts.append(length)
                parts.append(s)
                length += len(s) + 1
        text = " ".join(parts)
        word_ends = [j for j, ch in enumerate(text) if ch == " "] + [len(text)]
        paras.append(text)
        starts.append([s for s in sent_starts if s <= _MAX_START] or [0])
        ends.append(word_ends)
    return paras, starts, ends


_PARAS, _STARTS, _ENDS = _build_bank()


def output_tokens_target(h: int, max_tokens: int | None) -> tuple[int, bool]:
    """How many tokens an answer gets (from the hash), and whether `max_tokens` cut it."""
    u = ((h >> 64) & 0xFFFFFFFF) / 4294967296.0
    want = int(MIN_OUTPUT_TOKENS * math.exp(u * math.log(MAX_OUTPUT_TOKENS / MIN_OUTPUT_TOKENS)))
    if max_tokens is not None and max_tokens > 0 and want > max_tokens:
        return max_tokens, True
    return want, False


def text_span(h: int, tokens: int) -> tuple[int, int, int]:
    """(paragraph, start, end) of a text of at most `tokens` × 4 characters (≥ one word)."""
    p = h % _N_PARAS
    starts = _STARTS[p]
    start = starts[(h >> 8) % len(starts)]
    ends = _ENDS[p]
    limit = start + max(1, tokens) * CHARS_PER_TOKEN
    k = bisect_right(ends, limit) - 1
    end = ends[k] if k >= 0 and ends[k] > start else ends[bisect_right(ends, start)]
    return p, start, end


def answer(h: int, max_tokens: int | None) -> tuple[str, int, bool]:
    """(text, output_tokens, truncated) for the item/request with hash `h`."""
    tokens, cut = output_tokens_target(h, max_tokens)
    p, start, end = text_span(h, tokens)
    text = _PARAS[p][start:end]
    return text, tokens_of_len(len(text)), cut


def answer_tokens(h: int, max_tokens: int | None) -> int:
    """Just the output token count of `answer(h, max_tokens)` (no string built)."""
    tokens, _ = output_tokens_target(h, max_tokens)
    _, start, end = text_span(h, tokens)
    return tokens_of_len(end - start)


def tokens_of_len(n_chars: int) -> int:
    return max(1, -(-n_chars // CHARS_PER_TOKEN))


# --- input side ------------------------------------------------------------------------------


def _text_chars(node: Any, found: list[int]) -> int:
    """Characters of text in a message/content tree; counts images; notes cache_control."""
    if isinstance(node, str):
        return len(node)
    if isinstance(node, list):
        return sum(_text_chars(x, found) for x in node)
    if isinstance(node, dict):
        total = 0
        kind = node.get("type")
        if kind in ("image", "image_url", "input_image", "document", "input_file"):
            return IMAGE_TOKENS * CHARS_PER_TOKEN
        for key, value in node.items():
            if key == "cache_control":
                found[0] = 1
                continue
            if key in ("type", "role", "id", "tool_use_id", "name", "detail"):
                continue
            total += _text_chars(value, found)
        return total
    return 0


def prompt_tokens(body: dict[str, Any], endpoint: str) -> tuple[int, bool]:
    """(input tokens, uses cache_control) for a request body of `endpoint`."""
    found = [0]
    n_messages = 0
    chars = 0
    if endpoint.endswith("/embeddings"):
        inp = body.get("input")
        if isinstance(inp, str):
            return tokens_of_len(len(inp)), False
        if isinstance(inp, list):
            if inp and all(isinstance(x, int) for x in inp):
                return max(1, len(inp)), False
            total = 0
            for x in inp:
                if isinstance(x, str):
                    total += tokens_of_len(len(x))
                elif isinstance(x, list):
                    total += max(1, len(x))
            return max(1, total), False
        return 1, False
    if endpoint.endswith("/responses"):
        inp = body.get("input")
        chars += _text_chars(body.get("instructions") or "", found)
        if isinstance(inp, list):
            n_messages = len(inp)
        chars += _text_chars(inp or "", found)
    elif endpoint.endswith(GENERATE_CONTENT):
        contents = body.get("contents")
        if isinstance(contents, list):
            n_messages = len(contents)
        chars += _text_chars(contents or [], found)
        system = body.get("systemInstruction") or body.get("system_instruction")
        if system:
            n_messages += 1
            chars += _text_chars(system, found)
    else:  # chat completions and Anthropic messages
        messages = body.get("messages")
        if isinstance(messages, list):
            n_messages = len(messages)
        chars += _text_chars(messages or [], found)
        system = body.get("system")
        if system:
            n_messages += 1
            chars += _text_chars(system, found)
    if body.get("tools"):
        chars += len(json.dumps(body["tools"]))
    tokens = tokens_of_len(chars) + MESSAGE_OVERHEAD_TOKENS * max(1, n_messages) + REQUEST_OVERHEAD_TOKENS
    return tokens, bool(found[0])


def max_output_tokens(body: dict[str, Any]) -> int | None:
    config = body.get("generationConfig") or body.get("generation_config")
    if isinstance(config, dict):  # Gemini
        value = config.get("maxOutputTokens", config.get("max_output_tokens"))
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    for key in ("max_completion_tokens", "max_tokens", "max_output_tokens"):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def openai_cached_tokens(h: int, input_tokens: int) -> int:
    """OpenAI caches automatically from 1,024 prompt tokens on; about half the calls hit."""
    if input_tokens < 1024 or ((h >> 96) & 0xFF) >= 128:
        return 0
    return (input_tokens * 3 // 4) // 128 * 128


def anthropic_cache_split(h: int, input_tokens: int, uses_cache: bool) -> tuple[int, int, int]:
    """(uncached input, cache read, cache write) for an Anthropic request."""
    if not uses_cache or input_tokens < 1024:
        return input_tokens, 0, 0
    cached = input_tokens * 3 // 4
    if ((h >> 96) & 0xFF) < 166:  # about 65 % of calls read the cache, the rest write it
        return input_tokens - cached, cached, 0
    return input_tokens - cached, 0, cached


# --- embeddings ------------------------------------------------------------------------------

_N_VECTORS = 64


@lru_cache(maxsize=32)
def _vector_bank(dims: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(JSON float arrays, base64 float32 strings) of `_N_VECTORS` unit vectors of `dims`."""
    as_json: list[str] = []
    as_b64: list[str] = []
    for i in range(_N_VECTORS):
        rng = random.Random(5000 + i * 7919 + dims)
        vec = [rng.gauss(0.0, 1.0) for _ in range(dims)]
        norm = math.sqrt(sum(x * x for x in vec)) or 1.0
        vec = [round(x / norm, 6) for x in vec]
        as_json.append("[" + ",".join(repr(x) for x in vec) + "]")
        as_b64.append(base64.b64encode(struct.pack(f"<{dims}f", *vec)).decode())
    return tuple(as_json), tuple(as_b64)


def embedding_literal(h: int, index: int, dims: int, b64: bool) -> str:
    """A JSON value (array or quoted base64 string) for the `index`-th input's vector."""
    bank_json, bank_b64 = _vector_bank(dims)
    k = (h + index * 2654435761) % _N_VECTORS
    return f'"{bank_b64[k]}"' if b64 else bank_json[k]


def embedding_inputs(body: dict[str, Any]) -> int:
    inp = body.get("input")
    if isinstance(inp, str):
        return 1
    if isinstance(inp, list):
        if inp and all(isinstance(x, int) for x in inp):
            return 1
        return max(1, len(inp))
    return 1


def embedding_dims(body: dict[str, Any]) -> int:
    dims = body.get("dimensions")
    if isinstance(dims, int) and 1 <= dims <= 4096:
        return dims
    return DEFAULT_EMBEDDING_DIMS
