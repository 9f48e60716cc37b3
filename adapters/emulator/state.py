"""In-memory batches and files; a batch's whole history is a pure function of the clock.

Nothing runs in the background. When a batch is created its items get an outcome and a finish
time (`plan.make_plan`: a pure function of the seed, the batch and its requests). Every read then
asks `Batch.view(now)`, which answers the status, timestamps and counts at that instant with a
binary search over the sorted finish times, so a 50,000-item batch costs the same to poll as a
5-item one. Cancel records the instant it was asked; admin fault changes drop the cached plan
so it is recomputed. The timeline is described in plan.py.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import rand
from .faults import HTTP_KNOBS, Faults
from .inputs import Items
from .plan import Plan, make_plan

if TYPE_CHECKING:  # pragma: no cover
    from .dialect import Dialect

WINDOW = 86_400.0
GEMINI_FILE_RETENTION = 48 * 3600.0
"""Files API objects live 48 h; that batch output files follow it is inferred (§4.5, UNCONFIRMED)."""
ANTHROPIC_RETENTION = 29 * 86_400.0
FILE_RETENTION = 30 * 86_400.0

OPENAI_COUNT_UNRUN_AS_FAILED = False
"""Whether OpenAI `request_counts.failed` includes expired/cancelled (never-run) items.
Unconfirmed (reference §14); an observed expired batch reported {total:10, completed:1,
failed:0}, so by default they are counted in neither."""

OPENAI_TOTAL_WHILE_VALIDATING = 0
"""`request_counts.total` while `validating` and for a `failed` batch (unconfirmed; 0)."""


def window_seconds(window: str | None) -> float:
    units = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0}
    try:
        return float(window[:-1]) * units[window[-1]] if window else WINDOW
    except (KeyError, ValueError):
        return WINDOW


@dataclass
class View:
    """A batch at one instant."""

    status: str
    terminal: bool
    done: int
    """How many items (in finish order) have a result at this instant."""
    unrun_kind: str | None
    """At a terminal instant, what the items without a result became: expired/canceled."""
    at: dict[str, float | None]
    terminal_at: float | None


@dataclass(frozen=True)
class Spooled:
    """A results file written to the emulator's spool directory (see `spool`)."""

    size: int
    path: Path
    key: tuple[Any, ...]
    """The view it was written for (`spool.view_key`)."""


@dataclass
class Batch:
    dialect: Dialect
    id: str
    seq: int
    created_at: float
    items: Items
    base_faults: Faults
    seed: int
    endpoint: str | None = None
    input_file_id: str | None = None
    completion_window: str = "24h"
    metadata: dict[str, str] | None = None
    output_expires_after: float | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    """Gemini: the `models/...` name from the create path; Mistral: the job's `model`."""
    display_name: str | None = None
    inline: bool = False
    """Gemini: requests came inline, so responses are inlined in the operation."""
    cancel_at: float | None = None
    deleted: bool = False
    downloads: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    _plan: Plan | None = None
    file_cache: dict[str, Spooled] = field(default_factory=dict)
    """Spooled results files by kind ("output"/"error" for OpenAI, "results" for Anthropic)."""
    files_epoch: int = 0
    """Bumped by `drop_files()`, so a file written from an older plan is never served."""

    @property
    def provider(self) -> str:
        return self.dialect.name

    # --- faults ------------------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self.base_faults.with_(self.overrides) if self.overrides else self.base_faults

    def http_faults(self, server: Faults) -> Faults:
        mine = {k: v for k, v in self.overrides.items() if k in HTTP_KNOBS}
        return server.with_(mine) if mine else server

    def set_overrides(self, knobs: dict[str, Any]) -> None:
        self.overrides.update(knobs)
        self._plan = None
        self.drop_files()

    def drop_files(self, kind: str | None = None) -> None:
        """Delete spooled results files: all of them (the outcomes or the view changed, the batch
        is gone) or one `kind` (that file was deleted)."""
        if kind is None:
            self.files_epoch += 1
            # Swapped, not iterated in place: a writer thread may store an entry meanwhile.
            gone, self.file_cache = self.file_cache, {}
            entries = list(gone.values())
        else:
            entry = self.file_cache.pop(kind, None)
            entries = [entry] if entry is not None else []
        for entry in entries:
            entry.path.unlink(missing_ok=True)

    # --- plan --------------------------------------------------------------------------------

    def plan(self) -> Plan:
        if self._plan is None:
            self._plan = self._make_plan()
        return self._plan

    def _make_plan(self) -> Plan:
        return make_plan(self.dialect.lifecycle, self.id, self.created_at, self.items, self.faults, self.seed)

    # --- the batch at an instant --------------------------------------------------------------

    @property
    def window(self) -> float:
        """The completion window in seconds ("24h", "7d", "1h"; 24 h when unreadable)."""
        return window_seconds(self.completion_window)

    @property
    def expires_at(self) -> float:
        return self.created_at + self.window

    def view(self, now: float) -> View:
        p = self.plan()
        life = self.dialect.lifecycle
        name = life.name
        c = self.created_at
        exp = c + self.window
        ip = c + p.validating
        cancel = self.cancel_at
        at: dict[str, float | None] = {}

        def stamp(phase: str, t: float) -> None:
            key = life.stamp(phase)
            if key is not None:
                at[key] = t

        expiring = not p.all_finish or (p.last_finish is not None and p.last_finish > exp)
        last = p.last_finish if p.last_finish is not None else ip

        if life.validates and p.errors and (cancel is None or cancel >= ip):
            if now < ip:
                return View(name("validating"), False, 0, None, at, None)
            stamp("failed", ip)
            return View(name("failed"), True, 0, None, at, ip)

        if cancel is not None and now >= cancel:
            end = cancel + p.cancel_for
            stamp("cancelling", cancel)
            if cancel >= ip:
                stamp("in_progress", ip)
            if cancel >= last and not expiring and life.finalizes:
                stamp("finalizing", last)
            cut = cancel if cancel < ip else min(end, exp)
            done = bisect_right(p.fsorted, min(now, cut))
            if now < end:
                return View(name("cancelling"), False, done, None, at, None)
            stamp("cancelled", end)
            return View(name("cancelled"), True, done, "canceled", at, end)

        if now < ip:
            return View(name("validating"), False, 0, None, at, None)
        stamp("in_progress", ip)
        if expiring:
            done = bisect_right(p.fsorted, min(now, exp))
            if now < exp:
                return View(name("in_progress"), False, done, None, at, None)
            stamp("expired", exp)
            return View(name("expired"), True, done, "expired", at, exp)
        done = bisect_right(p.fsorted, now)
        if now < last:
            return View(name("in_progress"), False, done, None, at, None)
        end = last + p.finalize
        if life.finalizes:
            stamp("finalizing", last)
        if now < end:
            return View(name("finalizing"), False, done, None, at, None)
        stamp("completed", end)
        return View(name("completed"), True, done, None, at, end)

    def cancellable(self, now: float) -> bool:
        return self.view(now).status in ("validating", "in_progress", "finalizing")


