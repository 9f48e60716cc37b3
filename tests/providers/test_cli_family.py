"""From the command line, as the issue's 'done when' says: `track groq --all`, `track together
--all` and an OpenAI-compatible profile (Doubleword-style), against the emulator."""

from __future__ import annotations

import json
import os
import stat

from adapters.emulator.testing import running_emulator
from tests.engine.conftest import openai_lines


def _cli(tmp_path, monkeypatch, capsys, env):
    from console.cli import main

    for key in list(os.environ):
        if key.endswith(("_API_KEY", "_BASE_URL")) or key.startswith("BATCHDECK_"):
            monkeypatch.delenv(key)
    for key, value in {**env, "XDG_DATA_HOME": str(tmp_path / "data"),
                       "XDG_CONFIG_HOME": str(tmp_path / "config")}.items():
        monkeypatch.setenv(key, value)

    def run(*args):
        capsys.readouterr()
        try:
            code = main(["--db", str(tmp_path / "cli.db"), *args])
        except SystemExit as exc:
            code = exc.code
        return code, capsys.readouterr().out

    return run


def _line() -> bytes:
    return json.dumps(openai_lines(1, model="served-model")[0]).encode() + b"\n"


def test_track_all_for_groq_together_and_a_compat_profile(tmp_path, monkeypatch, capsys):
    import groq
    import openai
    import together

    with running_emulator(seed=4) as emu:
        g = groq.Groq(api_key="k", base_url=emu.base_url_for("groq"), max_retries=0)
        gb = g.batches.create(completion_window="24h", endpoint="/v1/chat/completions",
                              input_file_id=g.files.create(file=("a.jsonl", _line()), purpose="batch").id)
        t = together.Together(api_key="k", base_url=emu.base_url_for("together"), max_retries=0)
        path = tmp_path / "t.jsonl"
        path.write_text(json.dumps({"custom_id": "t0", "body": openai_lines(1)[0]["body"]}) + "\n")
        tb = t.batches.create(endpoint="/v1/chat/completions",
                              input_file_id=t.files.upload(file=path, purpose="batch-api", check=False).id)
        o = openai.OpenAI(api_key="k", base_url=emu.base_url_for("openai_compat"), max_retries=0)
        ob = o.batches.create(completion_window="1h", endpoint="/v1/chat/completions",  # type: ignore[arg-type]
                              input_file_id=o.files.create(file=("c.jsonl", _line()), purpose="batch").id)
        config = tmp_path / "config" / "batchdeck" / "config.toml"
        config.parent.mkdir(parents=True)
        config.write_text('[profiles.dw-style]\nprovider = "openai_compat"\n'
                          f'base_url = "{emu.base_url_for("openai_compat")}"\n'
                          'api_key_env = "DW_STYLE_KEY"\nwindows = ["24h", "1h"]\nmax_requests = 1000\n')
        config.chmod(stat.S_IRUSR | stat.S_IWUSR)
        run = _cli(tmp_path, monkeypatch, capsys, {
            "GROQ_API_KEY": "k", "GROQ_BASE_URL": emu.base_url_for("groq"),
            "TOGETHER_API_KEY": "k", "TOGETHER_BASE_URL": emu.base_url_for("together"),
            "DW_STYLE_KEY": "k", "BATCHDECK_CONFIG": str(config)})
        assert run("track", "groq", "--all")[0] == 0
        assert run("track", "together", "--all")[0] == 0
        assert run("--profile", "dw-style", "track", "openai_compat", "--all")[0] == 0
        code, out = run("ls", "--format", "json")
        assert code == 0
        rows = json.loads(out)
        rows = rows["batches"] if isinstance(rows, dict) else rows
        assert {(r["provider"], r["provider_batch_id"]) for r in rows} == {
            ("groq", gb.id), ("together", tb.job.id), ("openai_compat", ob.id)}
