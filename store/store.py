"""The Store: one SQLite file, opened per thread, with every write and read batchdeck needs.

This class is the contract other rooms code against (names, signatures and docstrings); the
work is done by small modules: db (connections), migrations (schema), batches and items
(writes), queries (reads), savings (aggregates), audit (events), prices and ledger (money).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store import answers, audit, batches, claims, ingest, items, queries, rollup, savings, sync_state
from store.answers import RealtimeAnswer
from store.claims import ClaimResult
from store.db import ThreadConnections, check_header, check_pages, create_private_file, damaged
from store.errors import StoreError
from store.migrations import LATEST, migrate
from store.model import (
    Batch,
    BatchStatus,
    ErrorGroup,
    Event,
    FleetTotals,
    IngestStats,
    Item,
    ItemResult,
    ItemStatus,  # noqa: F401  (part of the skeleton's namespace)
    PriceRow,
    PriceTier,
    ProfileHealth,
    RemoteBatch,
    SavingsRow,
    SyncLease,
)
from store.paths import db_path
from store.prices import PriceBook
from store.pricesync import mirror_prices

if TYPE_CHECKING:  # sqlite_utils loads on first use (~140 ms)
    import sqlite_utils

__all__ = ["Store", "StoreError"]


class Store:
    """A batchdeck database. Thread-safe: each thread gets its own sqlite3 connection."""

    path: Path

    def __init__(self, path: Path, connections: ThreadConnections, price_book: PriceBook) -> None:
        self.path = path
        self._db = connections
        self.price_book = price_book
        """The prices ingest and promotions are costed with (shipped book + user overrides)."""
        self._wrappers = threading.local()

    # ---- lifecycle -------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path | None = None, *, price_book: PriceBook | None = None) -> Store:
        """Open (creating 0600 if missing) and migrate. Path: arg, BATCHDECK_DB, XDG default.

        WAL journal, busy timeout, foreign keys on. Raises StoreError for a corrupt file or one
        written by a newer schema (refused, never modified).

        `price_book` defaults to the shipped book plus the user config's [[prices]] rows
        (so a broken config file raises store.config.ConfigError here).
        """
        resolved = db_path(path)
        if resolved.is_dir():
            raise StoreError(f"{resolved} is a directory; give --db the path of a file.")
        try:
            create_private_file(resolved)
        except OSError as exc:
            raise StoreError(f"cannot create {resolved} ({exc.strerror}); choose another --db path.") from exc
        check_header(resolved)
        _refuse_foreign_or_newer(resolved)
        connections = ThreadConnections(resolved)
        try:
            check_pages(connections.get(), resolved)
            migrate(connections.get(), str(resolved))
            _repair_rollups(connections)
            book = price_book if price_book is not None else PriceBook.load()
            mirror_prices(connections, book)
        except sqlite3.DatabaseError as exc:
            connections.close()
            raise damaged(resolved, exc) from exc
        except BaseException:
            connections.close()
            raise
        return cls(resolved, connections, book)

    def close(self) -> None:
        """Close every thread's connection. The Store cannot be used afterwards."""
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's raw sqlite3 connection (autocommit; use `transaction()` to write)."""
        return self._db.get()

    @property
    def db(self) -> sqlite_utils.Database:  # (imported lazily: ~140 ms)
        """This thread's connection wrapped in sqlite_utils.Database, for ad-hoc queries."""
        conn = self._db.get()
        wrapper = getattr(self._wrappers, "db", None)
        if wrapper is None or wrapper.conn is not conn:
            import sqlite_utils

            wrapper = self._wrappers.db = sqlite_utils.Database(conn, execute_plugins=False)
        return wrapper

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction on this thread's connection (BEGIN IMMEDIATE; nests)."""
        return self._db.transaction()

    @property
    def results_root(self) -> Path:
        """The directory holding every batch's results directory (`results/` beside the file)."""
        return self.path.parent / "results"

    def results_dir(self, batch_id: int) -> Path:
        """Where the engine should download a batch's results files (created 0700).

        Every level batchdeck creates (`results/` and the batch's directory) is 0700, whatever
        the umask and however open the database's directory is: the files hold model output.
        """
        results = self.results_root
        path = results / str(batch_id)
        for level in (results, path):
            try:
                level.mkdir(mode=0o700)
            except FileExistsError:
                continue
            os.chmod(level, 0o700)  # the umask may have removed bits; never adds any
        return path

    def price_for(self, provider: str | None, model: str | None) -> PriceRow | None:
        """The price row ingest would use for this provider and model (None: unpriced)."""
        return self.price_book.lookup(provider, model)

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
        window: str | None = None,
    ) -> int:
        """Insert a batch in status SUBMITTING before the provider is called; return its id.

        Idempotent on `submit_token`: recording the same intent again returns the same id.
        `window`: the completion window asked for (None: the provider's default), kept so a
        send after a crash asks for the same one.
        """
        return batches.record_intent(
            self._db, provider=provider, profile=profile, endpoint=endpoint, model=model,
            label=label, deadline=deadline, job_id=job_id, parent_id=parent_id,
            submitted_by=submitted_by, submit_token=submit_token, request_count=request_count,
            now=now, window=window,
        )

    def attach_remote(self, batch_id: int, remote: RemoteBatch, *, now: float) -> None:
        """The provider accepted an intent: store its id, status, timestamps, file ids."""
        batches.attach_remote(self._db, batch_id, remote, now=now)

    def update_from_remote(
        self, batch_id: int, remote: RemoteBatch, *, now: float
    ) -> tuple[BatchStatus, BatchStatus]:
        """Apply a poll; return (old, new) status. Appends to the status timeline on change."""
        return batches.update_from_remote(self._db, batch_id, remote, now=now)

    def upsert_tracked(
        self, remote: RemoteBatch, *, profile: str, now: float, submitted_by: str | None = None
    ) -> tuple[int, bool]:
        """Track a batch someone else submitted. Idempotent on (provider, provider_batch_id).

        Returns (local id, created).
        """
        return batches.upsert_tracked(self._db, remote, profile=profile, now=now, submitted_by=submitted_by)

    def set_batch_fields(self, batch_id: int, *, now: float | None = None, **fields: Any) -> None:
        """Update plain columns (status, label, deadline, results_path, errors, ...).

        `counts=RequestCounts(...)` sets the six count columns. A status change is appended
        to the timeline at `now` (default: the current time).
        """
        batches.set_batch_fields(self._db, batch_id, now, **fields)

    def get_batch(self, ref: int | str) -> Batch | None:
        """A batch by local id (int or digit string) or by provider batch id."""
        return queries.get_batch(self.conn, ref)

    def list_batches(
        self,
        *,
        status: str | Iterable[str] | None = None,
        provider: str | None = None,
        label: str | None = None,
        active_only: bool = False,
    ) -> list[Batch]:
        """Batches newest first, filtered."""
        return queries.list_batches(
            self.conn, status=status, provider=provider, label=label, active_only=active_only
        )

    def batches_to_sync(self) -> list[Batch]:
        """Non-terminal batches with a provider id, and terminal ones whose results are not ingested."""
        return queries.batches_to_sync(self.conn)

    def pending_intents(self) -> list[Batch]:
        """Batches still SUBMITTING (crash between intent and provider answer): reconcile these."""
        return queries.pending_intents(self.conn)

    def children(self, batch_id: int) -> list[Batch]:
        """Batches resubmitted from this one."""
        return queries.children(self.conn, batch_id)

    def status_history(self, batch_id: int) -> list[tuple[float, str, str | None]]:
        """(at, normalized status, raw status) in time order."""
        return queries.status_history(self.conn, batch_id)

    # ---- items -----------------------------------------------------------------------
    def add_items(self, batch_id: int, requests: Iterable[tuple[str, str]], *, model: str | None = None) -> int:
        """Insert PENDING items (custom_id, request JSON text) in order (seq 0..n-1).

        `model` (optional) records the model the requests name, before any result says so.
        """
        return items.add_items(self._db, batch_id, requests, model=model)

    def apply_inputs(self, batch_id: int, requests: Iterable[tuple[str, str]], *,
                     model: str | None = None, first_seq: int = 0) -> tuple[int, int]:
        """A batch's input requests, in order: items created (pending) or matched (given their
        input position and body); returns (created, matched). See items.apply_inputs."""
        return items.apply_inputs(self._db, batch_id, requests, model=model, first_seq=first_seq)

    def batches_with_inputs(self, state: str) -> list[Batch]:
        """Batches whose `inputs` is `state` (e.g. `pending`: to read from the provider)."""
        from store.rows import BATCH_SELECT, batch_from_row

        rows = self.conn.execute(BATCH_SELECT + " WHERE inputs = ? ORDER BY id", (state,)).fetchall()
        return [batch_from_row(r) for r in rows]

    def ingest_results(
        self, batch_id: int, results: Iterable[ItemResult], *, results_path: str | None, now: float,
        resumed_lines: int = 0,
    ) -> IngestStats:
        """Apply result lines, idempotently (re-running after a crash yields the same rows).

        Creates items missing for tracked batches, computes batch and realtime-equivalent cost
        from the price book (unpriced => NULL, counted apart), keeps PROMOTED/RESUBMITTED
        statuses (a promoted item's batch copy is recorded but not counted as a second output),
        and maintains the savings rollups. Streams: memory does not grow with the input.
        """
        return ingest.ingest_results(
            self._db, self.price_book, batch_id, results, results_path=results_path, now=now,
            resumed_lines=resumed_lines,
        )

    def ingest_checkpoint(self, batch_id: int, results_path: str) -> tuple[int, int]:
        """(byte offset, lines) of `results_path` already ingested by an interrupted ingest:
        pass the results after that offset, with `resumed_lines`, to `ingest_results`."""
        return ingest.checkpoint(self._db, batch_id, results_path)

    def mark_ingested(self, batch_id: int, *, now: float) -> None:
        """Results fully ingested: recount the batch's items into its counts."""
        ingest.mark_ingested(self._db, batch_id, now=now)

    def count_items(
        self, batch_id: int, *, status: str | None = None, error_type: str | None = None
    ) -> int:
        return queries.count_items(self.conn, batch_id, status=status, error_type=error_type)

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
        return queries.page_items(
            self.conn, batch_id, offset=offset, limit=limit, status=status, error_type=error_type
        )

    def get_item(self, item_id: int) -> Item | None:
        """One item with its request body."""
        return queries.get_item(self.conn, item_id)

    def request_bodies(self, item_ids: Iterable[int]) -> dict[int, str]:
        """Stored request bodies by item id (items without one are left out), 500 per query."""
        return queries.request_bodies(self.conn, item_ids)

    def item_requests(self, batch_id: int) -> list[tuple[str, str]]:
        """(custom_id, request JSON) of every item of a batch, in order (what sending it needs)."""
        return queries.item_requests(self.conn, batch_id)

    def partly_sent_jobs(self) -> dict[str, tuple[int, int]]:
        """job id -> (batches sent, batches) for split jobs with batches still to send."""
        return queries.partly_sent_jobs(self.conn)

    def find_items(self, batch_id: int, custom_ids: Iterable[str], *, with_request: bool = True) -> list[Item]:
        """Items of a batch by custom_id (with request bodies unless told not), in seq order."""
        return queries.find_items(self.conn, batch_id, custom_ids, with_request=with_request)

    def failed_items(self, batch_id: int, *, include_permanent: bool = False) -> list[Item]:
        """Errored/expired/canceled items not yet replaced; retryable only unless asked."""
        return queries.failed_items(self.conn, batch_id, include_permanent=include_permanent)

    def error_groups(self, batch_id: int) -> list[ErrorGroup]:
        """Failed items grouped by error type (the status when there is none), largest first."""
        return queries.error_groups(self.conn, batch_id)

    def link_resubmission(self, old_item_ids: Iterable[int], new_batch_id: int, *, now: float) -> int:
        """Mark old items RESUBMITTED and point each at the new batch's item with its custom_id."""
        return items.link_resubmission(self._db, old_item_ids, new_batch_id, now=now)

    def record_promotion(
        self,
        item_id: int,
        result: ItemResult,
        *,
        promoted_cost: float | None,
        realtime_cost: float | None,
        tier: PriceTier,
        now: float,
        answer: RealtimeAnswer | None = None,
    ) -> None:
        """A realtime call answered for this item: mark PROMOTED, store usage and its cost, keep
        the paid `answer` and release the item's claim, in one transaction."""
        items.record_promotion(
            self._db, item_id, result, promoted_cost=promoted_cost, realtime_cost=realtime_cost,
            tier=tier, now=now, answer=answer,
        )

    def realtime_answer(self, item_id: int) -> RealtimeAnswer | None:
        """The realtime answer a promotion paid for (what the item inspector shows), if any."""
        return answers.get(self.conn, item_id)

    def realtime_answers(self, batch_id: int) -> dict[str, str]:
        """custom_id -> realtime response JSON text, for every promoted item of a batch."""
        return dict(answers.for_batch(self.conn, batch_id))

    # ---- claims (store/claims.py) --------------------------------------------------------
    def claim_items(self, item_ids: Iterable[int], *, owner: str, until: float, now: float,
                    statuses: Iterable[str]) -> ClaimResult:
        """Claim items for buying, in one transaction; skipped ones are counted by reason."""
        return claims.claim_items(self._db, item_ids, owner=owner, until=until, now=now,
                                  statuses=frozenset(statuses))

    def still_claimed(self, item_id: int, owner: str, statuses: Iterable[str]) -> bool:
        """Still ours and still unfinished (checked right before buying it)."""
        return claims.still_claimed(self.conn, item_id, owner, frozenset(statuses))

    def count_held(self, batch_id: int, owner: str, status: str) -> int:
        """How many of the batch's items with `status` this claim owner holds."""
        return claims.count_held(self.conn, batch_id, owner, status)

    def release_items(self, owner: str, item_ids: Iterable[int] | None = None) -> None:
        claims.release_items(self._db, owner, item_ids)

    def renew_items(self, owner: str, until: float) -> None:
        claims.renew_items(self._db, owner, until)

    def claim_intent(self, batch_id: int, *, owner: str, until: float, now: float) -> bool:
        """Claim a SUBMITTING intent for sending (only the holder sends it)."""
        return claims.claim_intent(self._db, batch_id, owner=owner, until=until, now=now)

    def raw_result(self, item: Item) -> str | None:
        """The item's raw result line, read from the results file by offset (None if absent)."""
        return queries.raw_result(self.conn, item.id)

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
        return audit.append_event(self._db, action, target, details, actor_name=actor, now=now)

    def events(
        self, *, limit: int = 200, offset: int = 0, action: str | None = None, text: str | None = None
    ) -> list[Event]:
        """Newest first, filterable by action and free text."""
        return audit.events(self.conn, limit=limit, offset=offset, action=action, text=text)

    # ---- savings ---------------------------------------------------------------------
    def savings(
        self, *, by: str, since: float | None = None, until: float | None = None
    ) -> list[SavingsRow]:
        """Realized savings grouped by 'provider', 'model', 'day' (UTC date) or 'batch'."""
        return savings.savings(self.conn, by=by, since=since, until=until)

    def failures_waiting_by_batch(self) -> dict[int, int]:
        """batch id -> failed items not yet resubmitted or promoted (from the savings rollup:
        the same numbers the header's "failures waiting" sums, so the two always agree)."""
        rows = self.conn.execute(
            "SELECT batch_id, total(failed_waiting) FROM savings_rollup GROUP BY batch_id "
            "HAVING total(failed_waiting) > 0").fetchall()
        return {int(batch_id): int(n) for batch_id, n in rows}

    def handled_failures(self, batch_id: int) -> list[tuple[str, int | None, int]]:
        """Where this batch's replaced items went: (status `resubmitted` or `promoted`, the
        batch that holds the replacement or None for a realtime promotion, count)."""
        rows = self.conn.execute(
            """SELECT i.status, r.batch_id, count(*) FROM items i
               LEFT JOIN items r ON r.id = i.replaced_by
               WHERE i.batch_id = ? AND i.status IN ('resubmitted', 'promoted')
               GROUP BY 1, 2 ORDER BY 1, 2""", (batch_id,)).fetchall()
        return [(str(status), target, int(n)) for status, target, n in rows]

    def fleet_totals(self, *, now: float) -> FleetTotals:
        """In flight, items pending, failures waiting, savings today and this month."""
        return savings.fleet_totals(self.conn, now=now)

    # ---- who syncs, and how each account answers (store/sync_state.py) -------------------
    def read_lease(self) -> SyncLease | None:
        """The sync lease: which process syncs this store, its heartbeat and last pass."""
        return sync_state.read_lease(self._db)

    def take_lease(self, *, holder: str, who: str, host: str, pid: int, now: float, ttl: float,
                   holder_dead: Callable[[SyncLease], bool] | None = None) -> SyncLease:
        """Take or renew the sync lease for `holder` unless another live process holds it;
        returns the lease as it now stands (compare `.holder`)."""
        return sync_state.take_lease(self._db, holder=holder, who=who, host=host, pid=pid, now=now,
                                     ttl=ttl, holder_dead=holder_dead)

    def record_sync_pass(self, *, holder: str, now: float) -> None:
        """The lease holder finished a sync pass at `now`."""
        sync_state.record_pass(self._db, holder=holder, now=now)

    def release_lease(self, *, holder: str) -> None:
        """Give the sync lease up (clean exit)."""
        sync_state.release_lease(self._db, holder=holder)

    def profile_health(self) -> list[ProfileHealth]:
        """Per (provider, profile): last success, last error, failing since, discovery mark."""
        return sync_state.profile_health(self._db)

    def record_profile_calls(self, provider: str, profile: str, *, now: float, ok: bool,
                             error: str | None = None) -> None:
        """One sync pass's verdict on an account (see sync_state.record_profile_calls)."""
        sync_state.record_profile_calls(self._db, provider, profile, now=now, ok=ok, error=error)

    def record_listed(self, provider: str, profile: str, *, until: float | None, now: float,
                      first_id: str | None = None) -> None:
        """A discovery pass read the account's list down to known batches (high-water mark:
        newest creation time, and the id at the top of the list)."""
        sync_state.record_listed(self._db, provider, profile, until=until, first_id=first_id, now=now)

    def known_provider_ids(self, provider: str, ids: Iterable[str]) -> set[str]:
        """Which of these provider batch ids the store already has."""
        return sync_state.known_provider_ids(self._db, provider, ids)


def _repair_rollups(connections: ThreadConnections) -> None:
    """Rebuild savings rollups an interrupted ingest left stale (rare; cheap check)."""
    conn = connections.get()
    if conn.execute("SELECT 1 FROM batches WHERE rollup_stale <> 0 LIMIT 1").fetchone():
        with connections.transaction() as conn:
            rollup.repair_stale(conn)


def _refuse_foreign_or_newer(path: Path) -> None:
    """Read-only look before we write anything: a newer schema or someone else's database."""
    try:
        # Not mode=ro: a read-only connection cannot open a WAL file whose -shm is missing.
        # Reading writes nothing to the database itself.
        conn = sqlite3.connect(str(path))
    except sqlite3.Error as exc:
        raise damaged(path, exc) from exc
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise damaged(path, exc) from exc
    finally:
        conn.close()
    if version > LATEST:
        raise StoreError(
            f"{path} was written by a newer batchdeck (schema v{version}, this one knows up to "
            f"v{LATEST}); upgrade batchdeck, or point --db at another file."
        )
    if version == 0 and tables:
        raise StoreError(
            f"{path} is an SQLite database but not batchdeck's; point --db or BATCHDECK_DB at another file."
        )

