"""The console keeps itself current: it syncs in the background (holding the store's lease),
and its header says how fresh the data is, turning to a warning when a provider fails."""

from __future__ import annotations

import asyncio

from console.tui.app import BatchdeckApp
from console.tui.clock import Clock
from store import Store
from store.model import BatchStatus, RemoteBatch, RequestCounts

T0 = 1_800_000_000.0
DEAD = "http://127.0.0.1:9/v1"  # the discard port: nothing listens, every call is refused


async def no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


def store_with_a_pipeline_batch(path):
    """A store holding one in-flight batch a pipeline submitted (tracked, not ours)."""
    store = Store.open(path)
    store.upsert_tracked(RemoteBatch("openai", "batch_pipeline_1", BatchStatus.IN_PROGRESS, "in_progress",
                                     counts=RequestCounts(total=10, processing=10), created_at=T0 - 600,
                                     expires_at=T0 + 80_000), profile="default", now=T0 - 600)
    return store

def status_line(app: BatchdeckApp) -> str:
    """The status line and, when shown, the warning line under it."""
    banner = app.screen.query_one("#freshness")
    return str(app.screen.query_one("#status-line").render()) + (
        "\n" + str(banner.render()) if banner.display else "")


async def test_a_console_against_an_unreachable_provider_warns_within_a_minute(tmp_path):
    import adapters
    from console.engine.service import Engine

    store = store_with_a_pipeline_batch(tmp_path / "live.db")
    clock = Clock(T0)
    engine = Engine(store, None, clock=clock.now, sleep=no_wait, actor="ops@console",
                    adapter_factory=lambda provider, profile: adapters.get_adapter(provider, api_key="k",
                                                                                   base_url=DEAD))
    app = BatchdeckApp(store, engine=engine, clock=clock, utc=True, refresh_interval=0.2)
    app.syncs = True
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(100):  # the first pass runs at once; allow 20 s of real time at most
                await pilot.pause(0.2)
                if "unreachable" in status_line(app):
                    break
            assert "openai:default unreachable for 0s — retrying" in status_line(app)
            lease = store.read_lease()
            assert lease is not None and lease.who == "ops@console"
            clock.frozen = T0 + 180  # three minutes later, still failing
            for _ in range(50):
                await pilot.pause(0.2)
                if "for 3m" in status_line(app):
                    break
            assert "openai:default unreachable for 3m — retrying" in status_line(app)
    finally:
        store.close()


async def test_the_header_says_how_long_ago_the_last_pass_finished(tmp_path):
    store = Store.open(tmp_path / "quiet.db")
    clock = Clock(T0)
    holder = store.take_lease(holder="svc", who="ops@ops-host", host="ops-host", pid=1, now=T0 - 20, ttl=90)
    store.record_sync_pass(holder=holder.holder, now=T0 - 8)
    app = BatchdeckApp(store, clock=clock, utc=True, refresh_interval=None)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause(0.3)
            assert "· synced 8s ago ·" in status_line(app)
            clock.frozen = T0 + 600  # the service stopped renewing: the data is stale
            app.refresh_now()
            await pilot.pause(0.3)
            assert "no sync running" in status_line(app)
    finally:
        store.close()


async def test_a_batch_another_client_created_appears_in_an_open_console_named_with_its_items(tmp_path, monkeypatch):
    from adapters.emulator.testing import running_emulator
    from console.compose import build_engine
    from console.tui.widgets.batch_table import BatchTable
    from tests.engine.test_discover import other_client_openai_batch

    with running_emulator(seed=5) as emu:
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url_openai)
        store = Store.open(tmp_path / "console.db")
        clock = Clock(None)
        def engine():
            built = build_engine(store)
            built.poll_scale = 0.05  # discovery every 1.5 s instead of 30 s: the same loop, faster
            return built

        app = BatchdeckApp(store, engine=engine, clock=clock, utc=True, refresh_interval=0.2)
        app.syncs = True
        try:
            async with app.run_test(size=(120, 30)) as pilot:
                await pilot.pause(0.5)
                pid = other_client_openai_batch(emu, n=4, metadata={"job": "nightly-rerank"})
                table = app.screen.query_one(BatchTable)
                for _ in range(300):  # the console's own sync discovers it (first pass, or the next)
                    await pilot.pause(0.2)
                    if table.order:
                        break
                batch = store.get_batch(pid)
                assert batch is not None and table.order == [batch.id]
                assert table.cells[batch.id]["label"].plain == "nightly-rerank"
                for _ in range(100):
                    await pilot.pause(0.2)
                    if store.count_items(batch.id) == 4:
                        break
                assert [i.custom_id for i in store.page_items(batch.id, offset=0, limit=10)] == [
                    "p-0", "p-1", "p-2", "p-3"]
                assert "synced" in status_line(app)
        finally:
            store.close()
