"""Mistral batch jobs (reference §5). The registry reads `SPEC`; httpx is imported only when an
adapter is built. EU and US hosts (`https://api.eu.mistral.ai`, `https://api.us.mistral.ai`)
are profile base URLs; a job is visible on the host that created it (UNCONFIRMED, §5)."""

from __future__ import annotations

from adapters.base import Capabilities
from adapters.mistral.requests import ENDPOINTS, FORMAT
from adapters.mistral.results import RESULTS
from adapters.registry import ProviderSpec
from store.model import PriceTier

SPEC = ProviderSpec(
    name="mistral",
    display_name="Mistral",
    key_env="MISTRAL_API_KEY",
    base_url_env="MISTRAL_BASE_URL",  # the server URL as mistralai takes it; the adapter appends /v1
    default_base_url="https://api.mistral.ai",
    adapter="adapters.mistral.adapter:MistralBatchAdapter",
    requests=FORMAT,
    results=RESULTS,
    capabilities=Capabilities(
        max_requests=1_000_000,  # confirmed, reference §5
        # No documented file size cap (UNCONFIRMED); bounded like OpenAI's 200 MB.
        max_bytes=200_000_000,
        max_line_bytes=10_000_000,
        endpoints=ENDPOINTS,
        tiers=(PriceTier.STANDARD,),
        supports_request_readback=True,  # the adapter always uploads an input file
        supports_metadata=True,
        mixed_models=False,
        # `timeout_hours` per job (`submit --window 6h`); the default 24 h is the SDK's. The
        # maximum is UNCONFIRMED (reference §14): a week is offered as the longest.
        windows=("24h", "1h", "6h", "12h", "48h", "72h", "168h"),
    ),
    default_concurrency=8,
    rank=30,
)
