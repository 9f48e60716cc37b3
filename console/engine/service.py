"""`Engine`: the one service both front ends call — the command line and the Textual console.

Each operator action is one method here, so there is one code path per action and it writes
one audit event (`store.append_event`, actor `user@host`). Methods that talk to a provider are
async; estimates and previews are plain (they read the store and the price book only).

    engine = Engine(store, config)
    est = engine.estimate_promotion(14, item_ids=None, tier="flex")   # shows est.summary
    result = await engine.promote(14, tier="flex")                    # after the operator agrees

Provider details stay in `adapters/`; the engine sees `adapters.base.BatchAdapter` only.
No Textual imports here.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import socket
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from console.engine.retry import RetryPolicy
from console.engine.types import (
    CancelPreview,
    CancelResult,
    EngineError,
    ExportResult,
    FileEstimate,
    NotFound,
    PromoteResult,
    PromotionEstimate,
    ReadOnly,
    ResubmitEstimate,
    ResubmitResult,
    SubmitPreview,
    SubmitResult,
    SyncReport,
    TrackResult,
)
from store.errors import StoreError

if TYPE_CHECKING:  # annotations only: the store and adapters load when first used
    from adapters.base import BatchAdapter
    from store.config import Config
    from store.model import Batch
    from store.store import Store

AdapterFactory = Callable[[str, str | None], "BatchAdapter"]
"""(provider, profile) -> BatchAdapter; tests and the demo may inject their own."""


def default_actor() -> str:
    """`user@host` of the operator running this process."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        user = os.environ.get("USER") or "unknown"
    return f"{user}@{socket.gethostname()}"


