"""Assembles the Starlette application: every emulated provider's routes and the admin routes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

from . import admin_routes
from .core import Emulator, quiet_broken_downloads
from .providers import emulated


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": {"message": f"Unknown route {request.method} {request.url.path}",
                                   "type": "invalid_request_error", "param": None, "code": "unknown_url"}},
                        status_code=getattr(exc, "status_code", 404))


def build_app(emu: Emulator | None = None, *, seed: int = 0, speed: float = 1.0, start: float | None = None,
              faults: Mapping[str, Any] | None = None) -> Starlette:
    """A Starlette app serving one emulator (made from the keyword arguments if not given)."""
    emu = emu or Emulator(seed=seed, speed=speed, start=start, faults=faults)
    app = Starlette(
        routes=[route for p in emulated() for route in p.routes()] + admin_routes.routes(),
        exception_handlers={404: _not_found, 405: _not_found},
    )
    app.state.emu = emu
    quiet_broken_downloads()
    return app
