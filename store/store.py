"""The Store: one SQLite file, opened per thread, with every write and read batchdeck needs.

CONTRACT SKELETON — the store engineer fills in the bodies; other rooms code against these
signatures and docstrings. Keep names and meanings; add methods freely.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from store.model import (
    Batch,
    BatchStatus,
    ErrorGroup,
    Event,
    FleetTotals,
    IngestStats,
    Item,
    ItemResult,
    ItemStatus,
    PriceTier,
    RemoteBatch,
    SavingsRow,
)


class StoreError(Exception):
    """A store that cannot be opened or used; the message is one clear sentence with a hint."""


class Store:
    """A batchdeck database. Thread-safe: each thread gets its own sqlite3 connection."""

    path: Path

    # ---- lifecycle -------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path | None = None) -> "Store":
        """Open (creating 0600 if missing) and migrate. Path: arg, BATCHDECK_DB, XDG default.

        WAL journal, busy timeout, foreign keys on. Raises StoreError for a corrupt file or one
        written by a newer schema (refused, never modified).
        """
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # ---- batches ---------------------------------------------------------------------
    def record_intent(
        self,
        *,
        provider: str,
        profile: str,
        endpoint: str | None,
        model: str | None,
        label: str | None,
        deadline: float | None,
        job_id: str | None,
        parent_id: int | None,
        submitted_by: str,
        submit_token: str,
        request_count: int,
        now: float,
    ) -> int:
        """Insert a batch in status SUBMITTING before the provider is called; return its id."""
        raise NotImplementedError

    def attach_remote(self, batch_id: int, remote: RemoteBatch, *, now: float) -> None:
        """The provider accepted an intent: store its id, status, timestamps, file ids."""
        raise NotImplementedError

    def update_from_remote(
        self, batch_id: int, remote: RemoteBatch, *, now: float
    ) -> tuple[BatchStatus, BatchStatus]:
        """Apply a poll; return (old, new) status. Appends to the status timeline on change."""
        raise NotImplementedError

    def upsert_tracked(
        self, remote: RemoteBatch, *, profile: str, now: float, submitted_by: str | None = None
    ) -> tuple[int, bool]:
        """Track a batch someone else submitted. Idempotent on (provider, provider_batch_id).

        Returns (local id, created).
        """
        raise NotImplementedError

    def set_batch_fields(self, batch_id: int, **fields: Any) -> None:
        """Update plain columns (status, label, deadline, results_path, errors, ...)."""
        raise NotImplementedError

    def get_batch(self, ref: int | str) -> Batch | None:
        """A batch by local id (int or digit string) or by provider batch id."""
        raise NotImplementedError

    def list_batches(
        self,
        *,
        status: str | Iterable[str] | None = None,
        provider: str | None = None,
        label: str | None = None,
        active_only: bool = False,
    ) -> list[Batch]:
        """Batches newest first, filtered."""
        raise NotImplementedError

    def batches_to_sync(self) -> list[Batch]:
        """Non-terminal batches with a provider id, and terminal ones whose results are not ingested."""
        raise NotImplementedError

    def pending_intents(self) -> list[Batch]:
        """Batches still SUBMITTING (crash between intent and provider answer): reconcile these."""
        raise NotImplementedError

    def children(self, batch_id: int) -> list[Batch]:
        """Batches resubmitted from this one."""
        raise NotImplementedError

    def status_history(self, batch_id: int) -> list[tuple[float, str, str | None]]:
        """(at, normalized status, raw status) in time order."""
        raise NotImplementedError

    # ---- items -----------------------------------------------------------------------
    def add_items(self, batch_id: int, requests: Iterable[tuple[str, str]]) -> int:
        """Insert PENDING items (custom_id, request JSON text) in order (seq 0..n-1)."""
        raise NotImplementedError

    def ingest_results(
        self, batch_id: int, results: Iterable[ItemResult], *, results_path: str | None, now: float
    ) -> IngestStats:
        """Apply result lines, idempotently (re-running after a crash yields the same rows).

        Creates items missing for tracked batches, computes batch and realtime-equivalent cost
        from the price book (unpriced => NULL, counted apart), keeps PROMOTED/RESUBMITTED
        statuses (a promoted item's batch copy is recorded but not counted as a second output),
        and maintains the savings rollups. Streams: memory does not grow with the input.
        """
        raise NotImplementedError

    def mark_ingested(self, batch_id: int, *, now: float) -> None:
        """Results fully ingested: recount the batch's items into its counts."""
        raise NotImplementedError

    def count_items(
        self, batch_id: int, *, status: str | None = None, error_type: str | None = None
    ) -> int:
        raise NotImplementedError

    def page_items(
        self,
        batch_id: int,
        *,
        offset: int,
        limit: int,
        status: str | None = None,
        error_type: str | None = None,
    ) -> list[Item]:
        """Rows [offset, offset+limit) in original order; cost independent of batch size.

        The request body is not loaded (Item.request is None); use get_item for that.
        """
        raise NotImplementedError

    def get_item(self, item_id: int) -> Item | None:
        """One item with its request body."""
        raise NotImplementedError

    def find_items(self, batch_id: int, custom_ids: Iterable[str]) -> list[Item]:
        raise NotImplementedError

    def failed_items(self, batch_id: int, *, include_permanent: bool = False) -> list[Item]:
        """Errored/expired/canceled items not yet replaced; retryable only unless asked."""
        raise NotImplementedError

    def error_groups(self, batch_id: int) -> list[ErrorGroup]:
        raise NotImplementedError

    def link_resubmission(self, old_item_ids: Iterable[int], new_batch_id: int, *, now: float) -> int:
        """Mark old items RESUBMITTED and point each at the new batch's item with its custom_id."""
        raise NotImplementedError

    def record_promotion(
        self,
        item_id: int,
        result: ItemResult,
        *,
        promoted_cost: float | None,
        realtime_cost: float | None,
        tier: PriceTier,
        now: float,
    ) -> None:
        """A realtime call answered for this item: mark PROMOTED, store usage and its cost."""
        raise NotImplementedError

    def raw_result(self, item: Item) -> str | None:
        """The item's raw result line, read from the results file by offset (None if absent)."""
        raise NotImplementedError

    # ---- audit -----------------------------------------------------------------------
    def append_event(
        self,
        action: str,
        target: str | None = None,
        details: dict[str, Any] | None = None,
        *,
        actor: str | None = None,
        now: float | None = None,
    ) -> int:
        """Append an audit event; actor defaults to user@host."""
        raise NotImplementedError

    def events(
        self, *, limit: int = 200, offset: int = 0, action: str | None = None, text: str | None = None
    ) -> list[Event]:
        """Newest first, filterable by action and free text."""
        raise NotImplementedError

    # ---- savings ---------------------------------------------------------------------
    def savings(
        self, *, by: str, since: float | None = None, until: float | None = None
    ) -> list[SavingsRow]:
        """Realized savings grouped by 'provider', 'model', 'day' (UTC date) or 'batch'."""
        raise NotImplementedError

    def fleet_totals(self, *, now: float) -> FleetTotals:
        """In flight, items pending, failures waiting, savings today and this month."""
        raise NotImplementedError
