"""The last check on a parsed result before it is written: whatever parser read the line,
a result whose fields are not what the store holds (a token count that is negative, huge or
not a whole number, a model that is not text, a lone surrogate) becomes `malformed_result`
for its item, and the rest of the file is ingested. One bad line never stops an ingest, and
never puts a made-up number into the money columns."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from store.model import ErrorClass, ItemResult, ItemStatus, Usage

MAX_RESULT_TOKENS = 10**9
"""More tokens than any one request can use (context windows are ~10^6); the adapters use the
same bound when they read a line (adapters.base.MAX_RESULT_TOKENS)."""

MALFORMED = "malformed_result"


def _text(value: object) -> bool:
    """None, or a str that SQLite can store (encodable as UTF-8)."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    if value.isascii():  # the usual case, and no surrogate is ASCII
        return True
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def problem(result: ItemResult) -> str | None:
    """Why `result` cannot be stored as it is, or None.

    Runs once per result line, so the usual result (four whole token counts, an ASCII model
    name, no error text) is checked inline, without a call per field (a third of this check's
    cost, measured); anything else takes the field-by-field test that names the bad field."""
    if not isinstance(result.status, ItemStatus):
        return "status"
    usage = result.usage
    if usage is not None:
        if not isinstance(usage, Usage):
            return "usage"
        i, o, r, w, top = (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens,
                           usage.cache_write_tokens, MAX_RESULT_TOKENS)
        # type() is int, not isinstance: a bool is not a token count
        if not (type(i) is int and type(o) is int and type(r) is int and type(w) is int
                and 0 <= i <= top and 0 <= o <= top and 0 <= r <= top and 0 <= w <= top):
            return "token count"
    model, error_type, error_message = result.model, result.error_type, result.error_message
    if not ((model is None or type(model) is str and model.isascii())
            and error_type is None and error_message is None):
        for name, value in (("model", model), ("error_type", error_type), ("error_message", error_message)):
            if not _text(value):
                return name
    status = result.http_status
    if status is not None and not (type(status) is int and 0 <= status <= 999):
        return "http_status"
    if result.error_class is not None and not isinstance(result.error_class, ErrorClass):
        return "error_class"
    return None


def checked(results: Iterable[ItemResult]) -> Iterator[ItemResult]:
    """`results`, each either as it is or, if `problem()` finds one, as an errored
    `malformed_result` for the same item (retryable: resubmitting gets a readable answer).
    A result whose custom_id itself is unusable is dropped: its item is later settled as
    `missing_result` from the batch's end state."""
    for result in results:
        cid = result.custom_id
        if not (isinstance(cid, str) and cid and (cid.isascii() or _text(cid))):
            continue
        why = problem(result)
        if why is None:
            yield result
            continue
        yield ItemResult(cid, ItemStatus.ERRORED, error_type=MALFORMED,
                         error_message=f"the provider's result line could not be read (bad {why})",
                         error_class=ErrorClass.RETRYABLE, offset=result.offset, length=result.length)
