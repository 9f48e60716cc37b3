"""Groq: OpenAI-style files and batches under /openai/v1 (reference §7).

The shared OpenAI-style adapter and formats serve it; what differs is data: the host root as
the groq SDK takes it (`GROQ_BASE_URL`, /openai/v1 added), completion windows 24h to 7d, chat
completions only, a batch list without paging, and no `model` or `usage` on the batch. Its
batch discount (25%) is a price-book fact (store/prices.toml), not code.
"""

from __future__ import annotations

from adapters.base import Capabilities
from adapters.openai.requests import CHAT, FORMAT
from adapters.openai.results import RESULTS
from adapters.registry import ProviderSpec
from store.model import PriceTier

MAX_REQUESTS = 50_000
"""UNCONFIRMED (reference §7 gives only the 100 MB file limit); OpenAI's figure, kept here."""

SPEC = ProviderSpec(
    name="groq",
    display_name="Groq",
    key_env="GROQ_API_KEY",
    base_url_env="GROQ_BASE_URL",
    default_base_url="https://api.groq.com",
    adapter="adapters.openai.adapter:OpenAIBatchAdapter",
    requests=FORMAT,
    results=RESULTS,
    capabilities=Capabilities(
        max_requests=MAX_REQUESTS,
        max_bytes=100_000_000,
        max_line_bytes=10_000_000,
        endpoints=(CHAT,),
        tiers=(PriceTier.STANDARD,),
        supports_request_readback=True,
        supports_metadata=True,
        mixed_models=False,
        windows=("24h", "48h", "72h", "4d", "5d", "6d", "7d"),
    ),
    default_concurrency=8,
    options={"api_path": "/openai/v1", "paged_list": False},
    rank=2,
)
