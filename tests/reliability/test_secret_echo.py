"""A provider's error text that echoes the key (issue 15, item 9): the emulator's
`echo_auth_401` quirk answers every call 401 quoting the Authorization / x-api-key headers and
the key as base64 and as `Basic base64(user:key)`. No form of the key reaches stderr, stdout,
the database file (batches.errors, audit details) or anything else batchdeck wrote. A base URL
carrying user:pass@ is refused in one sentence."""

from __future__ import annotations

import base64
import binascii
import os
import re

import pytest

from adapters.emulator.testing import running_emulator
from tests.reliability.helpers import PLANTED, anthropic_rows, cli, cli_env, openai_rows, write_jsonl


@pytest.fixture
def emu():
    with running_emulator(seed=19) as server:
        yield server


_B64_TOKEN = re.compile(rb"[A-Za-z0-9+/_\-]{8,}={0,2}")


def _key_forms_in(data: bytes) -> list[str]:
    """Which planted keys appear in `data`: plainly, or inside any base64 token (standard or
    URL-safe, at any of its alignments), judged by any 10 bytes of a key surviving decoding."""
    found = []
    for key in PLANTED:
        raw = key.encode()
        pieces = {raw[i:i + 10] for i in range(len(raw) - 9)}
        if raw in data or raw[-12:] in data or raw[:24] in data:
            found.append(f"plain {key[:12]}")
            continue
        for token in _B64_TOKEN.findall(data):
            for start in range(4):
                chunk = token[start:].rstrip(b"=")
                chunk = chunk[: len(chunk) - len(chunk) % 4]
                for decode in (base64.b64decode, base64.urlsafe_b64decode):
                    try:
                        decoded = decode(chunk)
                    except (binascii.Error, ValueError):
                        continue
                    if any(p in decoded for p in pieces):
                        found.append(f"base64 {token[:16]!r}")
    return found


def _everything_written(tmp_path) -> bytes:
    out = b""
    for root, _dirs, files in os.walk(tmp_path):
        for name in files:
            if name.endswith(".jsonl") and "results" not in root:
                continue  # the request files the test wrote
            with open(os.path.join(root, name), "rb") as f:
                out += f.read()
    return out


def test_the_forms_check_itself_finds_every_encoding():
    key = PLANTED[0]
    for text in (key, f"Bearer {key}", base64.b64encode(key.encode()).decode(),
                 "Basic " + base64.b64encode(f"u:{key}".encode()).decode(),
                 "Basic " + base64.b64encode(f"user:{key}".encode()).decode(),
                 base64.urlsafe_b64encode(f"ab:{key}".encode()).decode()):
        assert _key_forms_in(f"x {text} y".encode()), text


def test_a_401_that_echoes_the_key_leaks_it_nowhere(tmp_path, emu):
    env = cli_env(tmp_path, emu)
    db = tmp_path / "s.db"
    a = write_jsonl(tmp_path / "a.jsonl", openai_rows(3, "a"))
    b = write_jsonl(tmp_path / "b.jsonl", anthropic_rows(3, "b"))
    for path, provider in ((a, "openai"), (b, "anthropic")):
        assert cli(["submit", str(path), "--provider", provider], env, db).returncode == 0
    emu.set_faults(echo_auth_401=True)
    transcript = []
    for args in (["sync", "--once"], ["--debug", "sync", "--once"], ["track", "openai", "--all"],
                 ["track", "anthropic", "--all"], ["--debug", "track", "openai", "batch_nope"],
                 ["submit", str(a), "--provider", "openai"], ["submit", str(b), "--provider", "anthropic"],
                 ["cancel", "1", "--yes"], ["cancel", "2", "--yes"], ["show", "1"], ["ls", "--format", "json"]):
        done = cli(args, env, db)
        transcript.append((args, done))
    refused = [args for args, done in transcript if done.returncode != 0]
    assert len(refused) >= 5, [(a, d.returncode, d.stderr) for a, d in transcript]
    assert any("401" in done.stderr or "Incorrect API key" in done.stderr + done.stdout
               for _, done in transcript), "the echoing 401 was reached"
    for args, done in transcript:
        assert _key_forms_in((done.stdout + done.stderr).encode()) == [], (args, done.stderr)
    written = _everything_written(tmp_path)
    assert b"Incorrect API key" in written or b"401" in written  # the echo itself was stored...
    assert _key_forms_in(written) == []  # ...with every form of the key taken out


@pytest.mark.parametrize("url", ["http://user:{key}@127.0.0.1:{port}/v1", "http://{key}@127.0.0.1:{port}/v1"])
def test_a_base_url_with_userinfo_is_refused_in_one_sentence(tmp_path, emu, url):
    port = emu.base_url_openai.split(":")[2].split("/")[0]
    env = cli_env(tmp_path, emu, OPENAI_BASE_URL=url.format(key=PLANTED[0], port=port))
    path = write_jsonl(tmp_path / "a.jsonl", openai_rows(2, "u"))
    for args in (["submit", str(path), "--provider", "openai"], ["track", "openai", "--all"]):
        done = cli(args, env, tmp_path / "u.db")
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("batchdeck: ") and done.stderr.count("\n") == 1, done.stderr
        assert "user name or password" in done.stderr
        assert _key_forms_in(done.stderr.encode()) == []
    assert emu.state()["batches"] == []


@pytest.mark.parametrize("user", ["", "u", "ab", "apiuser", "someone@example.com"])
def test_redact_removes_every_form_of_a_key(user):
    from adapters.errors import redact

    for key in PLANTED:
        forms = [key, f"Bearer {key}", base64.b64encode(key.encode()).decode(),
                 base64.urlsafe_b64encode(key.encode()).decode(),
                 "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode(),
                 base64.b64encode(f"{user}:{key}".encode()).decode()]
        for form in forms:
            text = f"HTTP 401: Incorrect API key provided: {form}. See the docs."
            # With the key configured, and (for the plain and Bearer forms) from its shape alone.
            assert _key_forms_in(redact(text, (key,)).encode()) == [], form
    assert redact("the basic tier is fine", ()) == "the basic tier is fine"
