"""Layering, enforced: each package imports only what its room allows, and `--help` stays light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def roots(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_import_store_loads_neither_console_nor_adapters_nor_textual():
    mods = roots(loaded_after("import store, store.model"))
    assert not mods & {"textual", "console", "adapters"}


def test_import_adapters_loads_no_console_textual_or_sdk():
    mods = roots(loaded_after("import adapters, adapters.base, adapters.errors, adapters.profiles"))
    assert not mods & {"textual", "console", "openai", "anthropic", "sqlite_utils"}


def test_adapter_modules_import_only_the_store_model():
    mods = loaded_after("import adapters.openai.adapter, adapters.anthropic.adapter, adapters.registry")
    assert {m for m in mods if m.startswith("store")} <= {"store", "store.model"}
    assert not roots(mods) & {"textual", "console", "openai", "anthropic"}  # SDKs load on first use


def test_the_engine_never_imports_textual():
    mods = roots(loaded_after(
        "import console.engine.service, console.engine.sync, console.engine.promote, "
        "console.engine.resubmit, console.engine.export, console.cli.commands"))
    assert "textual" not in mods


def test_help_imports_neither_textual_nor_sqlite_utils_nor_sdks():
    code = ("import sys\nfrom console.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n")
    mods = roots(loaded_after(code))
    assert not mods & {"textual", "sqlite_utils", "openai", "anthropic", "httpx", "httpx2"}
