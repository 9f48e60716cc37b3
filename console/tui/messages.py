"""Messages workers post to the UI thread. Plain data only: widgets are touched on the UI side.

Refresh messages carry `can_replace`: if the UI falls behind (slow SSH link, busy loop), only the
newest snapshot of the same kind is handled (toolong's coalescing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from store.model import Batch, ErrorGroup, Event, FleetTotals, ProfileHealth, SavingsRow, SyncLease


class _Replaceable(Message):
    def can_replace(self, message: Message) -> bool:
        return type(message) is type(self)


@dataclass
class FleetLoaded(_Replaceable):
    """Every batch, the header totals and realized savings per batch, read at `now`."""

    batches: list[Batch]
    totals: FleetTotals | None
    saved: dict[int, float]
    now: float
    lease: SyncLease | None = None
    """Who syncs this store and when it last finished a pass (the heartbeat)."""
    health: list[ProfileHealth] = field(default_factory=list)
    """Each account's last success and error, for the header's freshness line."""
    waiting: dict[int, int] = field(default_factory=dict)
    """batch id -> failures not yet resubmitted or promoted (agrees with the header)."""
    wall: float | None = None
    """Real time at `now`, against which the lease and health read (None: `now`)."""

    @property
    def heartbeat_now(self) -> float:
        return self.now if self.wall is None else self.wall


@dataclass
class BatchLoaded(_Replaceable):
    """Everything the detail screen shows above its items table, plus the matching count."""

    batch: Batch | None
    parent: Batch | None
    children: list[Batch]
    history: list[tuple[float, str, str | None]]
    groups: list[ErrorGroup]
    matching: int
    now: float
    first_page: list[Any] | None = None
    """Rows of page 0, read in the same thread on first load so the UI never waits for them."""


@dataclass
class PagesLoaded(_Replaceable):
    """Fresh copies of the item pages on screen, to redraw only the rows that changed."""

    pages: dict[int, list[Any]]
    generation: int


@dataclass
class SavingsLoaded(_Replaceable):
    by: str
    rows: list[SavingsRow]
    totals: FleetTotals | None
    now: float


@dataclass
class EventsLoaded(_Replaceable):
    events: list[Event] = field(default_factory=list)


@dataclass
class ItemLoaded(_Replaceable):
    """One item with its request body, its raw result line and its batch."""

    item: Any
    raw: str | None
    batch: Batch | None
