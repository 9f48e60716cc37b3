"""Adapter exceptions: every provider failure reaches the engine as one of these.

The SDKs are created with `max_retries=0`, so each HTTP failure surfaces here once and the
engine decides (bounded, observable, testable) whether and when to try again: `retryable`,
`status` and `retry_after` carry everything it needs. Messages never contain an API key:
`redact()` scrubs the configured key from any text that crosses this boundary.
"""

from __future__ import annotations

import re
from typing import Any


class AdapterError(Exception):
    """A provider call failed.

    Attributes:
        retryable: sending the same call again later can succeed (429, 408, 409, 5xx,
            connection errors, timeouts).
        status: the HTTP status, or None for connection-level failures.
        retry_after: seconds the provider asked us to wait (`retry-after` header), if any.
        error_type: the provider's error type string, when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
        error_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after
        self.error_type = error_type

    def __str__(self) -> str:
        return self.message


class RateLimited(AdapterError):
    """HTTP 429 (or flex capacity shed): wait `retry_after` and try again."""


class ProviderUnavailable(AdapterError):
    """5xx, 529 overloaded, timeouts and broken connections."""


class AuthFailed(AdapterError):
    """401/403: the key is missing, wrong or lacks permission."""


class NotFoundError(AdapterError):
    """404: the batch or file does not exist (or is no longer retained)."""


class BadRequest(AdapterError):
    """400/422 and other permanent client errors: the request must change first."""


class ResultsNotReady(AdapterError):
    """The batch has no results to download yet (or none at all)."""


class ReadbackUnsupported(AdapterError):
    """The provider cannot give back a batch's original requests (Anthropic)."""


class DownloadIncomplete(AdapterError):
    """A results download broke midway; the partial file is kept and the next call resumes."""


_SECRET_PATTERNS = (
    re.compile(r"sk-[A-Za-z0-9_\-*]{6,}"),
    # "Authorization: Basic <b64>" / "Bearer <key>": the scheme word and the credentials after
    # it (16+ characters, so that prose such as "basic tier" is left alone).
    re.compile(r"(?i)\b(basic|bearer)(\s+)[A-Za-z0-9+/=._~\-]{16,}"),
    re.compile(r"(?i)(api[_-]?key|authorization|x-api-key)([\"'=:\s]+)(?:(?:basic|bearer)\s+\*\*\*|[^\s\"',;}]+)"),
)


def secret_forms(secret: str) -> list[str]:
    """Every way `secret` can appear in text: as is, and base64-encoded (standard and URL-safe)
    wherever it sits in the encoded bytes, as in `Basic base64("user:" + key)`. For an encoded
    form, the part that depends on the key's bytes alone is kept (the characters of the 3-byte
    groups wholly inside the key, for each of the three alignments)."""
    import base64

    raw = secret.encode("utf-8", "surrogatepass")
    forms = {secret}
    for shift in range(3):
        first, end = -(-shift // 3) * 4, (shift + len(raw)) // 3 * 4
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            core = encode(b"\0" * shift + raw).decode()[first:end]
            if len(core) >= 8:
                forms.add(core)
    return sorted(forms, key=len, reverse=True)


def redact(text: str, secrets: tuple[str | None, ...] = (), *, heuristics: bool = True) -> str:
    """Remove API keys from a message: every form of the configured secrets (plain, base64,
    inside `Basic base64(user:key)`), then anything key- or credential-shaped. The one
    function batchdeck redacts with, wherever text may carry a key. `heuristics=False` removes
    only the configured secrets (for text of our own, such as file names in the audit log)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            for form in secret_forms(secret):
                text = text.replace(form, "***")
    if not heuristics:
        return text
    text = _SECRET_PATTERNS[0].sub("sk-***", text)
    text = _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    return _SECRET_PATTERNS[2].sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


def redact_all(value: Any, secrets: tuple[str | None, ...] = ()) -> Any:
    """`value` (JSON-like: dicts, lists, strings) with every form of `secrets` removed from each
    string in it (the configured secrets only: the key-shaped heuristics would mangle names)."""
    if isinstance(value, str):
        return redact(value, secrets, heuristics=False)
    if isinstance(value, dict):
        return {k: redact_all(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_all(v, secrets) for v in value]
    return value


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `retry-after` (or `retry-after-ms`) header value; None if unusable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        import time
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds)


def from_http(
    status: int | None,
    message: str,
    *,
    headers: object = None,
    error_type: str | None = None,
    secrets: tuple[str | None, ...] = (),
) -> AdapterError:
    """Build the right AdapterError for an HTTP status (None: connection failure)."""
    retry_after = None
    if headers is not None:
        getter = getattr(headers, "get", None)
        if getter is not None:
            ms = getter("retry-after-ms")
            if ms is not None:  # the more precise of the two, when the server sends it
                try:
                    retry_after = max(0.0, float(ms) / 1000.0)
                except ValueError:
                    retry_after = None
            if retry_after is None:
                retry_after = parse_retry_after(getter("retry-after"))
    message = redact(message, secrets)
    kw: dict[str, Any] = dict(status=status, retry_after=retry_after, error_type=error_type)
    if status is None:
        return ProviderUnavailable(message, retryable=True, **kw)
    if status == 429:
        return RateLimited(message, retryable=True, **kw)
    if status in (401, 403):
        return AuthFailed(message, retryable=False, **kw)
    if status == 404:
        return NotFoundError(message, retryable=False, **kw)
    if status in (408, 409) or status >= 500:
        return ProviderUnavailable(message, retryable=True, **kw)
    return BadRequest(message, retryable=False, **kw)


def wrap_sdk_error(exc: BaseException, *, provider: str, secrets: tuple[str | None, ...] = ()) -> AdapterError:
    """Translate an openai/anthropic SDK exception (duck-typed: both share one shape)."""
    if isinstance(exc, AdapterError):
        return exc
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) if response is not None else None
    body = getattr(exc, "body", None)
    error_type = None
    detail = None
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            kind, code = err.get("type"), err.get("code")
            # OpenAI rate limits: type "requests"/"tokens", the real name in code.
            error_type = code if code and kind in (None, "", "requests", "tokens") else (kind or code)
            detail = err.get("message")
    name = type(exc).__name__
    if status is None:
        # APIConnectionError / APITimeoutError / httpx2 transport errors.
        text = f"{provider} could not be reached ({name})"
        if "Timeout" in name:
            text = f"{provider} did not answer in time"
        return from_http(None, text, secrets=secrets)
    text = f"{provider} answered HTTP {status}"
    if detail:
        text += f": {detail}"
    return from_http(int(status), text, headers=headers, error_type=error_type, secrets=secrets)
