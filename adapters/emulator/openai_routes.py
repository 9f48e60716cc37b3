"""OpenAI wire protocol under /v1: the route table of its three parts.

    openai_files     POST|GET /v1/files, GET|DELETE /v1/files/{id}, GET /v1/files/{id}/content
    openai_batches   POST|GET /v1/batches, GET /v1/batches/{id}, POST /v1/batches/{id}/cancel
    openai_realtime  POST /v1/chat/completions, /v1/responses, /v1/embeddings

The Batch and FileObject bodies both parts answer with are built in `openai_objects`.
"""

from __future__ import annotations

from starlette.routing import Route

from . import openai_batches, openai_files, openai_realtime


def routes() -> list[Route]:
    return openai_files.routes() + openai_batches.routes() + openai_realtime.routes()
