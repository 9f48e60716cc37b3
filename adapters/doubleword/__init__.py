"""Doubleword: an OpenAI-compatible batch service (reference §8), through the openai SDK with
its base URL. Windows `24h` and `1h` (the async tier); its own price rows per window."""

from __future__ import annotations

from adapters.base import Capabilities
from adapters.openai.requests import ENDPOINTS, FORMAT
from adapters.openai.results import RESULTS
from adapters.registry import ProviderSpec
from store.model import PriceTier

SPEC = ProviderSpec(
    name="doubleword",
    display_name="Doubleword",
    key_env="DOUBLEWORD_API_KEY",
    base_url_env="DOUBLEWORD_BASE_URL",
    default_base_url="https://api.doubleword.ai/v1",
    adapter="adapters.openai.adapter:OpenAIBatchAdapter",
    requests=FORMAT,
    results=RESULTS,
    capabilities=Capabilities(
        # 200 MB / 50,000 requests per file: a secondary source (reference §8).
        max_requests=50_000,
        max_bytes=200_000_000,
        max_line_bytes=10_000_000,
        endpoints=ENDPOINTS[:3],
        tiers=(PriceTier.STANDARD,),
        supports_request_readback=True,
        supports_metadata=True,
        mixed_models=False,
        windows=("24h", "1h"),
    ),
    default_concurrency=8,
    options={"include": "analytics"},
    rank=4,
)
