"""`store` stays cheap to import and imports neither of the other packages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _modules_after(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("statement", ["import store.model", "import store", "from store import Store"])
def test_store_imports_nothing_heavy_and_no_other_room(statement):
    loaded = _modules_after(statement)
    assert not {"sqlite_utils", "textual", "httpx", "openai", "anthropic"} & loaded
    assert not any(m == "console" or m.startswith(("console.", "adapters")) for m in loaded)


def test_model_is_standard_library_only():
    loaded = _modules_after("import store.model")
    assert not {"sqlite3", "store.store", "store.db"} & loaded
