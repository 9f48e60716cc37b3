"""A small JSON-over-HTTP client on httpx for providers without an SDK worth its weight
(Gemini, Mistral): one async client, every failure as an `AdapterError` once.

As with the SDK clients (`max_retries=0`), nothing here retries: the engine decides, with
bounded backoff, from `retryable`, `status` and `retry_after`. Error messages carry the
provider's own sentence with the key redacted; the key is only ever in a request header.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

from adapters import download as dl
from adapters.errors import AdapterError, from_http


def _detail(resp: httpx.Response) -> tuple[str | None, str | None]:
    """(message, error type) from a provider's error body: Google `{error: {message, status}}`,
    Mistral `{message, type}` / `{detail}`, OpenAI-style `{error: {message, type}}`."""
    try:
        body = resp.json()
    except ValueError:
        return (resp.text[:200] or None), None
    if not isinstance(body, dict):
        return None, None
    err = body.get("error")
    if isinstance(err, dict):
        kind = err.get("status") or err.get("type") or err.get("code")
        return (str(err["message"]) if err.get("message") else None), (str(kind) if kind else None)
    if isinstance(body.get("message"), str):
        return body["message"], str(body.get("type")) if body.get("type") else None
    detail = body.get("detail")
    if detail is not None:
        return str(detail)[:300], None
    return None, None


class JsonHTTP:
    """httpx.AsyncClient with the provider's auth headers and error translation."""

    def __init__(self, base_url: str, headers: Mapping[str, str], *, label: str,
                 secrets: tuple[str | None, ...], timeout: float = 120.0) -> None:
        self.label = label
        self.secrets = secrets
        self.client = httpx.AsyncClient(base_url=base_url.rstrip("/"), headers=dict(headers),
                                        timeout=httpx.Timeout(timeout, connect=15.0))

    def error(self, resp: httpx.Response) -> AdapterError:
        message, kind = _detail(resp)
        text = f"{self.label} answered HTTP {resp.status_code}" + (f": {message}" if message else "")
        return from_http(resp.status_code, text, headers=resp.headers, error_type=kind, secrets=self.secrets)

    def unreachable(self, exc: Exception) -> AdapterError:
        name = type(exc).__name__
        text = (f"{self.label} did not answer in time" if "Timeout" in name
                else f"{self.label} could not be reached ({name})")
        return from_http(None, text, secrets=self.secrets)

    async def send(self, method: str, path: str, *, json: Any = None, params: Any = None,
                   content: bytes | AsyncIterator[bytes] | None = None, files: Any = None, data: Any = None,
                   headers: Mapping[str, str] | None = None) -> httpx.Response:
        """One call; a non-2xx answer or a transport failure raises `AdapterError`."""
        try:
            resp = await self.client.request(method, path, json=json, params=params, content=content,
                                             files=files, data=data, headers=dict(headers or {}))
        except httpx.HTTPError as exc:
            raise self.unreachable(exc) from None
        if resp.status_code >= 400:
            raise self.error(resp)
        return resp

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = await self.send(method, path, **kwargs)
        if not resp.content:
            return {}
        try:
            return resp.json()
        except ValueError:
            raise from_http(502, f"{self.label} answered with a body that is not JSON",
                            secrets=self.secrets) from None

    def opener(self, path: str, params: Mapping[str, str] | None = None) -> dl.OpenStream:
        """A resumable-download stream opener (`adapters.download`) for a GET of `path`."""

        @asynccontextmanager
        async def open_stream(headers: dict[str, str]) -> AsyncIterator[Any]:
            request = self.client.build_request("GET", path, params=params, headers=headers)
            try:
                resp = await self.client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise self.unreachable(exc) from None
            try:
                if resp.status_code >= 400:
                    await resp.aread()
                    raise self.error(resp)
                yield _Stream(resp)
            finally:
                await resp.aclose()

        return open_stream

    async def aclose(self) -> None:
        await self.client.aclose()


class _Stream:
    """An httpx streaming response with the interface `adapters.download` reads."""

    def __init__(self, resp: httpx.Response) -> None:
        self._resp = resp
        self.status_code = resp.status_code
        self.headers = resp.headers

    def iter_bytes(self, size: int) -> AsyncIterator[bytes]:
        return self._resp.aiter_bytes(size)
