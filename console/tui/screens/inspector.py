"""Item inspector: request, response or error, usage, costs, replacement links.

Everything here came from a model or a provider, so everything is built as `Text` from
`console.tui.literal` (never markup), with control characters shown as visible stand-ins:
a response containing `[bold]` or `\\x1b[2J` reads as those characters and changes nothing.
`y` / `Y` copy the raw response / request through OSC 52, which works over SSH.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from console.format.numbers import fmt_int, fmt_money
from console.tui.literal import answer_of, literal, pretty_json
from console.tui.messages import ItemLoaded
from console.tui.widgets.activity import ActivityBar
from console.tui.widgets.keys_footer import KeysFooter


def facts_text(item: Any, batch: Any) -> Text:
    """The item's fields as literal text, `—` for anything missing."""
    t = Text()
    t.append(f"item seq {fmt_int(item.seq)} of batch #{item.batch_id}", style="bold")
    t.append(" · custom_id ")
    t.append_text(literal(item.custom_id))
    t.append(" · status ")
    t.append_text(literal(item.status, style="bold"))
    t.append("\nmodel ")
    t.append_text(literal(item.model or getattr(batch, "model", None)))
    if item.error_type or item.error_message:
        t.append("\nerror ")
        t.append_text(literal(item.error_type))
        t.append(f" ({item.error_class or 'unclassified'}, HTTP {fmt_int(item.http_status)}): ")
        t.append_text(literal(item.error_message))
    u = item.usage
    t.append("\ntokens ")
    if u is None:
        t.append("—")
    else:
        t.append(f"in {fmt_int(u.input_tokens)} · out {fmt_int(u.output_tokens)} · "
                 f"cache read {fmt_int(u.cache_read_tokens)} · cache write {fmt_int(u.cache_write_tokens)}")
    t.append(f"\ncost batch {fmt_money(item.batch_cost)} · realtime-equivalent "
             f"{fmt_money(item.realtime_cost)} · promoted {fmt_money(item.promoted_cost)}")
    tier = getattr(item, "promoted_tier", None)
    if tier:
        t.append_text(literal(f" ({tier})"))
    t.append(f" · saved {fmt_money(item.savings)}")
    if item.replaced_by is not None:
        t.append(f"\nreplaced by item {item.replaced_by} (o opens it)")
    if item.replaces is not None:
        t.append(f"\nreplaces item {item.replaces} (u opens it)")
    return t


class ItemInspectorScreen(Screen):
    """One item, scrollable; `item_id` is the local item id."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("y", "copy('response')", "Copy response", id="copy_response"),
        Binding("Y", "copy('request')", "Copy request", id="copy_request"),
        Binding("o", "replacement", "Open replacement", show=False, id="replacement"),
        Binding("u", "original", "Open original", show=False, id="original"),
    ]

    def __init__(self, item_id: int) -> None:
        super().__init__()
        self.item_id = item_id
        self.help_title = "Item inspector"
        self.loaded: ItemLoaded | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="inspector"):
            yield Static(Text(f"item {self.item_id} — loading…"), id="facts")
            yield Static(Text("Answer (decoded; control characters shown as ␛ ␇ …)", style="bold"),
                         classes="section")
            yield Static("", id="answer", classes="json")
            yield Static(Text("Request", style="bold"), classes="section")
            yield Static("", id="request", classes="json")
            yield Static(Text("Response or error (raw result line)", style="bold"), classes="section")
            yield Static("", id="response", classes="json")
        yield ActivityBar()
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#inspector").focus()
        self.load()

    @work(thread=True, exclusive=True, group="inspector", exit_on_error=False,
          description="read item")
    def load(self) -> None:
        store = self.app.store
        item = store.get_item(self.item_id)
        raw = store.raw_result(item) if item is not None else None
        if item is not None and item.status == "promoted":
            # The answer a promotion paid for is the item's answer (its batch copy, if any,
            # was not counted); the store keeps it with the promotion.
            paid = store.realtime_answer(item.id)
            if paid is not None:
                raw = realtime_line(paid.response)
        batch = store.get_batch(item.batch_id) if item is not None else None
        self.post_message(ItemLoaded(item, raw, batch))

    @on(ItemLoaded)
    def _show(self, message: ItemLoaded) -> None:
        self.loaded = message
        item = message.item
        if item is None:
            self.query_one("#facts", Static).update(Text(f"Item {self.item_id} is not in this store."))
            return
        self.query_one("#facts", Static).update(facts_text(item, message.batch))
        answer = answer_of(message.raw)
        self.query_one("#answer", Static).update(
            literal(answer, multiline=True) if answer is not None else Text("—"))
        self.query_one("#request", Static).update(
            pretty_json(item.request, highlight=self.app.coloured) if item.request
            else Text("— (request body not stored)"))
        self.query_one("#response", Static).update(
            pretty_json(message.raw, highlight=self.app.coloured) if message.raw
            else Text("— (no result yet, or results not downloaded)"))

    def action_copy(self, what: str) -> None:
        m = self.loaded
        body = None if m is None or m.item is None else (m.raw if what == "response" else m.item.request)
        if not body:
            self.notify(f"No {what} to copy.", severity="warning")
            return
        self.app.copy_to_clipboard(body)
        self.notify(f"Copied the {what} ({len(body):,} characters) to the clipboard (OSC 52).")

    def action_replacement(self) -> None:
        item = self.loaded.item if self.loaded else None
        if item is not None and item.replaced_by is not None:
            self.app.open_item(item.replaced_by)
        else:
            self.notify("This item has not been replaced.")

    def action_original(self) -> None:
        item = self.loaded.item if self.loaded else None
        if item is not None and item.replaces is not None:
            self.app.open_item(item.replaces)
        else:
            self.notify("This item is not a replacement.")


def realtime_line(response: str) -> str:
    """A realtime response body in the shape of a batch result line (either provider's), so
    the answer and response panes read it like any other result."""
    try:
        body = json.loads(response)
    except ValueError:
        return response
    return json.dumps({"source": "realtime", "response": {"body": body}, "result": {"message": body}},
                      ensure_ascii=False)

