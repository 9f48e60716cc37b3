"""Pilot tests for every operator action, against the built-in provider emulator.

Each test drives the console with keys, answers the confirmation dialog (or backs out), and
then asserts on the store: new linked batches, items marked, audit events written — or,
when the dialog was cancelled or the console is read-only, that nothing changed at all.
"""

from __future__ import annotations

import json

import pytest

from console.tui.clock import DEMO_NOW
from console.tui.screens.confirm import ConfirmScreen
from console.tui.screens.detail import BatchDetailScreen
from console.tui.screens.forms import ExportScreen, TrackScreen
from console.tui.screens.promote import PromoteScreen
from store.model import ItemStatus
from tests.console.support import SIZE, make_app, press, screen_text, settle


@pytest.fixture(scope="module")
def emulator():
    from adapters.emulator.testing import running_emulator

    with running_emulator(seed=11, start_time=DEMO_NOW) as emu:
        yield emu


@pytest.fixture
def provider_env(emulator, monkeypatch):
    """Point the engine's adapters at the emulator with throwaway keys."""
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url_openai)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-console")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", emulator.base_url_anthropic)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-console")
    return emulator


async def wait_for_screen(pilot, kind: type, tries: int = 200):
    for _ in range(tries):
        if isinstance(pilot.app.screen, kind):
            return pilot.app.screen
        await pilot.pause(0.02)
    raise AssertionError(f"{kind.__name__} never appeared; screen is {type(pilot.app.screen).__name__}")


def events(store, action: str) -> list:
    return [e for e in store.events(limit=500) if e.action == action]


async def open_detail(pilot, batch_id: int) -> BatchDetailScreen:
    pilot.app.open_batch(batch_id)
    await settle(pilot)
    return await wait_for_screen(pilot, BatchDetailScreen)


