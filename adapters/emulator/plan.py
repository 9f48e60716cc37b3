"""How an emulated batch unfolds: each item's outcome and finish time, and the phase lengths.

A pure function of (seed, batch id, custom_ids, faults): an item's outcome and finish time come
from a hash of (seed, batch id, custom_id) (whether an error is retryable from a second hash
under its own key, so it is independent of whether the item errs), on a realistic curve (a Kumaraswamy(1.6, 3) draw
scaled to the batch's duration: a fast start, a peak, a long tail).

Timeline of a batch (emulated seconds; `n` = number of requests, `u` = per-batch hash draws):
- OpenAI `validating` for V = 5 + n/1000 + 10u s, then `in_progress` (or `failed`).
- processing takes D = (600 + 40·√n)·(0.6 + 0.8u) s unless the `duration` knob sets it;
  item i finishes at start + D·k(u_i).
- OpenAI `finalizing` for F = 10 + n/500 + 20u s after the last item (the `stuck_finalizing`
  knob replaces F); Anthropic ends F' = 1 + n/5000 s after the last item.
- cancel: `cancelling`/`canceling` for C = 20 + 60u s (+ n/1000, at most 600), items
  finishing meanwhile keep their results, the rest are cancelled.
- the window is 24 h: items not done by `expires_at` expire and the batch ends there.
- Anthropic results are archived 29 days after creation; OpenAI output files expire 30 days
  after they are written (or per `output_expires_after`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import content, rand
from .faults import Faults
from .inputs import Items

if TYPE_CHECKING:  # pragma: no cover
    from .dialect import Lifecycle

OK, ERR_RETRY, ERR_PERM, ERR_INVALID = 0, 1, 2, 3


def _kumaraswamy(u: float, a: float = 1.6, b: float = 3.0) -> float:
    return (1.0 - (1.0 - u) ** (1.0 / b)) ** (1.0 / a)


@dataclass
class Plan:
    hashes: list[int]
    outcome: bytearray
    out_tokens: list[int]
    cached: list[int]
    order: list[int]
    fsorted: list[float]
    cum_ok: list[int]
    cum_err: list[int]
    cum_in: list[int]
    cum_cached: list[int]
    cum_out: list[int]
    start: float
    last_finish: float | None
    all_finish: bool
    validating: float
    finalize: float
    cancel_for: float
    errors: list[dict[str, Any]]


def make_plan(life: Lifecycle, batch_id: str, created_at: float, items: Items, f: Faults,
              seed: int) -> Plan:
    """Every item's outcome and finish time, and the batch's phase lengths (see above)."""
    n = len(items)
    tl = rand.mix(seed, batch_id, "timeline")
    validating = 5.0 + n / 1000.0 + 10.0 * rand.unit(tl, 0) if life.validates else 0.0
    duration = f.duration if f.duration is not None else (600.0 + 40.0 * math.sqrt(n)) * (0.6 + 0.8 * rand.unit(tl, 1))
    if life.finalizes:
        finalize = 10.0 + n / 500.0 + 20.0 * rand.unit(tl, 2)
    else:
        finalize = 1.0 + n / 5000.0
    if f.stuck_finalizing > 0:
        finalize = f.stuck_finalizing
    cancel_for = min(600.0, 20.0 + 60.0 * rand.unit(tl, 3) + n / 1000.0)
    start = created_at + validating + life.start_delay

    errors = list(items.errors)
    if life.validates and not errors:
        limit = f.max_requests or life.max_requests or n
        if n > limit:
            errors.append({"code": "too_many_tasks", "line": None, "param": None,
                           "message": f"The batch input file contains {n} requests; the limit is {limit}."})
        elif f.token_limit:
            total = sum(items.in_tokens)
            errors.append({"code": "token_limit_exceeded", "line": None, "param": None,
                           "message": f"Enqueued token limit reached for {items.model or 'the model'} "
                           "in organization org-emulator. "
                           f"Limit: 2,000,000 enqueued tokens; this batch needs {total:,}. "
                           "Please try again once some in_progress batches have been completed."})

    key = rand.key_for(seed, batch_id)
    retry_key = rand.key_for(seed, batch_id, "retryable")
    h128 = rand.h128
    kum = _kumaraswamy
    err_rate, retry_share, expire = f.error_rate, f.retryable_share, f.expire
    invalid = items.invalid
    own_cache_tokens = life.cached_tokens
    is_emb = bool(items.emb_inputs)
    hashes: list[int] = [0] * n
    outcome = bytearray(n)
    finish: list[float] = [math.inf] * n
    out_tokens = [0] * n
    cached = [0] * n
    max_tokens = items.max_tokens
    in_tokens = items.in_tokens
    for i, cid in enumerate(items.custom_ids):
        h = h128(key, cid)
        hashes[i] = h
        u0 = (h & 0xFFFFFFFF) / 4294967296.0
        u1 = ((h >> 32) & 0xFFFFFFFF) / 4294967296.0
        if i in invalid:
            outcome[i] = ERR_INVALID
        elif u1 < err_rate:
            # Its own keyed hash: every bit of `h` already feeds another draw (bits 48-63 are
            # u1's own top bits, which made every error retryable whenever err_rate <= share).
            u2 = rand.unit(h128(retry_key, cid), 0)
            outcome[i] = ERR_RETRY if u2 < retry_share else ERR_PERM
        elif expire > 0 and ((h >> 112) & 0xFFFF) / 65536.0 < expire:
            continue  # never finishes inside the window
        else:
            if not is_emb:
                out_tokens[i] = content.answer_tokens(h, max_tokens[i])
            if own_cache_tokens:
                cached[i] = content.openai_cached_tokens(h, in_tokens[i])
        finish[i] = start + duration * kum(u0)

    order = sorted((i for i in range(n) if finish[i] != math.inf), key=finish.__getitem__)
    fsorted = [finish[i] for i in order]
    cum_ok = [0] * (len(order) + 1)
    cum_err = [0] * (len(order) + 1)
    cum_in = [0] * (len(order) + 1)
    cum_cached = [0] * (len(order) + 1)
    cum_out = [0] * (len(order) + 1)
    a = b = t_in = t_c = t_o = 0
    for k, i in enumerate(order, start=1):
        if outcome[i] == OK:
            a += 1
            t_in += in_tokens[i]
            t_c += cached[i]
            t_o += out_tokens[i]
        else:
            b += 1
        cum_ok[k], cum_err[k], cum_in[k], cum_cached[k], cum_out[k] = a, b, t_in, t_c, t_o
    return Plan(
        hashes=hashes, outcome=outcome, out_tokens=out_tokens, cached=cached, order=order,
        fsorted=fsorted, cum_ok=cum_ok, cum_err=cum_err, cum_in=cum_in, cum_cached=cum_cached,
        cum_out=cum_out, start=start, last_finish=fsorted[-1] if fsorted else None,
        all_finish=len(order) == n, validating=validating, finalize=finalize,
        cancel_for=cancel_for, errors=errors,
    )
