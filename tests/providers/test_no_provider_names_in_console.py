"""The engine and the console never name a provider: they ask the registry.

Scans the code of console/ (string constants and identifiers; docstrings and comments may
explain with examples) for any registered provider's name, the demo's code included: the demo
fleet names its providers in a configuration example, console/demo/fleet.toml, which is data,
not code (only .py files are scanned).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from adapters import registry

ROOT = Path(__file__).resolve().parents[2] / "console"


def _docstrings(tree: ast.AST) -> set[int]:
    """Bare string expressions: module, class and function docstrings and the attribute
    docstrings under assignments (prose, not code)."""
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)}


def _code_words(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    words: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            words.append((node.lineno, node.value))
        elif isinstance(node, ast.Name):
            words.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            words.append((node.lineno, node.attr))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            words.append((node.lineno, node.name))
    return words


def test_no_provider_name_in_console_code():
    names = registry.names()
    assert len(names) >= 2
    pattern = re.compile(r"(?i)(?<![a-z])(" + "|".join(re.escape(n) for n in names) + r")(?![a-z])")
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for line, word in _code_words(path):
            if pattern.search(word):
                found.append(f"{path.relative_to(ROOT.parent)}:{line}: {word!r}")
    assert not found, "provider names in console code (ask adapters.registry):\n" + "\n".join(found)


def test_the_demo_code_is_scanned_and_its_fleet_names_providers_in_data():
    scanned = set(ROOT.rglob("*.py"))
    assert ROOT / "demo" / "seed.py" in scanned and ROOT / "demo" / "lines.py" in scanned
    fleet = (ROOT / "demo" / "fleet.toml").read_text(encoding="utf-8")
    assert all(f'provider = "{name}"' in fleet for name in ("openai", "anthropic", "groq"))


def test_the_scan_would_catch_a_hard_coded_list(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text('CHOICES = ["openai", "anthropic"]\n')
    words = [w for _, w in _code_words(sample)]
    assert "openai" in words and "anthropic" in words


def test_shared_emulator_code_never_branches_on_a_provider_name():
    """Shared emulator modules (everything outside the per-provider folders) read a Dialect."""
    emulator = Path(__file__).resolve().parents[2] / "adapters" / "emulator"
    names = registry.names()
    found = []
    for path in sorted(emulator.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                for side in (node.left, *node.comparators):
                    if isinstance(side, ast.Constant) and side.value in names:
                        found.append(f"{path.name}:{node.lineno}: compares with {side.value!r}")
    assert not found, "\n".join(found)
