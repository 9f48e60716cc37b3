"""Order-independent determinism: every random-looking choice is a hash of (seed, names).

No shared RNG: an item's outcome is a function of (seed, batch id, custom_id) only, so the
order or concurrency of requests never changes what a test sees.
"""

from __future__ import annotations

from hashlib import blake2b

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_U32 = float(1 << 32)


def key_for(seed: int, *parts: object) -> bytes:
    """A 32-byte hashing key for a scope (e.g. one batch)."""
    h = blake2b(digest_size=32)
    h.update(repr((seed,) + parts).encode())
    return h.digest()


def h128(key: bytes, text: str) -> int:
    """128-bit hash of `text` under `key`."""
    return int.from_bytes(blake2b(text.encode(), key=key, digest_size=16).digest(), "little")


def mix(seed: int, *parts: object) -> int:
    """128-bit hash of (seed, parts)."""
    return int.from_bytes(blake2b(repr((seed,) + parts).encode(), digest_size=16).digest(), "little")


def unit(h: int, slot: int) -> float:
    """The `slot`-th (0..3) uniform in [0, 1) carried by a 128-bit hash."""
    return ((h >> (32 * slot)) & 0xFFFFFFFF) / _U32


def b62(h: int, length: int) -> str:
    out = []
    for _ in range(length):
        h, r = divmod(h, 62)
        out.append(_B62[r])
    return "".join(out)


def hex_id(h: int, length: int) -> str:
    return f"{h:032x}"[:length]
