"""The deadline guard never spends over its caps: a property over random fleets.

Random batches at risk, random estimates per tier (some unpriced, some tiers not offered),
random actual costs, random caps and several passes across UTC midnight, run through the
guard's real decision path and a real store file (the claims are the store's transactions).
The engine's estimate and promote are the seams here; the promote path itself is exercised
against the emulator in test_alerts.py.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.engine.alerts.guard import GUARD_MARGIN, day_start, guard
from console.engine.alerts.rules import Condition
from console.engine.types import PromotionEstimate, TierCost
from store import Store
from store import alerts as alert_store
from store.alert_config import DeadlineGuardConfig

DAY = 86400.0
T0 = 1_790_000_000.0 - 3600.0  # an hour before a UTC midnight

money = st.floats(min_value=0.0, max_value=5.0, allow_nan=False)
batch = st.fixed_dictionaries({
    "flex": st.one_of(st.none(), money),
    "standard": st.one_of(st.none(), money),
    "flex_offered": st.booleans(),
    "items": st.integers(min_value=0, max_value=50),
    "lead": st.floats(min_value=-3600, max_value=4 * 3600),
    # what the promotion really costs, as a share of the estimate (≤ the margin the guard keeps)
    "actual_share": st.floats(min_value=0.0, max_value=GUARD_MARGIN),
})


def estimate_for(spec: dict, batch_id: int) -> PromotionEstimate:
    costs = [TierCost("batch", None), TierCost("flex", spec["flex"], available=spec["flex_offered"]),
             TierCost("standard", spec["standard"]), TierCost("priority", None)]
    return PromotionEstimate(batch_id=batch_id, provider="openai", model="m", items=spec["items"],
                             missing_requests=0, needs_input=False, input_tokens=0, output_tokens=0,
                             costs=costs, tier="standard", summary="")


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=st.lists(batch, min_size=1, max_size=8),
       per_batch=st.floats(min_value=0.0, max_value=6.0), per_day=st.floats(min_value=0.0, max_value=10.0),
       passes=st.integers(min_value=1, max_value=4), step=st.sampled_from([600.0, 3600.0, DAY / 2]))
def test_the_guard_never_spends_over_its_caps(fleet, per_batch, per_day, passes, step):
    cfg = DeadlineGuardConfig(enabled=True, max_per_batch=per_batch, max_per_day=per_day)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "guard.db")
        try:
            asyncio.run(_run(store, cfg, fleet, passes, step))
        finally:
            store.close()


async def _run(store: Store, cfg: DeadlineGuardConfig, fleet: list[dict], passes: int, step: float) -> None:
    ids = [store.record_intent(provider="openai", profile="default", endpoint=None, model="m", label=None,
                               deadline=T0 + spec["lead"], job_id=None, parent_id=None, submitted_by="t",
                               submit_token=f"tok-{i}", request_count=10, now=T0)
           for i, spec in enumerate(fleet)]
    specs = dict(zip(ids, fleet, strict=True))
    spent_actual: dict[int, list[tuple[float, float]]] = {i: [] for i in ids}  # (when, actual)
    now = T0
    for _ in range(passes):
        conditions = [Condition(rule="deadline_risk", kind="deadline_risk", subject=f"batch:{i}", title="t",
                                why="late", batch=store.get_batch(i)) for i in ids]
        when = now

        async def promote(batch_id: int, tier: str, when: float = when) -> tuple[int, float | None, str]:
            actual = (specs[batch_id][tier] or 0.0) * specs[batch_id]["actual_share"]
            spent_actual[batch_id].append((when, actual))
            return specs[batch_id]["items"], actual, "promoted"

        await guard(store, cfg, conditions, now, estimate=lambda b: estimate_for(specs[b], b),
                    promote=promote, audit=lambda *a: None)
        now += step
    for batch_id, spends in spent_actual.items():
        assert sum(a for _, a in spends) <= cfg.max_per_batch + 1e-9
        assert alert_store.guard_spent(store.conn, batch_id=batch_id) <= cfg.max_per_batch + 1e-9
    days: dict[float, float] = {}
    for spends in spent_actual.values():
        for when, actual in spends:
            days[day_start(when)] = days.get(day_start(when), 0.0) + actual
    assert all(total <= cfg.max_per_day + 1e-9 for total in days.values())
    for day in days:
        claimed = alert_store.guard_spent(store.conn, since=day) - alert_store.guard_spent(store.conn, since=day + DAY)
        assert claimed <= cfg.max_per_day + 1e-9
