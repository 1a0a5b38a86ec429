"""BLAKE2b digests: of a file's bytes, and cache keys made of several parts."""

from __future__ import annotations

try:  # hashlib's own BLAKE2; importing hashlib itself costs ~10 ms of start-up
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython always has it
    from hashlib import blake2b

__all__ = ["blake2b", "digest", "key"]


def digest(content: bytes) -> bytes:
    return blake2b(content, digest_size=20).digest()


def key(*parts: str | bytes) -> str:
    """One hex digest of ``parts``, each length-prefixed so that no two lists of parts
    give the same key."""
    hashed = blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        hashed.update(len(data).to_bytes(8, "little"))
        hashed.update(data)
    return hashed.hexdigest()
