"""OpenAI wire protocol under /v1: the route table of its three parts.

    files     POST|GET /v1/files, GET|DELETE /v1/files/{id}, GET /v1/files/{id}/content
    batches   POST|GET /v1/batches, GET /v1/batches/{id}, POST /v1/batches/{id}/cancel
    realtime  POST /v1/chat/completions, /v1/responses, /v1/embeddings

The Batch and FileObject bodies both parts answer with are built in `objects`.
"""

from __future__ import annotations

from starlette.routing import Route

from ..dialect import Dialect
from . import batches, files, realtime
from .dialect import DIALECT


def routes(dialect: Dialect = DIALECT, prefix: str = "/v1") -> list[Route]:
    """OpenAI's routes under `prefix`, serving `dialect` (OpenAI itself by default)."""
    return files.routes(dialect, prefix) + batches.routes(dialect, prefix) + realtime.routes(dialect, prefix)
