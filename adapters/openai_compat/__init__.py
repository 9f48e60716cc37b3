"""Any OpenAI-compatible batch service (vLLM, self-hosted gateways...): a profile names it.

    [profiles.vllm]
    provider = "openai_compat"
    base_url = "http://gpu-box:8000/v1"
    api_key_env = "VLLM_KEY"
    windows = ["24h", "1h"]
    max_requests = 10000

There is no default host: without a profile's `base_url` (or OPENAI_COMPAT_BASE_URL) the
adapter says so. Its limits and windows come from the profile; prices are rows for provider
`openai_compat` in the price book.
"""

from __future__ import annotations

from adapters.base import Capabilities
from adapters.openai.requests import ENDPOINTS, FORMAT
from adapters.openai.results import RESULTS
from adapters.registry import ProviderSpec
from store.model import PriceTier

SPEC = ProviderSpec(
    name="openai_compat",
    display_name="OpenAI-compatible service",
    key_env="OPENAI_COMPAT_API_KEY",
    base_url_env="OPENAI_COMPAT_BASE_URL",
    default_base_url="",
    adapter="adapters.openai.adapter:OpenAIBatchAdapter",
    requests=FORMAT,
    results=RESULTS,
    capabilities=Capabilities(
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
    rank=9,
)
