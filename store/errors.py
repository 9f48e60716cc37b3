"""The store's exceptions (re-exported by `store.store` and `store`)."""

from __future__ import annotations


class StoreError(Exception):
    """A store that cannot be opened or used; the message is one clear sentence with a hint."""
