"""Snapshots of every screen at the frozen demo instant (2025-06-12 03:00 UTC), 100x32 unless
stated, refresh ticks off. Update with `make snapshots-update` after checking the report."""

from __future__ import annotations

from console.tui.app import BatchdeckApp
from tests.console.support import make_app, press, settle

SIZE = (100, 32)


def keys(*sequence: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await press(pilot, *sequence)

    return run_before


def test_batches_home(snap_compare, app):
    """You should see the fleet line (7 in flight, 1,030 failed, savings), the sort
    line "sort: needs attention first ▲", and 16 batches: embeddings-backfill first with
    "⚠ 1h 20m" and "at risk", labels-q2 "at risk", the tracked batch with "—" label, and the
    newer providers beside the others (gemini with its 48 h window: "18h 00m" left after 30 h;
    mistral, groq, together)."""
    assert snap_compare(app, terminal_size=SIZE, run_before=keys())


def test_batches_80x24(snap_compare, app):
    """At 80x24 you should see a provider tag ("ope", "ant"), names cut in the middle
    ("embeddi…ackfill"), full status words ("in_progress", "✓ completed"), progress as a
    bare percentage under "Done" (no bar), Expires ("⚠ 1h 20m"), Deadline ("at risk") and
    Failed ("✗ 380"); model, counts, savings and age are dropped; and the footer."""
    assert snap_compare(app, terminal_size=(80, 24), run_before=keys())


def test_batches_needs_attention_sorted_by_expiry(snap_compare, app):
    """You should see only batches needing attention, sorted "expires soonest first ▲" with the
    ▲ on the Expires header, and "needs attention only" in the status line."""
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("n", "s"))


def test_batches_filtered(snap_compare, app):
    """You should see the filter box with "anthropic" and only the five anthropic batches."""
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=keys("slash", *"anthropic", "enter"))


def test_empty_store(snap_compare, tmp_path):
    """You should see an empty table and the hint "No batches in this store yet."."""
    from store.store import Store

    store = Store.open(tmp_path / "empty.db")
    assert snap_compare(make_app(store), terminal_size=SIZE, run_before=keys())


def test_batch_detail_with_failures(snap_compare, app):
    """You should see batch #1 support-triage: completed, lineage "children #2", a timeline,
    "failures: overloaded_error 38 (retryable) · invalid_request_error 4 (permanent)", and the
    items table filtered to status errored."""
    async def run_before(pilot) -> None:
        await settle(pilot)
        app.open_batch(1)
        await settle(pilot)
        await press(pilot, "f", "f", "f")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_batch_detail_80x24(snap_compare, app):
    """At 80x24 you should see batch #4 embeddings-backfill "⚠ 1h 20m", "at risk of expiring
    before done", and pending items with the footer."""
    async def run_before(pilot) -> None:
        await settle(pilot)
        app.open_batch(4)
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_item_inspector_literal(snap_compare, app):
    """You should see item seq 3 of batch #8 and its answer "[bold]Totally normal answer[/bold]
    ␛[31mRED ALERT…" as plain characters: nothing bold, nothing red, no screen cleared."""
    async def run_before(pilot) -> None:
        await settle(pilot)
        app.open_batch(8)
        await settle(pilot)
        await press(pilot, "down", "down", "down", "enter")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def promote_dialog(app):
    async def run_before(pilot) -> None:
        await settle(pilot)
        app.open_batch(3)
        await settle(pilot)
        await pilot.press("p")
        for _ in range(50):
            await pilot.pause(0.02)
            if type(app.screen).__name__ == "PromoteScreen":
                break
        await pilot.pause()

    return run_before


def test_promote_modal(snap_compare, app):
    """You should see "Promote 5,000 items of batch #3 to realtime", the batch's expected cost,
    "Expected: …" with its basis, "Ceiling: the most it can bill …", and three tiers flex /
    standard / priority each with "expected" cost, "vs batch" difference and "ceiling", standard
    marked "▶ ●"."""
    assert snap_compare(app, terminal_size=SIZE, run_before=promote_dialog(app))


def test_promote_modal_80x24(snap_compare, app):
    """At 80x24 you should see the whole promote dialog, its buttons included: one line of
    facts, the expected basis (two lines), the ceiling line, the running copies, the cancel
    offer, the refresh warning, three tiers each on two lines ("expected $0.39 ($0.00 vs
    batch), ceiling $0.71") and "Promote (y)" / "Cancel (n/esc)"."""
    assert snap_compare(app, terminal_size=(80, 24), run_before=promote_dialog(app))


def test_savings_by_provider(snap_compare, app):
    """You should see "Saved $3.90 …", 600 unpriced counted apart (together has no price), a bar per provider with its
    dollar value printed, and the table by provider."""
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("2"))


def test_savings_by_day(snap_compare, app):
    """You should see savings grouped by day (g pressed twice: model, then day)."""
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("2", "g", "g"))


def test_audit_log(snap_compare, app):
    """You should see ten events newest first: resubmit at 02:40 on top, submit of batch 1
    (Jun 10 21:00) at the bottom."""
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("3"))


def test_help_screen(snap_compare, app):
    """You should see every key of the Batches screen (enter, /, s, n, space, r, p, c, e, …)
    plus the global keys (1, 2, 3, t, z, ?, q)."""
    assert snap_compare(app, terminal_size=SIZE, run_before=keys("question_mark"))


