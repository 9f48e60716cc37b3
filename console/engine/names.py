"""What a batch is called: a label from its provider metadata, else a short form of its id.

Batches a pipeline submitted arrive with no batchdeck label; their metadata usually names the
job (`{"job": "nightly-embeddings"}`). Which metadata keys count is configurable
(`label_keys = [...]` in the config file); the first non-empty one wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

DEFAULT_LABEL_KEYS: tuple[str, ...] = ("label", "name", "job", "description")
"""Metadata keys read for a label, in order, when the config does not name its own."""

MAX_LABEL_CHARS = 80
"""A label longer than this is cut (metadata values may be up to 512 characters)."""


def label_keys(config: object) -> tuple[str, ...]:
    """The config's `label_keys`, else the defaults."""
    keys = config.get("label_keys") if isinstance(config, Mapping) else getattr(config, "label_keys", None)
    if isinstance(keys, (list, tuple)) and keys and all(isinstance(k, str) for k in keys):
        return tuple(keys)
    return DEFAULT_LABEL_KEYS


def label_from_metadata(metadata: Mapping[str, str] | None, keys: Sequence[str] = DEFAULT_LABEL_KEYS) -> str | None:
    """The first non-empty metadata value among `keys` (case-insensitive key match), or None."""
    if not metadata:
        return None
    lowered = {str(k).lower(): v for k, v in metadata.items()}
    for key in keys:
        value = lowered.get(key.lower())
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_LABEL_CHARS]
    return None


def short_id(provider_batch_id: str | None, keep: int = 8) -> str | None:
    """A provider id cut to its distinctive tail: `batch_68a1…9f3c` -> `…ef129f3c`.

    Provider ids share long prefixes (`batch_`, `msgbatch_01`); the tail is what tells two
    apart. Ids already short are kept whole.
    """
    if not provider_batch_id:
        return None
    if len(provider_batch_id) <= keep + 1:
        return provider_batch_id
    return "…" + provider_batch_id[-keep:]


def display_name(label: str | None, provider_batch_id: str | None) -> str | None:
    """The batch's name on a row: its label, else the short provider id."""
    return label or short_id(provider_batch_id)