# ---- resubmit ---------------------------------------------------------------------------
async def test_resubmit_confirmed_creates_linked_batch(store, provider_env):
    app = make_app(store)
    before = len(events(store, "resubmit"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_detail(pilot, 5)  # doc-summaries: 600 expired items, retryable
        await pilot.press("r")
        dialog = await wait_for_screen(pilot, ConfirmScreen)
        assert "600" in dialog.title_text
        # Both figures named in the one cost sentence (branch ceilings).
        assert dialog.cost.startswith("expected $") and "at batch prices; ceiling $" in dialog.cost
        await pilot.press("y")
        await settle(pilot, actions=True)
    children = store.children(5)
    assert len(children) == 1 and children[0].parent_id == 5
    assert store.count_items(5, status=ItemStatus.RESUBMITTED) == 600
    assert store.count_items(children[0].id) == 600
    assert len(events(store, "resubmit")) == before + 1


async def test_resubmit_dialog_cancelled_changes_nothing(store):
    app = make_app(store)
    before = store.events(limit=500)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_detail(pilot, 5)
        await pilot.press("r")
        await wait_for_screen(pilot, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot, actions=True)
        assert isinstance(app.screen, BatchDetailScreen)
    assert store.children(5) == []
    assert store.count_items(5, status=ItemStatus.RESUBMITTED) == 0
    # Nothing changed but the audit log: a declined action is an audit event (issue 15, item 6).
    [declined, *rest] = store.events(limit=500)
    assert rest == before and declined.action == "resubmit.declined" and declined.target == "5"


# ---- promote ----------------------------------------------------------------------------
async def test_promote_selected_items_at_flex(store, provider_env):
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_detail(pilot, 3)  # nightly-evals: pending items
        await press(pilot, "space", "space")  # select the first two items
        await pilot.press("p")
        dialog = await wait_for_screen(pilot, PromoteScreen)
        assert dialog.items == 2
        assert [t for t, *_ in dialog.tiers] == ["flex", "standard", "priority"]
        await pilot.press("1", "y")  # flex
        await settle(pilot, actions=True)
    promoted = store.page_items(3, offset=0, limit=2)
    assert [i.status for i in promoted] == [ItemStatus.PROMOTED, ItemStatus.PROMOTED]
    assert all(i.promoted_tier == "flex" for i in promoted)
    assert store.count_items(3, status=ItemStatus.PROMOTED) == 2
    assert events(store, "promote")[0].details.get("tier") == "flex"


async def test_promote_dialog_names_expected_and_ceiling_and_the_running_batch_copies(store, provider_env):
    """The console dialog says what the command line says: the expected cost and the ceiling,
    each named, and that the batch copies keep running and are billed too."""
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_detail(pilot, 3)
        await press(pilot, "space", "space")
        await pilot.press("p")
        dialog = await wait_for_screen(pilot, PromoteScreen)
        # Changed on purpose (branch ceilings): each tier names its expected cost and its ceiling
        # (the bound of console.engine.ceiling), and the notes say what each figure rests on.
        assert any(n.startswith("Expected: about ") and "output tokens per item" in n for n in dialog.notes)
        assert "Ceiling: the most it can bill (every output limit used in full)." in dialog.notes
        assert set(dialog.ceilings) == {"flex", "standard", "priority"}
        assert all(c.startswith("$") for c in dialog.ceilings.values()), dialog.ceilings
        shown = screen_text(app)
        assert "standard expected " in shown and "), ceiling $" in shown, shown
        assert any("keep running; billed too if they finish" in n for n in dialog.notes), dialog.notes
        await pilot.press("1", "y")
        await settle(pilot, actions=True)
    first = store.page_items(3, offset=0, limit=1)[0]
    assert first.status == ItemStatus.PROMOTED
    assert store.realtime_answer(first.id) is not None  # what the item inspector shows

async def test_promote_dialog_says_which_items_have_no_ceiling(store):
    """Items whose requests set no max_tokens have no ceiling: the dialog says so in words and
    shows no tier a figure for the whole promote (never the 256-token guess priced as a bound)."""
    [first, second, *_] = store.page_items(3, offset=0, limit=3)
    for item in (first, second):
        body = json.loads(store.conn.execute("SELECT body FROM item_requests WHERE item_id = ?",
                                             (item.id,)).fetchone()[0])
        assert body.pop("max_completion_tokens", None) is not None
        with store.conn:
            store.conn.execute("UPDATE item_requests SET body = ? WHERE item_id = ?", (json.dumps(body), item.id))
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_detail(pilot, 3)
        await press(pilot, "space", "space", "space")  # two items without max_tokens, one with
        await pilot.press("p")
        dialog = await wait_for_screen(pilot, PromoteScreen)
        [note] = [n for n in dialog.notes if n.startswith("Ceiling: ")]
        assert note.startswith("Ceiling: none for 2 of 3 items (no max_tokens); the other 1: flex $"), note
        assert ", standard $" in note and ", priority $" in note
        assert dialog.ceilings == {"flex": "none", "standard": "none", "priority": "none"}
        assert "), ceiling none" in screen_text(app)
        await pilot.press("n")
        await settle(pilot, actions=True)
    assert store.count_items(3, status=ItemStatus.PROMOTED) == 0


async def test_promote_escape_sends_nothing_and_the_decline_is_an_audit_event(store):
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_detail(pilot, 3)
        await pilot.press("p")
        await wait_for_screen(pilot, PromoteScreen)
        await pilot.press("escape")
        await settle(pilot, actions=True)
    assert store.count_items(3, status=ItemStatus.PROMOTED) == 0
    assert len(events(store, "promote")) == 1  # only the seeded one
    [declined] = events(store, "promote.declined")
    assert declined.target == "3" and declined.details["items"] > 0


# ---- cancel -----------------------------------------------------------------------------
async def test_cancel_batch_confirmed(store, provider_env, tmp_path):
    from tests.console.support import make_engine

    requests = tmp_path / "req.jsonl"
    requests.write_text("".join(json.dumps({"custom_id": f"c{i}", "method": "POST",
                                            "url": "/v1/chat/completions",
                                            "body": {"model": "gpt-4o-mini", "max_tokens": 20,
                                                     "messages": [{"role": "user", "content": "hi"}]}})
                                + "\n" for i in range(3)))
    engine = make_engine(store)
    submitted = await engine.submit(requests, provider="openai", label="to-cancel")
    await engine.aclose()
    batch_id = submitted.batch_ids[0]
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_detail(pilot, batch_id)
        await pilot.press("c")
        await wait_for_screen(pilot, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, actions=True)
    assert store.get_batch(batch_id).status in ("canceling", "canceled")
    assert events(store, "cancel")[0].target in (str(batch_id), f"#{batch_id}",
                                                  store.get_batch(batch_id).provider_batch_id)


async def test_cancel_dialog_cancelled(store):
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_detail(pilot, 3)
        await pilot.press("c")
        await wait_for_screen(pilot, ConfirmScreen)
        await pilot.press("escape")
        await settle(pilot, actions=True)
    assert store.get_batch(3).status == "in_progress"
    assert len(events(store, "cancel")) == 1  # the seeded one only


# ---- track and export -----------------------------------------------------------------------
async def test_track_by_id(store, provider_env):
    client = provider_env.openai_client(api_key="sk-test-console", max_retries=0)
    line = (b'{"custom_id":"a","method":"POST","url":"/v1/chat/completions",'
            b'"body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}}\n')
    upload = client.files.create(file=("x.jsonl", line), purpose="batch")
    remote = client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions",
                                   completion_window="24h")
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await wait_for_screen(pilot, TrackScreen)
        await pilot.press(*remote.id, "enter")
        await settle(pilot, actions=True)
    tracked = store.get_batch(remote.id)
    assert tracked is not None and tracked.tracked
    assert events(store, "track")[0].action == "track"


async def test_export_writes_file(store, tmp_path):
    out = tmp_path / "export.jsonl"
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_detail(pilot, 1)
        await pilot.press("e")
        dialog = await wait_for_screen(pilot, ExportScreen)
        dialog.query_one("#path").value = str(out)
        await pilot.press("enter")
        await settle(pilot, actions=True)
    assert len(out.read_text().splitlines()) == 1200
    assert events(store, "export")


# ---- read-only ------------------------------------------------------------------------
async def test_read_only_refuses_and_hides(store):
    app = make_app(store, read_only=True)
    before = store.events(limit=500)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "Resubmit" not in footer and "Promote" not in footer
        await open_detail(pilot, 5)
        for key in ("r", "p", "c"):
            await pilot.press(key)
            await settle(pilot, actions=True)
            assert isinstance(app.screen, BatchDetailScreen)  # no dialog opened
        assert any("Read-only" in str(n.message) for n in app._notifications)
    assert store.events(limit=500) == before
    assert store.children(5) == []


async def test_the_item_inspector_shows_the_realtime_answer_a_promotion_paid_for(store):
    from console.tui.screens.inspector import ItemInspectorScreen
    from store.answers import RealtimeAnswer
    from store.model import ItemResult, PriceTier, Usage

    [item] = store.page_items(3, offset=0, limit=1)
    body = {"id": "chatcmpl-rt", "object": "chat.completion", "model": "gpt-6-luna",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "paid realtime answer"}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}
    store.record_promotion(item.id, ItemResult(item.custom_id, ItemStatus.SUCCEEDED, usage=Usage(5, 3)),
                           promoted_cost=0.001, realtime_cost=0.001, tier=PriceTier.STANDARD, now=1.0,
                           answer=RealtimeAnswer(json.dumps(body), "standard"))
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ItemInspectorScreen(item.id))
        await settle(pilot)
        assert "paid realtime answer" in screen_text(app)
