"""Reading batch input: OpenAI's JSONL file and Anthropic's inline request array.

Both become one `Items` table (parallel lists: cheap for 50,000+ requests). OpenAI problems
are collected as `errors.data` entries (the batch fails after `validating`, as the real API
does); Anthropic problems raise `InputError` (the real API answers the create with a 400).
Requests that are well-formed lines but bad calls (no `messages`, `stream: true`, ...) are
kept and marked invalid: they end as per-item permanent errors.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from . import content

OPENAI_MAX_REQUESTS = 50_000
OPENAI_MAX_BYTES = 200 * 1024 * 1024
ANTHROPIC_MAX_REQUESTS = 100_000
ANTHROPIC_MAX_BYTES = 256 * 1024 * 1024
MAX_VALIDATION_ERRORS = 10
_CUSTOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

OPENAI_ENDPOINTS = ("/v1/chat/completions", "/v1/responses", "/v1/embeddings")


class InputError(ValueError):
    """A batch create the provider would refuse outright (Anthropic: HTTP 400/413)."""

    def __init__(self, message: str, status: int = 400, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind


@dataclass
class Items:
    custom_ids: list[str] = field(default_factory=list)
    cid_json: list[str] = field(default_factory=list)
    """Each custom_id as a JSON string literal (escaped once, reused on every download)."""
    in_tokens: list[int] = field(default_factory=list)
    max_tokens: list[int | None] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    uses_cache: list[bool] = field(default_factory=list)
    emb_inputs: list[int] = field(default_factory=list)
    emb_dims: list[int] = field(default_factory=list)
    emb_b64: list[bool] = field(default_factory=list)
    invalid: dict[int, tuple[str, str, str | None]] = field(default_factory=dict)
    """index -> (code, message, param) for requests that will fail as bad requests."""
    errors: list[dict[str, Any]] = field(default_factory=list)
    """OpenAI validation errors: {code, line, message, param} (empty when the file is fine)."""
    model: str | None = None
    n_bytes: int = 0

    def __len__(self) -> int:
        return len(self.custom_ids)

    def add(self, custom_id: str, body: dict[str, Any], endpoint: str) -> None:
        self.custom_ids.append(custom_id)
        self.cid_json.append(json.dumps(custom_id))
        tokens, cache = content.prompt_tokens(body, endpoint)
        self.in_tokens.append(tokens)
        self.max_tokens.append(content.max_output_tokens(body))
        model = body.get("model")
        self.models.append(model if isinstance(model, str) and model else "unknown-model")
        self.uses_cache.append(cache)
        if endpoint.endswith("/embeddings"):
            self.emb_inputs.append(content.embedding_inputs(body))
            self.emb_dims.append(content.embedding_dims(body))
            self.emb_b64.append(body.get("encoding_format") == "base64")


def bad_call(body: dict[str, Any], endpoint: str) -> tuple[str, str, str | None] | None:
    if body.get("stream") is True:
        return ("invalid_request_error", "Streaming is not supported in batch requests.", "stream")
    required = {
        "/v1/chat/completions": ("model", "messages"),
        "/v1/responses": ("model", "input"),
        "/v1/embeddings": ("model", "input"),
        "anthropic": ("model", "messages", "max_tokens"),
    }[endpoint if endpoint in OPENAI_ENDPOINTS else "anthropic"]
    for name in required:
        if body.get(name) in (None, "", []):
            return ("missing_required_parameter", f"Missing required parameter: '{name}'.", name)
    mt = body.get("max_tokens")
    if endpoint == "anthropic" and (not isinstance(mt, int) or mt < 1):
        return ("invalid_request_error", "max_tokens: must be greater than or equal to 1", "max_tokens")
    return None


def parse_openai(data: bytes, endpoint: str) -> Items:
    """Parse a batch input file; problems go to `items.errors` (codes as the real API)."""
    items = Items(n_bytes=len(data))
    seen: set[str] = set()
    errors = items.errors

    def err(code: str, line: int | None, message: str, param: str | None = None) -> None:
        if len(errors) < MAX_VALIDATION_ERRORS:
            errors.append({"code": code, "line": line, "message": message, "param": param})

    lines = data.decode("utf-8", errors="replace").splitlines()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError:
            err("invalid_json_line", number, f"This line is not parseable as valid JSON (line {number}).")
            continue
        if not isinstance(obj, dict):
            err("invalid_json_line", number, "Each line must be a JSON object.")
            continue
        custom_id, url, body = obj.get("custom_id"), obj.get("url"), obj.get("body")
        if not isinstance(custom_id, str) or not custom_id:
            err("missing_required_parameter", number, "Missing required parameter: 'custom_id'.", "custom_id")
            continue
        if obj.get("method") != "POST":
            err("invalid_request", number, "The only supported method is POST.", "method")
            continue
        if url != endpoint:
            err("url_mismatch", number,
                f"The URL provided for this request does not match the batch endpoint: {url!r} vs {endpoint!r}.", "url")
            continue
        if not isinstance(body, dict):
            err("missing_required_parameter", number, "Missing required parameter: 'body'.", "body")
            continue
        if custom_id in seen:
            err("duplicate_custom_id", number,
                f"The custom_id for this request is a duplicate of another request: {custom_id!r}.", "custom_id")
            continue
        seen.add(custom_id)
        model = body.get("model")
        if isinstance(model, str) and model:
            if items.model is None:
                items.model = model
            elif model != items.model:
                err("model_mismatch", number,
                    f"The provided model {model!r} does not match the model of the other requests "
                    f"({items.model!r}); a batch may only target one model.", "body.model")
                continue
        bad = bad_call(body, endpoint)
        if bad is not None:
            items.invalid[len(items)] = bad
        items.add(custom_id, body, endpoint)
    if not len(items) and not errors:
        err("empty_file", None, "The input file is empty.")
    return items


def parse_anthropic(requests: Any, max_requests: int | None, max_bytes: int | None, n_bytes: int) -> Items:
    """Check an Anthropic create body's `requests`; raise InputError as the API's 400/413 would."""
    limit_bytes = max_bytes or ANTHROPIC_MAX_BYTES
    if n_bytes > limit_bytes:
        raise InputError(f"Request exceeds the maximum allowed size of {limit_bytes} bytes.", 413, "request_too_large")
    if not isinstance(requests, list) or not requests:
        raise InputError("requests: List should have at least 1 item after validation, not 0")
    limit = max_requests or ANTHROPIC_MAX_REQUESTS
    if len(requests) > limit:
        raise InputError(f"requests: List should have at most {limit} items after validation, not {len(requests)}")
    items = Items(n_bytes=n_bytes)
    seen: set[str] = set()
    for i, req in enumerate(requests):
        if not isinstance(req, dict):
            raise InputError(f"requests.{i}: Input should be a valid dictionary")
        custom_id, params = req.get("custom_id"), req.get("params")
        if not isinstance(custom_id, str) or not _CUSTOM_ID.match(custom_id):
            raise InputError(f"requests.{i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
        if custom_id in seen:
            raise InputError(f"requests.{i}.custom_id: Duplicate custom_id {custom_id!r}; "
                             "custom_id values must be unique within a batch.")
        if not isinstance(params, dict):
            raise InputError(f"requests.{i}.params: Field required")
        seen.add(custom_id)
        bad = bad_call(params, "anthropic")
        if bad is not None:
            items.invalid[len(items)] = ("invalid_request_error", f"params: {bad[1]}", bad[2])
        items.add(custom_id, params, "anthropic")
    return items
