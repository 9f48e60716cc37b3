"""Export a batch's results in original order, as JSONL or CSV, streamed page by page.

JSONL row (stable): {"custom_id", "status", "source", "text", "usage", "error", "response"}
  source   "batch" | "realtime" (a promoted item's realtime answer) | null (no result)
  text     the generated text where the response has one
  usage    {"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"} | null
  error    {"type", "message", "class", "http_status"} | null
  response the provider's response body | null
CSV columns: custom_id, status, source, input_tokens, output_tokens, cache_read_tokens,
cache_write_tokens, error_type, error_message, text.
"""

from __future__ import annotations

import csv
import json
from typing import IO, TYPE_CHECKING, cast

from console.engine import providers
from console.engine.types import BadInput, ExportResult
from console.format.textclean import MULTILINE, json_escape
from console.format.wording import plural

if TYPE_CHECKING:  # annotations only: no import cycle, nothing loaded at run time
    from console.engine.service import Engine
    from store.model import Batch

PAGE = 2000
CSV_COLUMNS = ["custom_id", "status", "source", "input_tokens", "output_tokens", "cache_read_tokens",
               "cache_write_tokens", "error_type", "error_message", "text"]


class _CleanCells:
    """A text stream for `csv.writer` that writes to a terminal: every control character is
    shown as a visible symbol, except the row terminator and newlines (kept inside quoted
    cells). A carriage return anywhere else would let a cell overwrite what is shown."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out

    def write(self, text: str) -> int:
        body, crlf = (text[:-2], "\r\n") if text.endswith("\r\n") else (text, "")
        return self._out.write(body.translate(MULTILINE) + crlf)


def export(engine: Engine, batch: Batch, out: IO[str], *, format: str = "jsonl",
           terminal: bool = False) -> ExportResult:
    """Stream the batch to `out`. Byte-exact, unless `terminal` (`out` is the operator's
    terminal): then no control character reaches it — JSONL lines escape DEL, C1 and bidi
    controls as `\\uXXXX` (json.dumps already escapes C0), which decode to the same values;
    CSV cells show every control character as a visible symbol (`␛`), keeping newlines."""
    if format not in ("jsonl", "csv"):
        raise BadInput(f"unknown export format {format!r}; choose jsonl or csv")
    safe_line = json_escape if terminal else None
    if terminal and format == "csv":
        out = cast(IO[str], _CleanCells(out))  # writes only: all csv.writer asks of a stream
    cls = providers.spec(batch.provider)
    # Paid realtime answers, from the store (answer text is decoded only for promoted items).
    promoted = engine.store.realtime_answers(batch.id)
    writer = csv.writer(out) if format == "csv" else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    dumps = json.dumps
    rows = 0
    carried = 0  # rows holding the batch's own result
    offset = 0
    while True:
        page = engine.store.page_items(batch.id, offset=offset, limit=PAGE)
        for item in page:
            status = item.status.value if hasattr(item.status, "value") else str(item.status)
            response = None
            source = None
            if item.custom_id in promoted and status == "promoted":
                try:
                    response, source = json.loads(promoted[item.custom_id]), "realtime"
                except ValueError:
                    response, source = None, "realtime"
            elif item.result_offset is not None:
                raw = engine.store.raw_result(item)
                if raw:
                    try:
                        response = cls.response_body(json.loads(raw))
                    except ValueError:
                        response = None
                    source = "batch"
                    carried += 1
            text = cls.response_text(response) if response is not None else None
            u = item.usage
            usage = None if u is None else {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens,
                                            "cache_read_tokens": u.cache_read_tokens,
                                            "cache_write_tokens": u.cache_write_tokens}
            error = None
            if item.error_type or item.error_message:
                klass = item.error_class.value if item.error_class is not None else None
                error = {"type": item.error_type, "message": item.error_message, "class": klass,
                         "http_status": item.http_status}
            if writer is None:
                line = dumps({"custom_id": item.custom_id, "status": status, "source": source,
                              "text": text, "usage": usage, "error": error, "response": response},
                             ensure_ascii=False)
                out.write((safe_line(line) if safe_line else line) + "\n")
            else:
                writer.writerow([item.custom_id, status, source or "",
                                 *(("", "", "", "") if usage is None else
                                   (usage["input_tokens"], usage["output_tokens"],
                                    usage["cache_read_tokens"], usage["cache_write_tokens"])),
                                 item.error_type or "", item.error_message or "", text or ""])
            rows += 1
        if len(page) < PAGE:
            break
        offset += PAGE
    if carried:
        # The results are now in the operator's file too: their retention no longer needs
        # attention (batch_facts.results_left). An export without them secures nothing.
        engine.store.set_batch_fields(batch.id, exported_at=engine.clock())
    engine.audit("export", str(batch.id), {"rows": rows, "format": format, "results": carried})
    return ExportResult(batch_id=batch.id, rows=rows, format=format,
                        summary=f"exported {plural(rows, 'item')} of batch #{batch.id} as {format}")
