"""Realtime endpoints (used to promote urgent items): tiers, latency, usage from the request."""

from __future__ import annotations

import math
import time

import anthropic
import openai
import pytest

from adapters.emulator.testing import running_emulator

MSG = [{"role": "user", "content": "Classify this ticket: the invoice total is wrong."}]


def test_chat_completion_reports_the_tier_it_ran_on(oai):
    for asked, ran in [(None, "default"), ("auto", "default"), ("default", "default"),
                       ("priority", "priority"), ("fast", "priority")]:
        kwargs = {"service_tier": asked} if asked else {}
        r = oai.chat.completions.create(model="gpt-6-luna", messages=MSG, max_tokens=100, **kwargs)
        assert r.object == "chat.completion" and r.service_tier == ran
        text = r.choices[0].message.content
        assert r.usage.completion_tokens == math.ceil(len(text) / 4) <= 100
        assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_usage_grows_with_the_prompt_and_is_deterministic_for_the_same_request(oai):
    short = oai.chat.completions.create(model="gpt-6-luna", messages=MSG)
    long = oai.chat.completions.create(model="gpt-6-luna", messages=[{"role": "user", "content": "word " * 2000}])
    assert long.usage.prompt_tokens > short.usage.prompt_tokens + 2000
    again = oai.chat.completions.create(model="gpt-6-luna", messages=MSG)
    assert again.choices[0].message.content == short.choices[0].message.content
    assert again.usage == short.usage


def test_flex_is_slower_and_now_and_then_resource_unavailable():
    with running_emulator(seed=3, realtime_latency_ms=10, faults={"flex_unavailable_rate": 0.3}) as emu:
        oai = emu.openai_client(max_retries=0)
        oai.chat.completions.create(model="gpt-6-luna", messages=MSG)  # warm the connection

        def timed(tier):
            t = time.perf_counter()
            oai.chat.completions.create(model="gpt-6-luna", messages=MSG, service_tier=tier)
            return time.perf_counter() - t

        assert min(timed("priority") for _ in range(3)) < min(timed("default") for _ in range(3))
        refused = served = 0
        flex_times = []
        for _ in range(20):
            try:
                flex_times.append(timed("flex"))
                served += 1
            except openai.RateLimitError as exc:
                assert exc.response.headers.get("retry-after")
                assert exc.body["code"] == "resource_unavailable"
                refused += 1
        assert refused > 0 and served > 0
        assert min(flex_times) >= 0.035  # 4 × the 10 ms base
        r = emu.openai_client(max_retries=0).responses.create(model="gpt-6-luna", input="hi", service_tier="priority")
        assert r.service_tier == "priority"


def test_responses_endpoint(oai):
    r = oai.responses.create(model="gpt-6-luna", input="Summarize: the meeting moved to Friday.",
                             instructions="Be brief.", max_output_tokens=50)
    assert r.object == "response" and r.output_text
    assert r.usage.output_tokens <= 50 and r.usage.input_tokens > 5
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens


def test_embeddings_in_float_and_base64(oai):
    r = oai.embeddings.create(model="text-embedding-3-small", input=["one", "two", "three"], dimensions=16)
    assert len(r.data) == 3 and all(len(d.embedding) == 16 for d in r.data)
    assert r.usage.prompt_tokens == r.usage.total_tokens >= 3
    f = oai.embeddings.create(model="text-embedding-3-small", input="one", encoding_format="float")
    assert isinstance(f.data[0].embedding[0], float)
    assert abs(sum(x * x for x in f.data[0].embedding) - 1.0) < 1e-3


def test_bad_realtime_requests_are_400(oai):
    with pytest.raises(openai.BadRequestError):
        oai.chat.completions.create(model="gpt-6-luna", messages=[])
    with pytest.raises(openai.BadRequestError):
        oai.chat.completions.create(model="gpt-6-luna", messages=MSG, service_tier="turbo")


def test_anthropic_messages(anth):
    m = anth.messages.create(model="claude-sonnet-5-5", max_tokens=64, messages=MSG, service_tier="auto")
    assert m.type == "message" and m.role == "assistant" and m.model == "claude-sonnet-5-5"
    assert m.usage.output_tokens == math.ceil(len(m.content[0].text) / 4) <= 64
    assert m.usage.service_tier == "standard" and m.stop_reason in ("end_turn", "max_tokens")
    cached = anth.messages.create(
        model="claude-sonnet-5-5", max_tokens=64, messages=MSG,
        system=[{"type": "text", "text": "Policy manual. " * 600, "cache_control": {"type": "ephemeral"}}])
    u = cached.usage
    assert u.cache_read_input_tokens + u.cache_creation_input_tokens > 1000
    with pytest.raises(anthropic.BadRequestError):
        anth.messages.create(model="claude-sonnet-5-5", max_tokens=0, messages=MSG)


def test_realtime_calls_need_a_key(emulator):
    import httpx

    r = httpx.post(f"{emulator.base_url_openai}/chat/completions", json={"model": "m", "messages": MSG})
    assert r.status_code == 401 and "API key" in r.json()["error"]["message"]
