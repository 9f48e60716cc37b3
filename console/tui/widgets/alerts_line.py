"""A one-line strip under the fleet totals naming the alerts firing now; hidden when none.

The syncing engine decides and sends alerts (console/engine/alerts); this only reads their
state from the store, in a thread, each time the fleet watcher brings a new snapshot. The text
is built by `alerts_text`, a pure function, and shown literally (titles quote batch labels).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Static

from console.tui.literal import clean

if TYPE_CHECKING:
    from store.store import Store


def alerts_text(titles: Sequence[str], width: int = 78) -> Text:
    """`2 alerts firing: batch 14 nightly (openai) expired · openai (default) unreachable for 20m`."""
    if not titles:
        return Text()
    head = f"{len(titles)} alert{'s' if len(titles) != 1 else ''} firing: "
    body = " · ".join(clean(t) for t in titles)
    line = head + body
    if len(line) > width:
        line = line[: max(len(head), width - 1)] + "…"
    text = Text(line)
    text.stylize("bold", 0, len(head))
    return text


class AlertsLine(Static):
    """Active alerts, read from the store whenever the fleet snapshot changes.

    Posts `AlertsLine.Read` with the ids of the batches alerts name, so the screen can count
    them as needing attention."""

    class Read(Message):
        def __init__(self, batch_ids: frozenset[int]) -> None:
            super().__init__()
            self.batch_ids = batch_ids

    DEFAULT_CSS = """
    AlertsLine { height: 1; color: $text; display: none; }
    AlertsLine.-firing { display: block; }
    """

    def on_mount(self) -> None:
        self.app.fleet_signal.subscribe(self, lambda _snapshot: self.read_alerts())  # type: ignore[attr-defined]
        self.read_alerts()

    @work(thread=True, exclusive=True, group="alerts", exit_on_error=False, description="read alerts")
    def read_alerts(self) -> None:
        from console.engine.alerts.run import active_alerts

        store: Store | None = getattr(self.app, "store", None)
        if store is None:
            return
        try:
            rows = active_alerts(store)
        except Exception:  # noqa: BLE001 - a store without the alerts table yet: show nothing
            rows = []
        ids = frozenset(r.batch_id for r in rows if r.batch_id is not None)
        self.app.call_from_thread(self._show, [r.title for r in rows], ids)

    def _show(self, titles: list[str], batch_ids: frozenset[int]) -> None:
        self.set_class(bool(titles), "-firing")
        self.update(alerts_text(titles, max(20, self.size.width or 78)))
        self.post_message(self.Read(batch_ids))
