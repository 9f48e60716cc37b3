"""Attaching a tracked batch's original input file from the console (issue 14: where the
provider does not keep a batch's inputs, "the console and CLI offer to attach the original
file ..., once, for the batch"). The work is the engine's `attach_inputs`, as `batchdeck attach`."""

from __future__ import annotations

import json
from pathlib import Path

from console.tui.clock import DEMO_NOW as NOW
from console.tui.screens.detail import BatchDetailScreen
from console.tui.screens.forms import AttachScreen
from store.model import BatchStatus, RemoteBatch, RequestCounts
from tests.console.support import screen_text, settle
from tests.console.test_keys_in_one_read import ENTER, write

CUSTOM_IDS = ["ticket-3", "ticket-1", "ticket-2"]


def tracked_anthropic_batch(store) -> int:
    """A batch another pipeline submitted to Anthropic, tracked with its inputs unknown (as
    the engine marks it: Anthropic cannot give a batch's requests back)."""
    remote = RemoteBatch(provider="anthropic", provider_batch_id="msgbatch_01PipelineNightly",
                         status=BatchStatus.IN_PROGRESS, raw_status="in_progress",
                         model="claude-haiku-4-5", counts=RequestCounts(total=3, processing=3),
                         created_at=NOW - 3600, started_at=NOW - 3600, expires_at=NOW + 23 * 3600)
    batch_id, _ = store.upsert_tracked(remote, profile="default", now=NOW - 3000,
                                       submitted_by="pipeline@ci")
    store.set_batch_fields(batch_id, inputs="unknown")
    return int(batch_id)


def original_file(path: Path) -> Path:
    lines = [{"custom_id": cid, "params": {"model": "claude-haiku-4-5", "max_tokens": 64,
                                            "messages": [{"role": "user", "content": f"summarise {cid}"}]}}
             for cid in CUSTOM_IDS]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


async def open_detail(pilot, batch_id: int) -> None:
    await settle(pilot)
    pilot.app.open_batch(batch_id)
    await settle(pilot)
    assert isinstance(pilot.app.screen, BatchDetailScreen)


async def wait_for_form(pilot, *, refused: bool = False) -> AttachScreen:
    """The attach form once it is up (with `refused`: back up, showing the engine's refusal)."""
    for _ in range(300):
        await pilot.pause(0.02)
        screen = pilot.app.screen
        if isinstance(screen, AttachScreen) and (not refused or screen.error):
            await pilot.pause()
            return screen
    raise AssertionError(f"no attach form; on {type(pilot.app.screen).__name__}")


async def test_attach_gives_a_tracked_batch_its_requests_and_the_note_goes(app, store, tmp_path):
    batch_id = tracked_anthropic_batch(store)
    good = original_file(tmp_path / "nightly-input.jsonl")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_detail(pilot, batch_id)
        text = screen_text(app)
        assert "inputs unknown" in text and "i Attach inputs" in text  # the key, in the footer
        await pilot.press("i")
        form = await wait_for_form(pilot)
        write(app, str(good) + ENTER)  # typed in one burst, through the driver's parser
        await settle(pilot, actions=True)
        assert not isinstance(app.screen, AttachScreen), form
        await settle(pilot)
        batch = store.get_batch(batch_id)
        assert batch.inputs == "attached" and store.count_items(batch_id) == 3
        items = store.find_items(batch_id, CUSTOM_IDS)
        assert {i.custom_id: json.loads(i.request)["messages"][0]["content"] for i in items} == {
            cid: f"summarise {cid}" for cid in CUSTOM_IDS}
        text = screen_text(app)
        assert "inputs unknown" not in text and "Attach inputs" not in text
        assert "ticket-3" in text  # the items table shows them, in the file's order
        assert [e.action for e in store.events(limit=1)] == ["inputs.attach"]


async def test_a_bad_file_gets_one_sentence_and_changes_nothing(app, store, tmp_path):
    batch_id = tracked_anthropic_batch(store)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"custom_id": "ticket-3", "params": {"model": "m", "max_tokens": 1,
                                                                   "messages": []}}) + "\nnot json\n")
    events_before = len(store.events(limit=1000))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_detail(pilot, batch_id)
        await pilot.press("i")
        await wait_for_form(pilot)
        write(app, str(bad) + ENTER)
        form = await wait_for_form(pilot, refused=True)  # back, with the sentence and the path
        said = str(form.query_one("#attach-error").render())
        assert said == f"{bad} line 2: not a request line this provider accepts."
        assert form.query_one("#attach-path").value == str(bad)
        assert store.count_items(batch_id) == 0 and store.get_batch(batch_id).inputs == "unknown"
        assert len(store.events(limit=1000)) == events_before
        await pilot.press("escape")  # nothing attached
        await settle(pilot, actions=True)
        assert isinstance(app.screen, BatchDetailScreen)
        assert "inputs unknown" in screen_text(app)


async def test_the_key_and_palette_command_exist_only_while_inputs_are_unknown(app, store, tmp_path):
    from console.tui.palette import BatchdeckCommands

    batch_id = tracked_anthropic_batch(store)
    async with app.run_test(size=(100, 32)) as pilot:
        await open_detail(pilot, batch_id)
        screen = app.screen
        names = [name for name, _, _ in BatchdeckCommands(screen)._commands()]
        assert "Attach input file" in names
        app.pop_screen()
        await open_detail(pilot, 1)  # submitted by batchdeck: its requests are in the store
        assert app.screen.check_action("attach_inputs", ()) is False
        assert "Attach inputs" not in screen_text(app)
        names = [name for name, _, _ in BatchdeckCommands(app.screen)._commands()]
        assert "Attach input file" not in names
