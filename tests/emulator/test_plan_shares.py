"""The emulator's item outcomes come out at the configured rates: over many items the share
that errs is near `error_rate` and, among those, the share that is retryable is near
`retryable_share`, independently (the two draws once shared bits of one hash, so with
error_rate <= retryable_share every error came out retryable)."""

from __future__ import annotations

import pytest

from adapters.emulator.dialect import Lifecycle
from adapters.emulator.faults import Faults
from adapters.emulator.inputs import Items
from adapters.emulator.plan import ERR_PERM, ERR_RETRY, make_plan

N = 20_000
TOLERANCE = 0.03
"""Over 20,000 items the standard error of either share is under 0.006: 0.03 is over five of
them, and far below every gap the shared-bits bug made (0.075 to 0.5 in the cases below)."""


def plan_for(error_rate: float, retryable_share: float, batch_id: str = "batch_shares"):
    ids = [f"req-{i}" for i in range(N)]
    items = Items(custom_ids=ids, cid_json=[f'"{c}"' for c in ids], in_tokens=[20] * N, max_tokens=[64] * N,
                  models=["m"] * N, uses_cache=[False] * N)
    faults = Faults(error_rate=error_rate, retryable_share=retryable_share)
    return make_plan(Lifecycle(validates=False, finalizes=False), batch_id, 0.0, items, faults, seed=7)


@pytest.mark.parametrize(("error_rate", "retryable_share"), [(0.5, 0.5), (0.2, 0.5), (0.8, 0.3), (0.3, 0.9)])
def test_error_and_retryable_shares_are_near_the_configured_rates(error_rate, retryable_share):
    plan = plan_for(error_rate, retryable_share)
    retryable = plan.outcome.count(ERR_RETRY)
    permanent = plan.outcome.count(ERR_PERM)
    errored = retryable + permanent
    assert abs(errored / N - error_rate) < TOLERANCE
    assert abs(retryable / errored - retryable_share) < TOLERANCE


def test_whether_an_error_is_retryable_does_not_depend_on_when_it_finishes():
    plan = plan_for(0.5, 0.5)
    errored = [i for i in plan.order if plan.outcome[i] in (ERR_RETRY, ERR_PERM)]
    early, late = errored[: len(errored) // 2], errored[len(errored) // 2:]
    share = [sum(plan.outcome[i] == ERR_RETRY for i in half) / len(half) for half in (early, late)]
    assert abs(share[0] - share[1]) < 2 * TOLERANCE
