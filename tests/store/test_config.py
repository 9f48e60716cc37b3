"""The user config file: where it is, what it holds, and the key-permission rule."""

from __future__ import annotations

import os
import textwrap

import pytest

from store.config import Config, ConfigError, Profile, UiConfig, load_config
from store.prices import PriceBook
from store.store import Store


def _write(path, text, mode=0o600):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    os.chmod(path, mode)
    return path


@pytest.fixture
def default_path(tmp_path):
    return tmp_path / "xdg-config" / "batchdeck" / "config.toml"


def test_no_config_file_means_defaults(default_path):
    config = load_config()
    assert config == Config(path=default_path)
    assert (config.read_only, config.ui, config.profiles, config.prices) == (False, UiConfig(3.0, False), {}, ())


def test_home_fallback_without_xdg_config_home(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_config().path == tmp_path / "home" / ".config" / "batchdeck" / "config.toml"


def test_a_full_config(default_path):
    _write(default_path, """
        read_only = true

        [profiles.prod]
        provider = "openai"
        base_url = "https://api.openai.com/v1"
        api_key_env = "OPENAI_PROD_KEY"

        [profiles.lab]
        provider = "anthropic"
        api_key = "sk-ant-secret"

        [ui]
        expiry_warning_hours = 6
        bell = true

        [[prices]]
        provider = "openai"
        model = "gpt-6-luna"
        input = 0.08
        output = 0.40
        source = "negotiated"
        effective = "2026-11-01"
        """)
    config = load_config()
    assert config.exists and config.read_only
    assert config.profiles["prod"] == Profile("prod", "openai", "https://api.openai.com/v1", None, "OPENAI_PROD_KEY")
    assert config.profiles["lab"].api_key == "sk-ant-secret"
    assert "sk-ant-secret" not in repr(config)
    assert config.ui == UiConfig(expiry_warning_hours=6.0, bell=True)
    assert [(p.model, p.input) for p in config.prices] == [("gpt-6-luna", 0.08)]


def test_an_api_key_in_a_file_others_can_read_is_refused(default_path):
    _write(default_path, """
        [profiles.lab]
        provider = "anthropic"
        api_key = "sk-ant-secret"
        """, mode=0o644)
    with pytest.raises(ConfigError) as err:
        load_config()
    message = str(err.value)
    assert f"chmod 600 {default_path}" in message and "mode 644" in message
    assert "sk-ant-secret" not in message


def test_a_readable_file_without_keys_is_fine(default_path):
    _write(default_path, """
        [profiles.prod]
        provider = "openai"
        api_key_env = "OPENAI_PROD_KEY"
        """, mode=0o644)
    assert load_config().profiles["prod"].api_key_env == "OPENAI_PROD_KEY"


def test_batchdeck_config_overrides_the_default_location(tmp_path, monkeypatch):
    path = _write(tmp_path / "elsewhere.toml", "read_only = true\n")
    monkeypatch.setenv("BATCHDECK_CONFIG", str(path))
    assert load_config().read_only
    monkeypatch.setenv("BATCHDECK_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_config()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("read_only = yes\n", "not valid TOML"),
        ("readonly = true\n", r"unknown setting\(s\) readonly"),
        ('read_only = "yes"\n', "read_only must be true or false"),
        ("[profiles.x]\nbase_url = \"http://h\"\n", "needs provider"),
        ("[profiles.x]\nprovider = \"openai\"\napi_keyy = \"k\"\n", "unknown key"),
        ("[profiles.x]\nprovider = \"openai\"\napi_key = \"k\"\napi_key_env = \"K\"\n", "keep one"),
        ("[ui]\nexpiry_warning_hours = \"soon\"\n", "number of hours"),
        ("[ui]\nbel = true\n", "unknown \\[ui\\] setting"),
        ("[[prices]]\nprovider = \"openai\"\nmodel = \"m\"\ninput = 1\n", "lacks 'output'"),
    ],
)
def test_mistakes_are_reported_with_the_file_and_the_fix(default_path, text, message):
    _write(default_path, text)
    with pytest.raises(ConfigError, match=message):
        load_config()


def test_price_overrides_from_the_config_reach_the_store(default_path, tmp_path):
    _write(default_path, """
        [[prices]]
        provider = "openai"
        model = "gpt-6-luna"
        input = 0.08
        output = 0.40
        """)
    assert PriceBook.load().lookup("openai", "gpt-6-luna").input == 0.08
    with Store.open(tmp_path / "b.db") as store:
        assert store.price_for("openai", "gpt-6-luna-2026-09-22").input == 0.08
        origin = store.conn.execute(
            "SELECT origin, input FROM prices WHERE provider = 'openai' AND model = 'gpt-6-luna'").fetchone()
        assert origin == ("config", 0.08)


def test_secrets_never_reach_the_database(default_path, tmp_path):
    _write(default_path, """
        [profiles.lab]
        provider = "anthropic"
        api_key = "sk-ant-verysecret"
        """)
    load_config()
    path = tmp_path / "b.db"
    with Store.open(path) as store:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert b"verysecret" not in path.read_bytes()
