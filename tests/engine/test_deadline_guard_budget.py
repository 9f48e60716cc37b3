"""The deadline guard never spends over its caps: a property over random fleets.

Random batches at risk of missing their deadlines, with random requests stored in a real store
file (random prompts, some dense like CJK text, random output limits or none, `n` > 1, tools),
a random price book (dearer cache writes, tiers without a price, an unpriced model), random
caps and several passes across a UTC midnight, run through the guard's real decision path and
its real engine-side estimate. The provider is the test's own: it bills each promoted item
what a provider could bill, with no assumption about the guard's estimate or margin:
input tokens as the emulator counts them or one per character (dense text), any share of it
written to the cache, and any output up to the request's limit (often exactly the limit; a
request without a limit answers up to 8,192 tokens). What it bills is summed per batch and per
UTC day and must never pass the caps. (The real promote path is exercised against the emulator
in test_alerts.py.)
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from adapters.emulator import content
from console.engine import pricing
from console.engine.alerts.guard import day_start, engine_estimator, guard
from console.engine.alerts.rules import Condition
from console.engine.service import Engine
from store import Store
from store import alerts as alert_store
from store.alert_config import DeadlineGuardConfig
from store.model import ItemResult, ItemStatus, PriceRow, PriceTier, Usage
from store.prices import PriceBook

DAY = 86400.0
T0 = 1_790_000_000.0 - 3600.0  # an hour before a UTC midnight
MODELS = ("m-a", "m-b", "m-c", "m-unpriced")
NO_LIMIT_OUTPUT = 8192

price = st.floats(min_value=0.0, max_value=80.0, allow_nan=False)
price_row = st.fixed_dictionaries({
    "input": price, "output": price,
    "cache_write": st.one_of(st.none(), price),
    "flex": st.one_of(st.none(), st.floats(min_value=0.3, max_value=1.0)),
    "priority": st.one_of(st.none(), st.floats(min_value=1.0, max_value=2.5)),
})
words = st.one_of(st.text(alphabet="abcdefgh ij", min_size=0, max_size=300),
                  st.text(alphabet="数据批处理模型輸出", min_size=0, max_size=300))
request = st.fixed_dictionaries({
    "model": st.one_of(st.just(MODELS[0]), st.sampled_from(MODELS)),
    "messages": st.lists(words, min_size=1, max_size=3),
    "max_tokens": st.one_of(st.none(), st.integers(min_value=1, max_value=8000)),
    "n": st.sampled_from([1, 1, 1, 3]),
    "tools": st.booleans(),
})
batch = st.fixed_dictionaries({
    "requests": st.lists(request, min_size=0, max_size=12),
    "lead": st.floats(min_value=-3600, max_value=4 * 3600),
    # what the provider bills: output as a share of the limit (1.0: every item uses all of it)
    "output_share": st.one_of(st.just(1.0), st.floats(min_value=0.0, max_value=1.0)),
    "dense": st.booleans(),
    "cache_write_share": st.sampled_from([0.0, 0.0, 0.75, 1.0]),
})


def body_of(spec: dict) -> dict:
    body: dict = {"model": spec["model"], "messages": [{"role": "user", "content": m} for m in spec["messages"]]}
    if spec["max_tokens"] is not None:
        body["max_tokens"] = spec["max_tokens"]
    if spec["n"] > 1:
        body["n"] = spec["n"]
    if spec["tools"]:
        body["tools"] = [{"type": "function", "function": {"name": "look_up", "parameters": {"type": "object"}}}]
    return body


def billed_usage(body: dict, spec: dict) -> Usage:
    """What a provider could bill for one realtime call of `body` (see the module docstring)."""
    tokens, _ = content.prompt_tokens(body, "/v1/chat/completions")
    if spec["dense"]:
        chars = sum(len(m["content"]) for m in body["messages"]) + len(json.dumps(body.get("tools", [])))
        tokens = chars + content.MESSAGE_OVERHEAD_TOKENS * len(body["messages"]) + content.REQUEST_OVERHEAD_TOKENS
    limit = body.get("max_tokens", NO_LIMIT_OUTPUT) * body.get("n", 1)
    written = round(tokens * spec["cache_write_share"])
    return Usage(input_tokens=tokens - written, cache_write_tokens=written,
                 output_tokens=round(limit * spec["output_share"]))


@settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=st.lists(batch, min_size=1, max_size=6),
       prices=st.fixed_dictionaries({m: price_row for m in MODELS[:-1]}),
       per_batch=st.one_of(st.floats(min_value=0.0, max_value=0.2), st.floats(min_value=0.0, max_value=3.0)),
       per_day=st.one_of(st.floats(min_value=0.0, max_value=0.3), st.floats(min_value=0.0, max_value=5.0)),
       passes=st.integers(min_value=1, max_value=4), step=st.sampled_from([600.0, 3600.0, DAY / 2]))
def test_the_guard_never_spends_over_its_caps(fleet, prices, per_batch, per_day, passes, step):
    cfg = DeadlineGuardConfig(enabled=True, max_per_batch=per_batch, max_per_day=per_day)
    rows = [PriceRow(provider="openai", model=m, input=p["input"], output=p["output"],
                     cache_write=p["cache_write"], flex_multiplier=p["flex"], priority_multiplier=p["priority"])
            for m, p in prices.items()]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "guard.db", price_book=PriceBook(rows))
        try:
            asyncio.run(_run(store, cfg, fleet, passes, step))
        finally:
            store.close()


async def _run(store: Store, cfg: DeadlineGuardConfig, fleet: list[dict], passes: int, step: float) -> None:
    clock = [T0]
    engine = Engine(store, None, actor="guard-test", clock=lambda: clock[0])
    specs: dict[int, dict] = {}
    for i, spec in enumerate(fleet):
        batch_id = store.record_intent(provider="openai", profile="default", endpoint="/v1/chat/completions",
                                       model=None, label=None, deadline=T0 + spec["lead"], job_id=None,
                                       parent_id=None, submitted_by="t", submit_token=f"tok-{i}",
                                       request_count=len(spec["requests"]), now=T0)
        store.add_items(batch_id, [(f"r{k}", json.dumps(body_of(r))) for k, r in enumerate(spec["requests"])])
        specs[batch_id] = spec
    billed: list[tuple[int, float, float]] = []  # (batch, when, USD)

    async def provider(batch_id: int, tier: str, item_ids: Sequence[int] | None = None,
                       ) -> tuple[int, float | None, str]:
        """Promote: bill each item as a provider could, mark it promoted in the store."""
        items = [store.get_item(i) for i in item_ids] if item_ids is not None else \
            store.page_items(batch_id, offset=0, limit=10_000, status=ItemStatus.PENDING.value)
        total: float | None = 0.0
        for item in items:
            assert item is not None and item.status == ItemStatus.PENDING.value
            body = json.loads(store.request_bodies([item.id])[item.id])
            usage = billed_usage(body, specs[batch_id])
            paid = pricing.cost(usage, store.price_for("openai", body["model"]), tier)
            # The call was made, so it was billed: an unpriced tier the guard chose is a failure here.
            assert paid is not None, f"the guard promoted {body['model']} at {tier}, which has no price"
            billed.append((batch_id, clock[0], paid))
            total = None if total is None else total + paid
            store.record_promotion(item.id, ItemResult(custom_id=item.custom_id, status=ItemStatus.SUCCEEDED,
                                                       usage=usage, model=body["model"]),
                                   promoted_cost=paid, realtime_cost=None, tier=PriceTier(tier), now=clock[0])
        return len(items), total, "promoted"

    for _ in range(passes):
        conditions = [Condition(rule="deadline_risk", kind="deadline_risk", subject=f"batch:{i}", title="t",
                                why="late", batch=store.get_batch(i)) for i in specs]
        await guard(store, cfg, conditions, clock[0], estimate=engine_estimator(engine), promote=provider,
                    audit=lambda *a: None)
        clock[0] += step
    await engine.aclose()
    event(f"items promoted: {'some' if billed else 'none'}")  # --hypothesis-show-statistics

    for batch_id in specs:
        assert sum(usd for b, _, usd in billed if b == batch_id) <= cfg.max_per_batch + 1e-9
        assert alert_store.guard_spent(store.conn, batch_id=batch_id) <= cfg.max_per_batch + 1e-9
    days: dict[float, float] = {}
    for _, when, usd in billed:
        days[day_start(when)] = days.get(day_start(when), 0.0) + usd
    assert all(total <= cfg.max_per_day + 1e-9 for total in days.values()), days
    for day in days:
        claimed = alert_store.guard_spent(store.conn, since=day) - alert_store.guard_spent(store.conn, since=day + DAY)
        assert claimed <= cfg.max_per_day + 1e-9


def test_the_guard_sends_what_fits_and_says_what_it_left():
    """A cap that holds two of three items' ceilings: two go at the cheapest tier, the alert says
    one was left over the budget, and an item without an output limit is never sent."""
    rows = [PriceRow(provider="openai", model="m-a", input=1.0, output=1.0, flex_multiplier=0.5,
                     priority_multiplier=2.0)]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "guard.db", price_book=PriceBook(rows))
        try:
            asyncio.run(_subset(store))
        finally:
            store.close()


async def _subset(store: Store) -> None:
    engine = Engine(store, None, actor="guard-test", clock=lambda: T0)
    batch_id = store.record_intent(provider="openai", profile="default", endpoint="/v1/chat/completions",
                                   model=None, label=None, deadline=T0 + 3600, job_id=None, parent_id=None,
                                   submitted_by="t", submit_token="tok", request_count=4, now=T0)
    bodies = [{"model": "m-a", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1000}] * 3
    bodies.append({"model": "m-a", "messages": [{"role": "user", "content": "no limit"}]})
    store.add_items(batch_id, [(f"r{k}", json.dumps(b)) for k, b in enumerate(bodies)])
    ceilings = engine_estimator(engine)(batch_id)
    one = ceilings.items[0].costs["flex"]
    assert one is not None and ceilings.items[3].costs == {"flex": None, "standard": None, "priority": None}
    sent: list[tuple[str, list[int]]] = []

    async def provider(b: int, tier: str, item_ids: Sequence[int]) -> tuple[int, float | None, str]:
        sent.append((tier, list(item_ids)))
        return len(item_ids), 0.0, "promoted"

    audited: list[dict[str, object]] = []
    cfg = DeadlineGuardConfig(enabled=True, max_per_batch=2.5 * one, max_per_day=10.0)
    cond = Condition(rule="deadline_risk", kind="deadline_risk", subject=f"batch:{batch_id}", title="t",
                     why="late", batch=store.get_batch(batch_id))
    [act], declined = await guard(store, cfg, [cond], T0, estimate=engine_estimator(engine), promote=provider,
                                  audit=lambda action, target, details: audited.append(details))
    assert declined == [] and len(sent) == 1 and sent[0][0] == "flex" and len(sent[0][1]) == 2
    assert act.claimed >= 2 * one and act.pending == 4
    assert act.left == {"over the budget": 1, "no output token limit in the request": 1}
    assert "sent 2 of 4 pending items and left 1 (over the budget), 1 (no output token limit" in act.summary
    assert audited[0]["left"] == act.left and audited[0]["items"] == 2
    await engine.aclose()


def test_a_request_has_a_ceiling_only_when_what_it_can_bill_is_bounded():
    from console.engine import ceiling

    chat = {"model": "m", "messages": [{"role": "user", "content": "数据"}], "max_tokens": 100}
    (tokens, out), why = ceiling.token_ceiling(chat)
    assert why is None and out == 100 and tokens >= len(json.dumps(chat, ensure_ascii=False).encode())
    assert ceiling.token_ceiling({**chat, "n": 3})[0] == (tokens + len(',"n":3'), 300)
    assert ceiling.token_ceiling({k: v for k, v in chat.items() if k != "max_tokens"}) == \
        (None, ceiling.NO_OUTPUT_LIMIT)
    image = {**chat, "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}
    assert ceiling.token_ceiling(image) == (None, ceiling.HAS_MEDIA)
    assert ceiling.token_ceiling({**chat, "tools": [{"type": "web_search_preview"}]}) == (None, ceiling.SERVER_TOOLS)
    fn = {**chat, "tools": [{"type": "function", "function": {"name": "f"}}]}
    assert ceiling.token_ceiling(fn)[1] is None
    # A cache write dearer than input is what the input is priced at.
    row = PriceRow(provider="openai", model="m", input=1.0, output=0.0, cache_write=4.0)
    assert ceiling.cost_ceiling(row, "standard", 1_000_000, 0) == 4.0
    assert ceiling.cost_ceiling(row, "flex", 10, 10) is None  # no flex price: no ceiling, never $0
