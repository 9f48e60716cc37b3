"""The snapshot tests use the console tests' fixtures: isolated env, seeded demo store."""

from tests.console.conftest import app, demo_template, isolated_env, store  # noqa: F401