class Engine:
    """Every batchdeck action, over one store.

    Args:
        store: an open `store.Store`.
        config: the loaded config (`store.config.load_config()`), or None for defaults. Only
            its `profiles` (name -> provider/base_url/api_key/api_key_env) and optional
            `concurrency` mapping are read.
        read_only: refuse actions that spend money or cancel (submit, resubmit, promote,
            cancel); reads, sync, track, estimate and export stay allowed.
        actor: who acts, for the audit log (default `user@host`).
        clock: seconds since the epoch (injectable for tests).
        heartbeat_clock: wall-clock seconds for the sync lease, the heartbeat and account
            health (default: `clock`); see `heartbeat_clock` below.
        sleep: async sleep used by backoff (injectable for tests).
        adapter_factory: (provider, profile) -> adapter; default builds the registry's
            adapter with the profile's (or environment's) key and base URL.
        results_dir: where downloaded results files live (default: `results/` beside the DB).
        retry: bounded backoff policy for provider calls.
    """

    def __init__(
        self,
        store: Store,
        config: Config | Mapping[str, Any] | None = None,
        *,
        read_only: bool = False,
        actor: str | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        adapter_factory: AdapterFactory | None = None,
        results_dir: str | Path | None = None,
        retry: RetryPolicy | None = None,
        profile: str | None = None,
        heartbeat_clock: Callable[[], float] | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.read_only = read_only
        self.actor = actor or default_actor()
        self.clock = clock
        self.heartbeat_clock = heartbeat_clock or clock
        """Real (wall-clock) seconds, for what measures a process rather than a batch: the sync
        lease, the heartbeat and each account's health. A lease's TTL (lease.LEASE_TTL) and the
        header's STALE_AFTER are real seconds: a process is alive or frozen in real time, even
        when `clock` runs emulated (the demo's clock runs 60x; its lease would lapse between two
        passes and "synced 1 min ago" would mean one real second). Everything a provider dates
        (created, expires, polls, deadlines) stays on `clock`."""
        self.sleep = sleep
        self.profile = profile
        self.retry = retry or RetryPolicy()
        self._adapter_factory = adapter_factory
        self._adapters: dict[tuple[str, str | None, int], BatchAdapter] = {}
        self.results_dir = Path(results_dir) if results_dir is not None else None
        """Override for where results files go (default: the store's per-batch directory)."""
        self.next_poll: dict[int, float] = {}
        """batch id -> earliest time the next sync pass polls it (adaptive interval)."""
        self.intent_grace = 60.0
        """Seconds before an unmatched SUBMITTING intent is sent again (see reconcile.py)."""
        self.poll_scale = 1.0
        """Multiplier on adaptive poll intervals (the demo's compressed clock uses < 1)."""
        self.poll_policy = RetryPolicy(attempts=3, base=0.2, cap=5.0)
        """Retries for one status poll inside a sync pass; beyond it the batch waits a pass."""
        self.next_discovery = 0.0
        """Earliest time the long-running sync loop lists the watched accounts again."""

    # ---- plumbing ---------------------------------------------------------------------
    def adapter(self, provider: str, profile: str | None = None) -> BatchAdapter:
        """The adapter for (provider, profile), one per event loop (SDK clients bind to one)."""
        from console.engine import providers

        return providers.adapter_for(self, provider, profile)

    def audit(self, action: str, target: str | None, details: dict[str, Any] | None = None) -> None:
        """Append one audit event as this engine's actor (any form of a key in its text redacted)."""
        from adapters.errors import redact_all

        secrets = tuple(s for a in self._adapters.values() for s in getattr(a, "_secrets", ()) if s)
        self.store.append_event(action, target, redact_all(details or {}, secrets), actor=self.actor,
                                now=self.clock())

    def require_writable(self, action: str) -> None:
        if self.read_only:
            # A refusal is an audit event too: what was attempted, and why it did not happen.
            try:
                self.audit(f"{action}.refused", None, {"reason": "read-only"})
            except (sqlite3.Error, StoreError):
                pass  # a store that cannot be written is refused anyway; the refusal still stands
            raise ReadOnly(f"{action} is refused in read-only mode (--read-only, or read_only = true in the config)")

    def batch_dir(self, batch_id: int) -> Path:
        """Directory for a batch's downloaded results and promoted answers."""
        if self.results_dir is not None:
            path = self.results_dir / str(batch_id)
            path.mkdir(parents=True, exist_ok=True)
            return path
        return self.store.results_dir(batch_id)

    def results_root(self) -> Path:
        """The directory holding every batch's directory."""
        return self.results_dir if self.results_dir is not None else self.store.results_root

    def batch(self, ref: int | str) -> Batch:
        """A batch by our id or the provider's id; NotFound otherwise."""
        check_batch_ref(ref)
        found = self.store.get_batch(ref)
        if found is None:
            raise NotFound(f"no batch {ref!r} in this store (use our id or the provider's id)")
        return found

    async def aclose(self) -> None:
        """Close every adapter (SDK client) this engine opened."""
        adapters, self._adapters = list(self._adapters.values()), {}
        for adapter in adapters:
            try:
                await adapter.aclose()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass

    # ---- submit / estimate --------------------------------------------------------------
    def infer_provider(self, path: str | Path) -> str:
        """The provider a request file's `url` fields point to (BadInput when they do not
        name exactly one): `estimate` without `--provider`."""
        from console.engine.infer import infer_provider

        return infer_provider(Path(path))

    def estimate_file(
        self,
        path: str | Path,
        *,
        provider: str,
        model: str | None = None,
        deadline: float | None = None,
        endpoint: str | None = None,
    ) -> FileEstimate:
        """Validate a JSONL file and say what it would cost and how it would be split.

        Tokens are estimated from the text (≈ chars/4 of the prompt; output from
        `max_tokens`, an upper bound). Costs: batch, and each realtime tier the provider
        offers. With `deadline`, `route` is the cheapest route that meets it. Raises
        InvalidFile listing every bad line.
        """
        from console.engine import estimate

        return estimate.estimate_file(self, Path(path), provider=provider, model=model,
                                      deadline=deadline, endpoint=endpoint)

    async def submit(
        self,
        path: str | Path,
        *,
        provider: str,
        model: str | None = None,
        deadline: float | None = None,
        label: str | None = None,
        endpoint: str | None = None,
        profile: str | None = None,
        approve: Callable[[SubmitPreview], bool] | None = None,
        window: str | None = None,
    ) -> SubmitResult:
        """Validate, split over provider limits, and submit a JSONL file exactly once.

        `window`: the completion window to ask for (one of the provider's; None: its default).

        `approve`, when given, sees what would be sent and its estimated cost once the file is
        valid and before anything is recorded; False sends nothing (`batch_ids` is empty).

        Each batch is recorded locally (SUBMITTING, with a token) before the provider is
        called, tagged with the token where the provider keeps metadata, and attached once
        accepted; a crash in between is repaired by `reconcile_intents()` on the next start
        or sync. All batches share one job id. Raises InvalidFile (every bad line listed).
        """
        self.require_writable("submit")
        from console.engine import submit

        return await submit.submit_file(self, Path(path), provider=provider, model=model,
                                        deadline=deadline, label=label, endpoint=endpoint,
                                        profile=profile, approve=approve, window=window)

    # ---- track / sync -------------------------------------------------------------------
    async def track(
        self,
        provider: str,
        provider_batch_id: str | None = None,
        *,
        all: bool = False,
        profile: str | None = None,
        input_path: str | Path | None = None,
    ) -> TrackResult:
        """Start watching a batch something else submitted (or, with `all`, every batch the
        account lists). Idempotent: known batches are reported as existing. Where the provider
        keeps the batch's input it is read now; `input_path` attaches the original file instead
        (providers that cannot give it back)."""
        from console.engine import track

        return await track.track(self, provider, provider_batch_id, all=all, profile=profile,
                                 input_path=input_path)

    def attach_inputs(self, batch_ref: int | str, path: str | Path) -> int:
        """Attach a tracked batch's original input file (matched by custom_id), once; returns
        the requests attached. For batches whose provider cannot give the requests back."""
        from console.engine import inputs

        return inputs.attach(self, self.batch(batch_ref), path)

    async def ensure_inputs(self, batch_ref: int | str) -> Any:
        """The batch, with its inputs read from the provider first if still pending."""
        from console.engine import inputs

        return await inputs.ensure_read(self, self.batch(batch_ref))

    async def reconcile_intents(self) -> list[int]:
        """Match batches left SUBMITTING by a crash to the provider's batches (by our token
        in metadata, or for Anthropic by time window + request count), or send them if the
        provider never got them. Returns the local ids resolved. Also sweeps the private
        file copies killed submits left beside the store (submit.sweep_copies)."""
        from console.engine import reconcile, submit

        if not self.read_only:
            submit.sweep_copies(self.store.path.parent)
        return await reconcile.reconcile_intents(self)

    async def sync_once(self, *, force: bool = True, discover: bool = True) -> SyncReport:
        """One pass: reconcile intents, poll every non-terminal batch concurrently (per-provider
        limits, backoff honouring retry-after), and ingest results of batches that ended.

        `force=False` skips batches whose adaptive poll interval has not elapsed (the
        long-running `sync` loop and the console use that). A throttled poll leaves the
        batch untouched. `discover` (default) first lists each watched account and tracks the
        batches the store does not know yet (console/engine/discover.py).
        """
        from console.engine import sync

        return await sync.sync_once(self, force=force, discover=discover)

    async def sync_forever(
        self, *, stop: asyncio.Event | None = None, on_pass: Callable[[SyncReport], Any] | None = None,
        lease: bool = False, on_standby: Callable[[Any], Any] | None = None,
        lease_ttl: float | None = None, standby_recheck: float | None = None, discover: bool = True,
    ) -> None:
        """Repeat `sync_once(force=False)` until `stop` is set (or the task is cancelled).

        `lease`: sync only while this process holds the store's sync lease (one syncing engine
        per store); otherwise stand by (`on_standby(lease)`) and take over when it lapses."""
        from console.engine import sync

        extra = {} if standby_recheck is None else {"standby_recheck": standby_recheck}
        await sync.sync_forever(self, stop=stop, on_pass=on_pass, lease=lease, on_standby=on_standby,
                                lease_ttl=lease_ttl, discover=discover, **extra)

    async def ingest(self, batch_ref: int | str) -> int:
        """Download (resuming) and ingest one ended batch's results; returns lines ingested.
        Idempotent: running it again yields the same rows."""
        from console.engine import ingest

        return await ingest.ingest_batch(self, self.batch(batch_ref))

    # ---- resubmit -----------------------------------------------------------------------
    def estimate_resubmit(
        self,
        batch_ref: int | str,
        *,
        item_ids: Sequence[int] | None = None,
        custom_ids: Sequence[str] | None = None,
        include_permanent: bool = False,
        input_path: str | Path | None = None,
    ) -> ResubmitEstimate:
        """Which failed items `resubmit` would send (default: retryable failures not yet
        replaced), at what batch cost, and whether --input FILE is needed."""
        from console.engine import resubmit

        return resubmit.estimate_resubmit(self, self.batch(batch_ref), item_ids=item_ids,
                                          custom_ids=custom_ids, include_permanent=include_permanent,
                                          input_path=input_path)

    async def resubmit(
        self,
        batch_ref: int | str,
        *,
        item_ids: Sequence[int] | None = None,
        custom_ids: Sequence[str] | None = None,
        include_permanent: bool = False,
        input_path: str | Path | None = None,
    ) -> ResubmitResult:
        """Send the chosen failed items as a new batch linked to its parent; the old items
        become RESUBMITTED and point at their replacements. Raises NeedsInput when the
        provider cannot give the requests back and no --input FILE was given."""
        self.require_writable("resubmit")
        from console.engine import resubmit

        return await resubmit.resubmit(self, self.batch(batch_ref), item_ids=item_ids,
                                       custom_ids=custom_ids, include_permanent=include_permanent,
                                       input_path=input_path)

    # ---- promote ------------------------------------------------------------------------
    def estimate_promotion(
        self,
        batch_ref: int | str,
        item_ids: Sequence[int] | None = None,
        *,
        custom_ids: Sequence[str] | None = None,
        tier: str | None = None,
        input_path: str | Path | None = None,
        note: str | None = None,
    ) -> PromotionEstimate:
        """What promoting items to the realtime API would cost at each tier, beside the batch
        cost: expected and ceiling, named. Default items: those still pending in the batch.
        Call `refresh_batch` first so finished items are not offered (`note`: what it said)."""
        from console.engine import promote

        return promote.estimate_promotion(self, self.batch(batch_ref), item_ids=item_ids,
                                          custom_ids=custom_ids, tier=tier, input_path=input_path,
                                          note=note)

    async def refresh_batch(self, batch_ref: int | str) -> str | None:
        """Poll one batch now and ingest it if it has ended (before planning a promote);
        returns a note when the provider could not be asked, else None."""
        from console.engine import promote

        _, note = await promote.refresh(self, self.batch(batch_ref))
        return note

    async def promote(
        self,
        batch_ref: int | str,
        item_ids: Sequence[int] | None = None,
        *,
        custom_ids: Sequence[str] | None = None,
        tier: str | None = None,
        input_path: str | Path | None = None,
        concurrency: int = 32,
        on_progress: Callable[[int, int], Any] | None = None,
        cancel_batch: bool = False,
    ) -> PromoteResult:
        """Send the items through the realtime API now (bounded concurrency, 429 backoff).

        Each answer lands on its item as PROMOTED with its realtime cost; a later batch result
        for the same custom_id is kept but not counted twice. Items that could not be sent
        after bounded retries are left as they were and listed in `failed`. Items are claimed
        in the store first; ones another run holds, or already replaced, promoted or finished,
        are skipped (`skipped`). `cancel_batch`: cancel the batch first when every pending item
        of it is being promoted (its copies would be billed too).
        """
        self.require_writable("promote")
        from console.engine import promote

        return await promote.promote(self, self.batch(batch_ref), item_ids=item_ids,
                                     custom_ids=custom_ids, tier=tier, input_path=input_path,
                                     concurrency=concurrency, on_progress=on_progress,
                                     cancel_batch=cancel_batch)

    # ---- cancel -------------------------------------------------------------------------
    def cancel_preview(self, batch_ref: int | str) -> CancelPreview:
        """What cancelling would mean (pending items lost from this batch), for the question."""
        from console.engine import cancel

        return cancel.cancel_preview(self, self.batch(batch_ref))

    async def cancel(self, batch_ref: int | str) -> CancelResult:
        """Ask the provider to cancel the batch; records the new status and an audit event."""
        self.require_writable("cancel")
        from console.engine import cancel

        return await cancel.cancel(self, self.batch(batch_ref))

    # ---- export -------------------------------------------------------------------------
    def export(self, batch_ref: int | str, out: IO[str], *, format: str = "jsonl",
               terminal: bool = False) -> ExportResult:
        """Write the batch's results in original order as JSONL or CSV to `out` (streamed).

        `terminal`: `out` is a terminal, so control characters in model/provider text are
        escaped (JSONL: JSON escapes, the same values; CSV: visible symbols). Otherwise the
        export is byte-exact."""
        from console.engine import export

        return export.export(self, self.batch(batch_ref), out, format=format, terminal=terminal)


MAX_BATCH_REF = 200
"""Characters in a batch reference (ours or a provider's id): provider ids are ~40-70."""


def check_batch_ref(ref: int | str) -> None:
    """NotFound, in one sentence, for a reference no batch can have: a local id beyond SQLite's
    64-bit integers (which would otherwise fail inside the query) or an absurdly long text."""
    text = str(ref)
    if len(text) > MAX_BATCH_REF or (text.isdigit() and int(text) > 2**63 - 1):
        raise NotFound(f"no batch {text[:24]}{'…' if len(text) > 24 else ''} in this store "
                       "(ids are our numbers or the provider's batch ids)")


__all__ = ["Engine", "EngineError", "check_batch_ref", "default_actor"]
