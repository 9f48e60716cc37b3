"""The emulated providers: one folder each under adapters/emulator/, found on their own.

A folder's `__init__` defines `PROVIDER`, an `EmulatedProvider`: its dialect, its routes and
the results files it has ready at an instant (for `/_emulator/finalize`). The app serves every
provider found; nothing shared names one.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

from starlette.routing import Route

from .dialect import Dialect

if TYPE_CHECKING:  # pragma: no cover
    from .core import Emulator
    from .spool import Target


@dataclass(frozen=True, slots=True)
class EmulatedProvider:
    dialect: Dialect
    routes: Callable[[], list[Route]]
    finalizable: Callable[[Emulator, float], list[Target]]
    base_path: str = ""
    """What to add to the server's root for the base URL its batchdeck adapter takes."""
    rank: int = 100
    """Route order: a provider whose paths overlap another's comes first when it is narrower."""


@cache
def emulated() -> tuple[EmulatedProvider, ...]:
    import adapters.emulator as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg:
            provider = getattr(import_module(f"{package.__name__}.{info.name}"), "PROVIDER", None)
            if isinstance(provider, EmulatedProvider):
                found.append(provider)
    return tuple(sorted(found, key=lambda p: (p.rank, p.dialect.name)))


def base_path(name: str) -> str:
    for p in emulated():
        if p.dialect.name == name:
            return p.base_path
    raise KeyError(f"the emulator does not serve {name!r}")
