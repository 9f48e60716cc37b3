"""Layering, enforced: each package imports only what its room allows, and `--help` stays light."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Callable
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
    mods = loaded_after("import adapters.openai_batch, adapters.anthropic_batch")
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


# ---- the rooms inside the console (issue 20): static scans plus real imports ----------------
def modules_of(package: str) -> list[str]:
    """Every module of a package, by dotted name (its __init__ included)."""
    base = ROOT / package.replace(".", "/")
    names = []
    for path in sorted(base.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts[-1] != "__main__":  # running a package is not importing it
            names.append(".".join(parts))
    return names


def imports_in(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) for every import statement in a file, wherever it sits (a function
    body, an `if TYPE_CHECKING:` block): lazy imports are imports too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def sources(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]


def offending(folders: tuple[str, ...], bad: Callable[[str], bool]) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line}: {name}" for path in sources(*folders)
            for line, name in imports_in(path) if bad(name)]


def _is(name: str, *roots_: str) -> bool:
    return any(name == r or name.startswith(r + ".") for r in roots_)


def test_no_module_of_the_engine_or_the_cli_loads_textual():
    modules = modules_of("console.engine") + modules_of("console.cli") + modules_of("console.format")
    code = "import importlib\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    loaded = loaded_after(code)
    assert {m for m in modules if m.count(".") > 1} <= loaded  # the probe really imported them
    assert "textual" not in roots(loaded)


def test_no_textual_import_is_written_under_the_engine_the_cli_or_format():
    found = offending(("console/engine", "console/cli", "console/format"),
                      lambda name: _is(name, "textual", "rich", "console.tui"))
    # The one way in: `batchdeck` with no command hands over to the console's launcher, lazily.
    def launcher(f: str) -> bool:
        return f.startswith("console/cli/main.py:") and f.endswith((" console.tui.run", " console.tui.run.main"))

    assert [f for f in found if not launcher(f)] == []


def test_the_engine_never_parses_arguments_nor_reaches_for_a_front_end():
    found = offending(("console/engine",),
                      lambda name: _is(name, "argparse", "console.cli", "console.tui", "console.demo",
                                       "console.compose"))
    assert found == []


def test_formatting_is_pure():
    found = offending(("console/format",), lambda name: _is(name, "console", "store", "adapters", "textual", "rich")
                      and not _is(name, "console.format"))
    assert found == []


def test_the_store_imports_nothing_of_ours():
    assert offending(("store",), lambda name: _is(name, "console", "adapters")) == []


def test_adapters_import_only_the_store_model():
    found = offending(("adapters",), lambda name: _is(name, "console")
                      or (_is(name, "store") and not _is(name, "store.model")))
    assert found == []


def test_the_engine_is_built_only_in_the_composition_root():
    """The CLI, the TUI and the demo get their Engine from console/compose.py: nobody else
    constructs one or imports the class (so a rule such as read_only cannot drift again)."""
    allowed = {ROOT / "console" / "compose.py"}
    found = []
    for path in sources("console"):
        if path in allowed or (ROOT / "console" / "engine") in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
                called = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                if called == "Engine":
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: Engine(...)")
            if isinstance(node, ast.ImportFrom) and node.module in ("console.engine", "console.engine.service"):
                if any(alias.name == "Engine" for alias in node.names):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports Engine")
    assert found == []


def test_the_scans_see_what_they_guard():
    """The scans above are not vacuous: each finds what it forbids where it is allowed."""
    assert offending(("console/tui",), lambda name: _is(name, "textual"))
    assert offending(("console/cli",), lambda name: _is(name, "argparse"))
    assert any(name.endswith("service.Engine") for _, name in imports_in(ROOT / "console" / "compose.py"))
    assert "console.cli.commands" in modules_of("console.cli")