@dataclass
class FileRec:
    """An uploaded file (bytes in memory) or a virtual batch output/error file."""

    id: str
    filename: str
    purpose: str
    created_at: float
    expires_at: float | None
    data: bytes | None = None
    batch_id: str | None = None
    kind: str | None = None
    """For virtual files: "output" or "error"."""
    deleted: bool = False


class State:
    """All batches and files of one emulator, keyed by id, in creation order."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.batches: dict[str, Batch] = {}
        self.files: dict[str, FileRec] = {}
        self.api_files: dict[str, FileRec] = {}
        """Files of the Gemini and Mistral file APIs, by id: kept apart from OpenAI's `files`,
        whose list and finalize walk every entry."""
        self.uploads: dict[str, FileRec] = {}
        """Gemini resumable uploads begun and not yet finalized, by upload id."""
        self._seq: dict[str, int] = {}

    def next_seq(self, kind: str) -> int:
        self._seq[kind] = self._seq.get(kind, 0) + 1
        return self._seq[kind]

    def new_batch_id(self, dialect: Dialect) -> str:
        kind = f"{dialect.name}_batch"
        return dialect.batch_id(rand.mix(self.seed, kind, self.next_seq(kind)))

    def new_id(self, kind: str) -> str:
        seq = self.next_seq(kind)
        h = rand.mix(self.seed, kind, seq)
        if kind == "file":
            return "file-" + rand.b62(h, 22)
        if kind == "gemini_file":  # the bare id; the name is files/<id>
            return "f" + rand.hex_id(h, 11)
        if kind == "mistral_file":
            x = rand.hex_id(h, 32)
            return f"{x[:8]}-{x[8:12]}-4{x[13:16]}-a{x[17:20]}-{x[20:32]}"
        raise ValueError(kind)

    def add_batch(self, batch: Batch) -> None:
        self.batches[batch.id] = batch
        if batch.dialect.file_results:
            for kind in batch.dialect.result_kinds:
                fid = "file-" + rand.b62(rand.mix(self.seed, batch.id, kind), 22)
                self.files[fid] = FileRec(
                    id=fid, filename=f"{batch.id}_{kind}.jsonl", purpose="batch_output",
                    created_at=0.0, expires_at=None, batch_id=batch.id, kind=kind,
                )
                if kind == "output":
                    batch.output_file_id = fid
                else:
                    batch.error_file_id = fid

    def listing(self, provider: str) -> list[Batch]:
        """Batches of a provider, newest first (creation order breaks ties)."""
        mine = [b for b in self.batches.values() if b.provider == provider and not b.deleted]
        mine.sort(key=lambda b: (b.created_at, b.seq), reverse=True)
        return mine
