"""The demo fleet speaks each provider's own words: raw statuses the lifecycle maps back, request
bodies its request format accepts, results lines its own decoder reads (issues 16, 17)."""

from __future__ import annotations

import json

import pytest

from adapters import registry
from adapters.lifecycle import batch_status
from console.demo import lines
from console.demo.seed import DEMO_IDS, fleet
from store.model import BatchStatus, ItemStatus, Usage

PROVIDERS = sorted({spec.provider for spec in fleet()})


def test_fleet_has_every_batch_provider_but_the_profile_only_ones() -> None:
    assert {"openai", "anthropic", "gemini", "mistral", "groq", "together"} <= set(PROVIDERS)


@pytest.mark.parametrize("provider", sorted(DEMO_IDS))
def test_raw_words_map_back_to_their_status(provider: str) -> None:
    for status, raw in DEMO_IDS[provider][1].items():
        if provider == "anthropic" and raw == "ended":
            continue  # Anthropic's one ended word is read with the counts (lifecycle tests)
        assert batch_status(provider, raw) == BatchStatus(status), (provider, raw)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_request_bodies_are_the_providers_own(provider: str) -> None:
    spec = registry.get(provider)
    body = json.loads(lines.request_body(provider, "some-model", "c-1", 3))
    assert spec.validate_body(body, spec.default_endpoint) is None


@pytest.mark.parametrize("provider", [p for p in PROVIDERS
                                      if any(s.provider == p and s.status != "in_progress" for s in fleet())])
def test_results_lines_read_back_through_the_providers_decoder(provider: str) -> None:
    parse = registry.get(provider).line_parser()
    ok = lines.result_line(provider, "m", "c-1", 1, "succeeded", None, Usage(120, 40))
    got = parse(json.dumps(ok).encode())
    assert got is not None and got.custom_id == "c-1" and got.status == ItemStatus.SUCCEEDED
    assert got.usage is not None and (got.usage.input_tokens, got.usage.output_tokens) == (120, 40)
    bad = lines.result_line(provider, "m", "c-2", 2, "errored", "rate_limit_error", None)
    got = parse(json.dumps(bad).encode())
    assert got is not None and got.status == ItemStatus.ERRORED and got.error_type == "rate_limit_error"


def test_a_provider_without_demo_lines_is_refused() -> None:
    with pytest.raises(ValueError, match="gemini"):
        lines.result_line("gemini", "m", "c-1", 1, "succeeded", None, Usage(1, 1))
