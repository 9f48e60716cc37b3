"""Anthropic: Message Batches with inline requests (reference §3). The registry reads `SPEC`;
the SDK is imported only when an adapter is built."""

from __future__ import annotations

from adapters.anthropic.requests import ENDPOINT, FORMAT
from adapters.anthropic.results import RESULTS
from adapters.base import Capabilities
from adapters.registry import ProviderSpec
from store.model import PriceTier

SPEC = ProviderSpec(
    name="anthropic",
    display_name="Anthropic",
    key_env="ANTHROPIC_API_KEY",
    base_url_env="ANTHROPIC_BASE_URL",
    default_base_url="https://api.anthropic.com",
    adapter="adapters.anthropic.adapter:AnthropicBatchAdapter",
    requests=FORMAT,
    results=RESULTS,
    capabilities=Capabilities(
        max_requests=100_000,
        max_bytes=256_000_000,
        max_line_bytes=10_000_000,
        endpoints=(ENDPOINT,),
        tiers=(PriceTier.STANDARD,),
        supports_request_readback=False,
        supports_metadata=False,
        mixed_models=True,
        windows=("24h",),
    ),
    default_concurrency=16,
    rank=1,
)
