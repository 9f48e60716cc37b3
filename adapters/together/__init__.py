"""Together: batch jobs over its own files flow (reference §6), through httpx (the openai SDK
does not fit its redirect upload, wrapped create answer or bare-array list).

Request lines are `{custom_id, body}` (OpenAI's body, chat completions only, custom_id of at
most 64 characters); results are OpenAI-style lines, decoded by the shared decoder and its one
failure rule (a COMPLETED job can hold failures, in either file)."""

from __future__ import annotations

from adapters.base import Capabilities
from adapters.openai.requests import CHAT
from adapters.openai.results import RESULTS
from adapters.registry import ProviderSpec
from adapters.together.requests import FORMAT
from store.model import PriceTier

SPEC = ProviderSpec(
    name="together",
    display_name="Together",
    key_env="TOGETHER_API_KEY",
    base_url_env="TOGETHER_BASE_URL",
    default_base_url="https://api.together.ai",
    adapter="adapters.together.adapter:TogetherBatchAdapter",
    requests=FORMAT,
    results=RESULTS,
    capabilities=Capabilities(
        max_requests=50_000,
        max_bytes=100_000_000,
        max_line_bytes=10_000_000,
        endpoints=(CHAT,),
        tiers=(PriceTier.STANDARD,),
        supports_request_readback=True,
        # No metadata on a job: our submit token rides in the input file's name, which the
        # adapter reads back when reconciling (list_batches with `since`).
        supports_metadata=True,
        mixed_models=False,
        windows=("24h",),
    ),
    default_concurrency=8,
    rank=3,
)
