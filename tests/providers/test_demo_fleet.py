"""The live demo fleet spans every provider family, and its request files are valid for each."""

from __future__ import annotations

from dataclasses import replace

from console.demo.fleet import TONIGHT, YESTERDAY, write_requests


def test_the_fleet_has_every_family():
    assert {"openai", "anthropic", "groq", "together", "doubleword"} <= {s.provider for s in (*YESTERDAY, *TONIGHT)}


async def test_every_demo_file_validates_for_its_provider(engine, tmp_path):
    for spec in (*YESTERDAY, *TONIGHT):
        path = write_requests(replace(spec, size=min(spec.size, 5)), tmp_path)
        est = engine.estimate_file(path, provider=spec.provider)
        assert est.requests == min(spec.size, 5) and est.model == spec.model, spec
