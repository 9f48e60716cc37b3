"""A batch's `promoted.jsonl`: every realtime answer a promotion paid for, one JSON line each.

Promote appends an answer here, flushed, before it marks the item `promoted`. A process killed
in between leaves an answer that was paid for without its mark. `record_unmarked` finishes such
promotions from the file: the next promote of the batch calls it before sending anything, and so
does every ingest of the batch's results, so nothing is bought twice and no answer or its cost
is lost. That holds whatever became of the item meanwhile. If the batch finished it first, both
copies were paid for and both costs count, as for any promoted item whose batch copy came back
first. Export reads the answers from here too.

A promote holds an exclusive `flock` on the file while it runs (released by the kernel when
the process dies), so a second promote of the same batch is refused instead of buying the same
items again, and an ingest never takes a running promote's answers for an interrupted one.
Such an ingest leaves a marker instead (`record_or_owe`): if that promote then dies before marking its
answers, every sync pass tries the batch again (`record_owed`) until the file is free, so the
answers are recorded even when nothing of the batch is left to promote.

Line: {"custom_id", "tier" (as the provider reported it), "paid_tier" (the tier paid for),
"response" (the provider's response body)}.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from console.engine import pricing, providers
from console.engine.types import EngineError
from store.model import ItemStatus, PriceTier

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from console.engine.service import Engine
    from store.model import Batch, Item

try:
    import fcntl
except ImportError:  # not POSIX: no lock (one promote per batch at a time is then on the operator)
    fcntl = None  # type: ignore[assignment]

_ID_PREFIX = '{"custom_id":'
_OWED = ".answers-owed"
"""Under the results root: one empty file per batch whose kept answers are still to be checked."""
_FINAL = {ItemStatus.PROMOTED.value, ItemStatus.RESUBMITTED.value}


def path_for(engine: Engine, batch: Batch) -> Path:
    return engine.batch_dir(batch.id) / "promoted.jsonl"


@dataclass(slots=True)
class KeptAnswer:
    """One realtime answer in the file: the response body and the tier paid."""

    response: dict[str, Any]
    tier: PriceTier

    @property
    def raw(self) -> str:
        """The body as JSON text, as an adapter reads a realtime answer."""
        return json.dumps(self.response, separators=(",", ":"))


def read(path: Path, custom_ids: set[str] | None = None) -> dict[str, KeptAnswer]:
    """The answers in `path` (for `custom_ids` only, when given), the last of each custom_id.

    A torn or unreadable line is skipped. Only lines for wanted ids are decoded in full."""
    found: dict[str, KeptAnswer] = {}
    if custom_ids is not None and not custom_ids:
        return found
    for cid, line in _lines_by_id(path):
        if custom_ids is not None and cid not in custom_ids:
            continue
        try:
            row = json.loads(line)
            response = row["response"]
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(response, dict):
            found[cid] = KeptAnswer(response, _paid_tier(row))
    return found


def _lines_by_id(path: Path) -> Iterator[tuple[str, str]]:
    """(custom_id, line) for each line whose custom_id reads from its start alone (cheap: the
    rest of the line is not decoded). A torn line is included."""
    if not path.exists():
        return
    decoder = json.JSONDecoder()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.startswith(_ID_PREFIX):
                continue
            try:
                cid, _ = decoder.raw_decode(line, len(_ID_PREFIX))
            except ValueError:
                continue
            if isinstance(cid, str):
                yield cid, line


def _paid_tier(row: dict[str, Any]) -> PriceTier:
    # Lines written before `paid_tier` existed carry only the provider's name for the tier
    # ("default" is OpenAI's standard).
    for value in (row.get("paid_tier"), row.get("tier")):
        try:
            return PriceTier(value or "")  # None is no tier either: the same ValueError
        except ValueError:
            continue
    return PriceTier.STANDARD


def custom_ids(path: Path) -> set[str]:
    """The custom_ids the file's lines start with, read from each line's start only (cheap).

    A torn line's id is included: `read` is what vouches for an answer."""
    return {cid for cid, _ in _lines_by_id(path)}


def responses(path: Path) -> dict[str, Any]:
    """custom_id -> response body, for every readable line (what export shows)."""
    return {cid: kept.response for cid, kept in read(path).items()}


class PromoteRunning(EngineError):
    """Another promote of the same batch is running (in this process or another)."""


