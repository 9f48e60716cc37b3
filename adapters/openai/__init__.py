"""OpenAI: the Batch API over files (reference §2). The registry reads `SPEC`; the SDK is
imported only when an adapter is built."""

from __future__ import annotations

from adapters.base import Capabilities
from adapters.openai.requests import ENDPOINTS, FORMAT
from adapters.openai.results import RESULTS
from adapters.registry import ProviderSpec
from store.model import PriceTier

INPUT_FILE_RETENTION = 30 * 86_400.0
"""Input files uploaded with `purpose=batch` expire 30 days after upload unless the uploader
set `expires_after` (confirmed: reference §2.6, the SDK's file_create_params). Counted here from
the batch's creation, which follows the upload (usually by seconds); the input file's own
`expires_at` is asked for when it matters (`OpenAIBatchAdapter.inputs_until`)."""

SPEC = ProviderSpec(
    name="openai",
    display_name="OpenAI",
    key_env="OPENAI_API_KEY",
    base_url_env="OPENAI_BASE_URL",
    default_base_url="https://api.openai.com/v1",
    adapter="adapters.openai.adapter:OpenAIBatchAdapter",
    requests=FORMAT,
    results=RESULTS,
    capabilities=Capabilities(
        max_requests=50_000,
        max_bytes=200_000_000,
        # The reference documents no per-line limit; a conservative default.
        max_line_bytes=10_000_000,
        endpoints=ENDPOINTS,
        tiers=(PriceTier.FLEX, PriceTier.STANDARD, PriceTier.PRIORITY),
        supports_request_readback=True,
        supports_metadata=True,
        mixed_models=False,
        windows=("24h",),
        max_embedding_inputs=50_000,
    ),
    default_concurrency=16,
    options={"input_retention": INPUT_FILE_RETENTION},
    rank=0,
)
