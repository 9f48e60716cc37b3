"""Gemini Batch Mode (Developer API, reference §4). The registry reads `SPEC`; httpx is
imported only when an adapter is built."""

from __future__ import annotations

from adapters.base import Capabilities
from adapters.gemini.requests import ENDPOINT, FORMAT
from adapters.gemini.results import RESULTS
from adapters.registry import ProviderSpec
from store.model import PriceTier

SPEC = ProviderSpec(
    name="gemini",
    display_name="Gemini",
    key_env="GEMINI_API_KEY",  # GOOGLE_API_KEY is read too (adapters.gemini.adapter.KEY_ENVS)
    base_url_env="GEMINI_BASE_URL",  # the host root; the adapter appends API_VERSION (v1beta)
    default_base_url="https://generativelanguage.googleapis.com",
    adapter="adapters.gemini.adapter:GeminiBatchAdapter",
    requests=FORMAT,
    results=RESULTS,
    capabilities=Capabilities(
        # No documented request count cap; the Files API takes 2 GB per file (§4.2). The
        # count cap is our own bound on one batch, kept in line with the others.
        max_requests=100_000,
        max_bytes=2 * 1024 * 1024 * 1024,
        max_line_bytes=10_000_000,
        endpoints=(ENDPOINT,),
        # Flex and Priority exist for realtime calls (§4.6) but their parameter values are
        # UNCONFIRMED: promotion uses the standard tier only until they are.
        tiers=(PriceTier.STANDARD,),
        supports_request_readback=False,
        supports_metadata=True,  # the submit token rides in displayName
        mixed_models=False,
        windows=("48h",),
    ),
    default_concurrency=8,
    rank=20,
    id_field="key",  # a responses-file line names its request by `key` (our custom_id)
)