def _try_lock(f: IO[str]) -> bool:
    if fcntl is None:
        return True
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def open_for_append(path: Path, batch_id: int) -> IO[str]:
    """The file for appending, locked for this promote (PromoteRunning if another holds it).

    A line torn by a kill is ended first, so that the next answer starts a line of its own
    instead of being glued to the fragment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    f = open(path, "a+", encoding="utf-8")
    if not _try_lock(f):
        f.close()
        # A sync may hold it for the moment it takes to record kept answers: hence "or".
        raise PromoteRunning(f"another promote of batch #{batch_id} is running, or its kept answers "
                             "are being recorded; wait for it to finish, then promote what is still pending")
    if _ends_torn(path):
        f.write("\n")
        f.flush()
    return f


def _ends_torn(path: Path) -> bool:
    """Whether the file's last line lacks its newline (read as bytes: a kill may have stopped
    inside a UTF-8 sequence, which text mode could not even read)."""
    with open(path, "rb") as raw:
        if raw.seek(0, 2) == 0:
            return False
        raw.seek(-1, 2)
        return raw.read(1) != b"\n"


@contextlib.contextmanager
def unless_promoting(path: Path) -> Iterator[bool]:
    """True (and the file held) when no promote of the batch is running; False otherwise."""
    if not path.exists():
        yield True
        return
    with open(path, encoding="utf-8") as f:
        yield _try_lock(f)


def line(custom_id: str, *, reported_tier: str | None, paid_tier: PriceTier, raw: str) -> str:
    return json.dumps({"custom_id": custom_id, "tier": reported_tier or paid_tier.value,
                       "paid_tier": paid_tier.value, "response": json.loads(raw) if raw else None},
                      separators=(",", ":")) + "\n"


class Recorder:
    """Marks items of one batch promoted with their answer's usage and costs (price rows are
    looked up once per model)."""

    def __init__(self, engine: Engine, batch: Batch) -> None:
        self.engine, self.batch = engine, batch
        self._rows: dict[str | None, Any] = {}

    def record(self, item: Item, result: Any, tier: PriceTier, fallback_model: str | None = None) -> float | None:
        """Record one answer; returns what it cost at `tier` (None when unpriced)."""
        engine, batch = self.engine, self.batch
        model = result.model or fallback_model or batch.model
        if model not in self._rows:
            self._rows[model] = pricing.price_row(engine.store, batch.provider, model)
        row = self._rows[model]
        paid = pricing.cost(result.usage, row, tier)
        standard = pricing.cost(result.usage, row, PriceTier.STANDARD)
        engine.store.record_promotion(item.id, result, promoted_cost=paid, realtime_cost=standard,
                                      tier=tier, now=engine.clock())
        return paid


def record_unmarked(engine: Engine, batch: Batch, recorder: Recorder | None = None) -> list[str]:
    """Record every answer in the batch's file whose item is not marked promoted (see above);
    returns their custom_ids. Each one is audited as `promote.recovered`.

    The caller holds the file's lock (`open_for_append` or `unless_promoting`): otherwise a
    running promote's answer, written but not yet marked, would pass for an interrupted one."""
    path = path_for(engine, batch)
    answered = custom_ids(path)
    if not answered:
        return []
    found = engine.store.find_items(batch.id, list(answered), with_request=False)
    items = [i for i in found if str(i.status) not in _FINAL]
    if not items:  # the usual case: every answer was recorded; nothing is decoded in full
        return []
    kept = read(path, {i.custom_id for i in items})
    items = [i for i in items if i.custom_id in kept]
    reader = providers.adapter_cls(batch.provider)
    recorder = recorder or Recorder(engine, batch)
    cost: float | None = 0.0
    for item in items:
        answer = kept[item.custom_id]
        paid = recorder.record(item, reader.read_realtime(item.custom_id, answer.raw).result, answer.tier)
        cost = None if paid is None or cost is None else cost + paid
    ids = [i.custom_id for i in items]
    engine.audit("promote.recovered", str(batch.id), {"items": len(ids), "cost": cost,
                                                      "custom_ids": ids[:20]})
    return ids


def record_or_owe(engine: Engine, batch: Batch) -> None:
    """After an ingest: record the batch's unmarked answers now, or, while a promote holds the
    file (it records its own answers, unless it dies first), leave them to a later sync pass."""
    with unless_promoting(path_for(engine, batch)) as free:
        if free:
            record_unmarked(engine, batch)
        else:
            _owe(engine, batch)


def _owe(engine: Engine, batch: Batch) -> None:
    owed = engine.results_root() / _OWED
    owed.mkdir(mode=0o700, parents=True, exist_ok=True)
    (owed / str(batch.id)).touch()


def record_owed(engine: Engine) -> dict[int, list[str]]:
    """For each batch `owe` left, record its unmarked answers once no promote holds its file;
    returns batch id -> custom_ids recorded. A batch still held stays owed.

    A marker goes while the lock is still held: no answer can be added meanwhile, so one written
    again in that time (by an ingest that found the file busy) owes nothing this check did not
    cover; once the lock is released, a new marker stays for the next pass."""
    try:
        markers = [entry for entry in os.scandir(engine.results_root() / _OWED) if entry.name.isdigit()]
    except FileNotFoundError:
        return {}
    recorded: dict[int, list[str]] = {}
    for marker in markers:
        batch = engine.store.get_batch(int(marker.name))
        if batch is None:
            Path(marker.path).unlink(missing_ok=True)
            continue
        with unless_promoting(path_for(engine, batch)) as free:
            if not free:
                continue
            if ids := record_unmarked(engine, batch):
                recorded[batch.id] = ids
            Path(marker.path).unlink(missing_ok=True)  # still under the lock (see above)
    return recorded
