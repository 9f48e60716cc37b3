"""Gemini and Mistral through the engine against the emulator over a socket: submit (inline
and uploaded), track one / --all, sync and ingest (Mistral's failures in the output file and
in the error file, each counted once), the 48 h window, resubmit, promote, cancel, estimate."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from store.model import BatchStatus, ErrorClass, ItemStatus
from tests.engine.conftest import RecordingSleep, write_jsonl

HOUR = 3600.0
GEMINI_MODEL = "gemini-2.5-flash"
MISTRAL_MODEL = "mistral-small-latest"


def _factory(emulator: Any) -> Any:
    import adapters

    bases = {"openai": emulator.base_url_openai, "anthropic": emulator.base_url_anthropic,
             "gemini": emulator.base_url, "mistral": emulator.base_url_mistral}

    def factory(provider: str, profile: str | None) -> Any:
        return adapters.get_adapter(provider, api_key="test-key", base_url=bases[provider])

    return factory


@pytest.fixture
async def engine(store, emulator):
    from console.engine.service import Engine

    eng = Engine(store, None, adapter_factory=_factory(emulator), clock=emulator.emulator.now,
                 sleep=RecordingSleep(), actor="tester@host")
    yield eng
    await eng.aclose()


def gemini_lines(n: int, prefix: str = "req") -> list[dict[str, Any]]:
    return [{"custom_id": f"{prefix}-{i}", "body": {
        "contents": [{"role": "user", "parts": [{"text": f"Summarise item {i} " * 5}]}],
        "generationConfig": {"maxOutputTokens": 64}}} for i in range(n)]


def mistral_lines(n: int, prefix: str = "req") -> list[dict[str, Any]]:
    return [{"custom_id": f"{prefix}-{i}", "body": {
        "messages": [{"role": "user", "content": f"Summarise item {i} " * 5}], "max_tokens": 64}} for i in range(n)]


async def submit(engine, tmp_path, provider: str, n: int, model: str) -> int:
    lines = gemini_lines(n) if provider == "gemini" else mistral_lines(n)
    path = write_jsonl(tmp_path / f"{provider}.jsonl", lines)
    return (await engine.submit(path, provider=provider, model=model)).batch_ids[0]


async def test_a_gemini_batch_counts_down_from_48_hours_and_ingests_with_usage(engine, store, emulator, tmp_path):
    a = await submit(engine, tmp_path, "gemini", 12, GEMINI_MODEL)
    b = store.get_batch(a)
    assert b.provider_batch_id.startswith("batches/") and b.status == BatchStatus.VALIDATING
    assert b.expires_at - b.created_at == pytest.approx(48 * HOUR)
    from console.format.numbers import PLAIN
    from console.tui.cells import expiry_text

    # The console's countdown (a pure renderer given `now`) starts from the provider's 48 h.
    assert expiry_text(b, b.created_at + 60, PLAIN).plain == "1d 23h"  # not 24 h's "23h 59m"
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    done = store.get_batch(a)
    assert done.status == BatchStatus.COMPLETED and done.counts.succeeded == 12
    items = store.page_items(a, offset=0, limit=50)
    assert all(i.status == ItemStatus.SUCCEEDED and i.usage.output_tokens > 0 for i in items)
    assert store.savings(by="batch")[0].items == 12


async def test_gemini_grpc_failures_are_classified_by_their_own_table(engine, store, emulator, tmp_path):
    a = await submit(engine, tmp_path, "gemini", 30, GEMINI_MODEL)
    emulator.batch_faults(store.get_batch(a).provider_batch_id.removeprefix("batches/"), error_rate=0.5,
                          retryable_share=0.3)
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    failed = store.failed_items(a, include_permanent=True)
    assert failed and all(i.http_status is None for i in failed)  # gRPC codes are not HTTP statuses
    kinds = {(i.error_type, i.error_class) for i in failed}
    assert ("INVALID_ARGUMENT", ErrorClass.PERMANENT) in kinds
    assert any(c == ErrorClass.RETRYABLE for _, c in kinds)
    retryable = store.failed_items(a)
    assert 0 < len(retryable) < len(failed)
    result = await engine.resubmit(a)
    [child] = result.new_batch_ids
    assert store.get_batch(child).parent_id == a and store.get_batch(child).counts.total == len(retryable)


async def test_a_gemini_batch_not_done_in_48_hours_expires_and_its_items_can_be_promoted(engine, store, emulator,
                                                                                        tmp_path):
    a = await submit(engine, tmp_path, "gemini", 5, GEMINI_MODEL)
    emulator.batch_faults(store.get_batch(a).provider_batch_id.removeprefix("batches/"), expire=1.0)
    emulator.advance(47 * HOUR)
    await engine.sync_once()
    assert store.get_batch(a).status == BatchStatus.IN_PROGRESS
    result = await engine.promote(a, custom_ids=["req-0", "req-1"], tier="standard")
    assert result.promoted == 2
    emulator.advance(2 * HOUR)
    await engine.sync_once()
    assert store.get_batch(a).status == BatchStatus.EXPIRED
    statuses = {i.custom_id: i.status for i in store.page_items(a, offset=0, limit=10)}
    assert statuses["req-0"] == ItemStatus.PROMOTED and statuses["req-4"] == ItemStatus.EXPIRED


async def test_mistral_failures_in_the_output_file_show_their_http_status_and_count_once(engine, store, emulator,
                                                                                         tmp_path):
    a = await submit(engine, tmp_path, "mistral", 40, MISTRAL_MODEL)
    emulator.batch_faults(store.get_batch(a).provider_batch_id, error_rate=0.5, retryable_share=0.3)
    emulator.advance(6 * HOUR)
    report = await engine.sync_once()
    assert report.ingested == {a: 40}
    batch = store.get_batch(a)
    assert batch.status == BatchStatus.COMPLETED and batch.counts.total == 40
    items = store.page_items(a, offset=0, limit=100)
    assert len(items) == 40 and len({i.custom_id for i in items}) == 40
    failed = [i for i in items if i.status == ItemStatus.ERRORED]
    assert {i.http_status for i in failed} >= {400} and all(i.http_status >= 400 for i in failed)
    permanent = [i for i in failed if i.http_status == 400]
    assert permanent and all(i.error_class == ErrorClass.PERMANENT for i in permanent)
    result = await engine.resubmit(a)
    [child] = result.new_batch_ids
    assert store.get_batch(child).parent_id == a and store.get_batch(child).provider == "mistral"


async def test_mistral_promote_cancel_and_track_all(engine, store, emulator, tmp_path):
    a = await submit(engine, tmp_path, "mistral", 6, MISTRAL_MODEL)
    result = await engine.promote(a, custom_ids=["req-0"], tier="standard")
    assert result.promoted == 1
    emulator.advance(60)
    await engine.cancel(a)
    emulator.advance(HOUR)
    await engine.sync_once()
    assert store.get_batch(a).status == BatchStatus.CANCELED
    client = emulator.mistral_client()
    for i in range(3):
        client.batch.jobs.create(requests=[{"custom_id": f"t{i}", "body": mistral_lines(1)[0]["body"]}],
                                 endpoint="/v1/chat/completions", model=MISTRAL_MODEL)
    first = await engine.track("mistral", all=True)
    again = await engine.track("mistral", all=True)
    assert len(first.created) == 3 and again.created == [] and len(again.existing) == 4


async def test_gemini_track_one_and_all(engine, store, emulator, tmp_path):
    gem = emulator.gemini_client()
    names = [gem.batches.create(model=GEMINI_MODEL, src=[{"contents": [{"parts": [{"text": "hi"}]}]}]).name
             for _ in range(2)]
    one = await engine.track("gemini", names[0])
    assert len(one.created) == 1
    every = await engine.track("gemini", all=True)
    assert len(every.created) == 1 and len(every.existing) == 1
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    tracked = store.get_batch(every.created[0])
    assert tracked.status == BatchStatus.COMPLETED and tracked.counts.succeeded == 1
    assert tracked.expires_at - tracked.created_at == pytest.approx(48 * HOUR)


async def test_estimate_prices_gemini_and_mistral_and_plans_with_the_providers_own_window(engine, emulator, tmp_path):
    gem = write_jsonl(tmp_path / "g.jsonl", gemini_lines(10))
    mis = write_jsonl(tmp_path / "m.jsonl", mistral_lines(10))
    now = emulator.emulator.now()
    g = engine.estimate_file(gem, provider="gemini", model=GEMINI_MODEL, deadline=now + 36 * HOUR)
    m = engine.estimate_file(mis, provider="mistral", model=MISTRAL_MODEL, deadline=now + 36 * HOUR)
    costs = {c.tier: c.cost for c in g.costs}
    assert g.input_tokens > 0 and costs["batch"] and costs["standard"] == pytest.approx(2 * costs["batch"])
    assert {c.tier: c.cost for c in m.costs}["batch"] > 0
    # 36 h is beyond a 24 h window but inside Gemini's 48 h: only Mistral's batch surely makes it.
    assert m.route == "batch" and g.route == "standard" and "48 h" in g.route_reason
    assert "48 h window" in next(c.note for c in g.costs if c.tier == "batch")


async def test_a_gemini_batch_over_the_inline_limit_goes_through_a_resumable_upload(engine, store, emulator, tmp_path,
                                                                                   monkeypatch):
    from adapters.gemini import adapter as gemini_adapter

    monkeypatch.setattr(gemini_adapter, "INLINE_LIMIT", gemini_adapter.INLINE_MARGIN + 1000)
    a = await submit(engine, tmp_path, "gemini", 20, GEMINI_MODEL)
    name = store.get_batch(a).provider_batch_id
    wire = httpx.get(f"{emulator.base_url}/v1beta/{name}", headers={"x-goog-api-key": "k"}).json()
    assert wire["metadata"]["inputConfig"]["fileName"].startswith("files/")  # not inline
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    assert store.get_batch(a).counts.succeeded == 20


async def test_a_gemini_base_url_ending_in_the_sdks_v1_is_used_as_given(store, emulator, tmp_path):
    """google-genai 3.6.1 sends /v1/... unless pinned; a GEMINI_BASE_URL copied from such a
    client (or from the reference's .../v1beta) names its version, and it is not appended twice."""
    import adapters
    from adapters.gemini.adapter import API_VERSION, split_version
    from console.engine.service import Engine

    assert split_version("https://generativelanguage.googleapis.com/v1beta/") == (
        "https://generativelanguage.googleapis.com", "v1beta")
    assert split_version("http://127.0.0.1:9") == ("http://127.0.0.1:9", API_VERSION)
    made = []

    def factory(provider: str, profile: str | None) -> Any:
        made.append(adapters.get_adapter(provider, api_key="test-key", base_url=emulator.base_url + "/v1/"))
        return made[-1]

    eng = Engine(store, None, adapter_factory=factory, clock=emulator.emulator.now, sleep=RecordingSleep(),
                 actor="tester@host")
    try:
        a = await submit(eng, tmp_path, "gemini", 3, GEMINI_MODEL)
        emulator.advance(6 * HOUR)
        await eng.sync_once()
    finally:
        await eng.aclose()
    assert {(m.root, m.version) for m in made} == {(emulator.base_url, "v1")}
    assert store.get_batch(a).counts.succeeded == 3


def test_credentials_gemini_reads_google_api_key_and_appends_nothing_to_the_host_root(monkeypatch):
    import adapters

    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.setenv("GOOGLE_API_KEY", "g-key")
    monkeypatch.setenv("GEMINI_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("MISTRAL_API_KEY", "m-key")
    monkeypatch.setenv("MISTRAL_BASE_URL", "https://api.eu.mistral.ai")
    gem = adapters.get_adapter("gemini")
    mis = adapters.get_adapter("mistral")
    assert gem.root == "http://127.0.0.1:9" and gem.http.client.headers["x-goog-api-key"] == "g-key"
    assert str(mis.http.client.base_url).rstrip("/") == "https://api.eu.mistral.ai/v1"
    assert gem.capabilities.windows == ("48h",)


async def test_the_demo_fleets_gemini_and_mistral_batches_submit_and_finish(engine, store, emulator, tmp_path):
    from console.demo.fleet import TONIGHT, write_requests

    for spec in (s for s in TONIGHT if s.provider in ("gemini", "mistral")):
        path = write_requests(spec, tmp_path)
        [bid] = (await engine.submit(path, provider=spec.provider, label=spec.label)).batch_ids
        assert store.get_batch(bid).counts.total == spec.size
    emulator.advance(40 * HOUR)
    await engine.sync_once()
    done = [b for b in store.list_batches() if b.provider in ("gemini", "mistral")]
    assert len(done) == 2 and all(b.status == BatchStatus.COMPLETED for b in done)


async def test_gemini_cached_tokens_in_batch_cost_the_standard_cached_price_and_items_are_priced(
        engine, store, emulator, tmp_path):
    from store.ledger import cost
    from store.model import PriceTier, Usage

    row = store.price_for("gemini", GEMINI_MODEL)
    cached = Usage(cache_read_tokens=1_000_000)
    # 2.5 models: caching and the batch discount do not multiply (reference §4.7, §11).
    assert cost(cached, row, PriceTier.BATCH) == pytest.approx(cost(cached, row, PriceTier.STANDARD))
    plain = Usage(input_tokens=1_000_000)
    assert cost(plain, row, PriceTier.BATCH) == pytest.approx(cost(plain, row, PriceTier.STANDARD) / 2)
    a = await submit(engine, tmp_path, "gemini", 4, GEMINI_MODEL)
    b = await submit(engine, tmp_path, "mistral", 4, MISTRAL_MODEL)
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    for batch_id in (a, b):
        items = store.page_items(batch_id, offset=0, limit=10)
        assert all(i.batch_cost is not None and i.batch_cost > 0 for i in items)
    by_provider = {r.key: r for r in store.savings(by="provider")}
    assert by_provider["gemini"].items == 4 and by_provider["mistral"].items == 4


async def test_the_console_shows_gemini_and_mistral_beside_the_others(engine, store, emulator, tmp_path):
    from console.tui.app import BatchdeckApp
    from console.tui.clock import Clock
    from tests.console.support import SIZE, screen_text, settle

    g = await submit(engine, tmp_path, "gemini", 6, GEMINI_MODEL)
    emulator.batch_faults(store.get_batch(g).provider_batch_id.removeprefix("batches/"), duration=40 * HOUR)
    m = await submit(engine, tmp_path, "mistral", 6, MISTRAL_MODEL)
    emulator.advance(6 * HOUR)
    await engine.sync_once()
    assert store.get_batch(m).status == BatchStatus.COMPLETED
    seen_at = store.get_batch(g).created_at + 6 * HOUR - 60  # 41 h 59 m before its 48 h expiry
    app = BatchdeckApp(store, engine=lambda: engine, clock=Clock(seen_at), utc=True, refresh_interval=None)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(50):  # until the table's rows have painted
            await settle(pilot)
            text = screen_text(app)
            if "mistral" in text:
                break
    assert "gemini" in text and "mistral" in text
    assert "1d 18h" in text  # Gemini's 48 h window, 6 h in (a 24 h one would say 18h 01m)


async def test_a_mistral_window_is_its_timeout_hours_and_a_gemini_window_only_48h(engine, store, emulator, tmp_path):
    from console.engine.types import BadInput

    path = write_jsonl(tmp_path / "m.jsonl", mistral_lines(3))
    [a] = (await engine.submit(path, provider="mistral", model=MISTRAL_MODEL, window="6h")).batch_ids
    b = store.get_batch(a)
    assert b.expires_at - b.created_at == pytest.approx(6 * HOUR)
    emulator.batch_faults(b.provider_batch_id, expire=1.0)
    emulator.advance(6 * HOUR + 1)
    await engine.sync_once()
    assert store.get_batch(a).status == BatchStatus.EXPIRED  # TIMEOUT_EXCEEDED
    gem = write_jsonl(tmp_path / "g.jsonl", gemini_lines(3))
    with pytest.raises(BadInput, match="48h"):
        await engine.submit(gem, provider="gemini", model=GEMINI_MODEL, window="24h")
