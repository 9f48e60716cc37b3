"""The engine tests' fixtures (a real emulator over a socket, a real store file), shared here."""

from tests.engine.conftest import emulator, engine, isolated_env, sleep, store  # noqa: F401