def test_read_only_home(snap_compare, store):
    """You should see "READ-ONLY" in the status line and no Resubmit/Promote in the footer."""
    app: BatchdeckApp = make_app(store, read_only=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=keys())


# ---- every screen at 80x24 and 60x20 (issue 18): help and quit always in the footer ----------
SMALL, TINY = (80, 24), (60, 20)


def opened(batch_id: int, *sequence: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.open_batch(batch_id)
        await settle(pilot)
        await press(pilot, *sequence)

    return run_before


def test_batches_60x20(snap_compare, app):
    """At 60x20 you should see the fleet line on ONE line ("7 in flight · 63,254 pending ·
    1,030 failed"), the batches with every essential column one space apart: provider tag,
    8-cell names cut in the middle ("embe…ill", "supp…age" vs "supp…try"), short status
    words ("running", "done", "canceled"), "Done" percentages, Expires ("⚠ 1h 20m"),
    Deadline ("at risk") and Failed ("✗ 600"), and a footer ending "^p palette ? Keys q Quit"."""
    assert snap_compare(app, terminal_size=TINY, run_before=keys())


def test_batch_detail_60x20(snap_compare, app):
    """At 60x20 you should see batch #1's header, its items, and "? Keys q Quit" at the
    right end of the footer, after the screen's own keys."""
    assert snap_compare(app, terminal_size=TINY, run_before=opened(1))


def test_item_inspector_80x24(snap_compare, app):
    """At 80x24 you should see item seq 3 of batch #8, its literal answer, and "? Keys q Quit"."""
    assert snap_compare(app, terminal_size=SMALL, run_before=opened(8, "down", "down", "down", "enter"))


def test_item_inspector_60x20(snap_compare, app):
    """At 60x20 you should see the same item wrapped to 60 columns and "? Keys q Quit"."""
    assert snap_compare(app, terminal_size=TINY, run_before=opened(8, "down", "down", "down", "enter"))


def test_savings_by_batch_80x24(snap_compare, app):
    """At 80x24 you should see savings grouped by batch with labels ("#1 support-triage"),
    bars with dollar values, and Saved as the second column of the table."""
    assert snap_compare(app, terminal_size=SMALL, run_before=keys("2", "g", "g", "g"))


def test_savings_60x20(snap_compare, app):
    """At 60x20 you should see the Group and Saved columns of savings by provider and
    "? Keys q Quit" in the footer."""
    assert snap_compare(app, terminal_size=TINY, run_before=keys("2"))


def test_audit_log_80x24(snap_compare, app):
    """At 80x24 you should see the audit log with details in words ("requests 50,000",
    "cost <$0.01 · items 5 · tier standard", "new_batch_ids #2") and "o Operator actions only"."""
    assert snap_compare(app, terminal_size=SMALL, run_before=keys("3"))


def test_audit_log_60x20(snap_compare, app):
    """At 60x20 you should see When, Actor, Action and the start of Details, and "? Keys q Quit"."""
    assert snap_compare(app, terminal_size=TINY, run_before=keys("3"))


def test_audit_event_80x24(snap_compare, app):
    """At 80x24 you should see "Audit event 10": When 2025-06-12 02:40:00 UTC, actor, action
    resubmit (operator action), target 1, items 38, new_batch_ids #2, then the stored JSON."""
    assert snap_compare(app, terminal_size=SMALL, run_before=keys("3", "enter"))


def test_help_80x24(snap_compare, app):
    """At 80x24 you should see "Keys — Batches" (no class name), the moves line with j/k and
    g/G, R "Resubmit incl. permanent", and no "Scroll Left"."""
    assert snap_compare(app, terminal_size=SMALL, run_before=keys("question_mark"))


def test_help_detail_60x20(snap_compare, app):
    """At 60x20 you should see "Keys — Batch #4" and the detail screen's keys, scrollable."""
    assert snap_compare(app, terminal_size=TINY, run_before=opened(4, "question_mark"))


def test_cancel_dialog_80x24(snap_compare, app):
    """At 80x24 you should see "Cancel 1 batch" for #4 with what will not run, the cost line,
    and two buttons named "Cancel batch (y)" and "Keep running (n/esc)"."""
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.open_batch(4)
        await settle(pilot)
        await pilot.press("c")
        for _ in range(100):
            await pilot.pause(0.02)
            if type(pilot.app.screen).__name__ == "ConfirmScreen":
                break
        await pilot.pause()

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_attach_dialog_refused_80x24(snap_compare, app, store):
    """At 80x24 you should see "Attach the input file of batch #17" over the detail of a
    tracked anthropic batch, the path field holding "missing.jsonl", the one sentence
    "cannot read missing.jsonl: No such file or directory." under it, and the footer with
    "i Attach inputs" (shown only while the batch's inputs are unknown)."""
    from tests.console.test_attach_inputs import tracked_anthropic_batch, wait_for_form
    from tests.console.test_keys_in_one_read import ENTER, write

    batch_id = tracked_anthropic_batch(store)

    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.open_batch(batch_id)
        await settle(pilot)
        await pilot.press("i")
        await wait_for_form(pilot)
        write(pilot.app, "missing.jsonl" + ENTER)
        await wait_for_form(pilot, refused=True)

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)
