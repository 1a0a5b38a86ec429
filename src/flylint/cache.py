"""The on-disk cache: a file's findings keyed by everything they depend on, and the rule
data compiled once instead of parsed from TOML on every start.

Entries are ``marshal`` blobs (built in: no import cost, ~10 µs to load) written
atomically, one file per key under ``<cache dir>/<flylint version>/``. A missing,
truncated or foreign entry is a miss, never an error; a cache dir that cannot be written
only costs speed. Deleting the directory is always safe.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from pathlib import Path

from flylint import __version__

try:  # hashlib's own BLAKE2; importing hashlib itself costs ~10 ms of start-up
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython always has it
    from hashlib import blake2b

ENV_DIR = "FLYLINT_CACHE_DIR"


def default_dir() -> Path:
    """``$FLYLINT_CACHE_DIR``, else the platform's user cache directory."""
    configured = os.environ.get(ENV_DIR)
    if configured:
        return Path(configured)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "flylint" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "flylint"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "flylint"


def tree_signature(*directories: Path) -> str:
    """Names, sizes and modification times of the files directly in ``directories``: in a
    source checkout, editing a rule or a catalog must not serve results of the old one."""
    entries = []
    for directory in directories:
        try:
            with os.scandir(directory) as listing:
                for entry in listing:
                    if entry.is_file():
                        status = entry.stat()
                        entries.append(f"{entry.path}:{status.st_size}:{status.st_mtime_ns}")
        except OSError:
            entries.append(f"{directory}:missing")
    entries.sort()
    return blake2b("\n".join(entries).encode(), digest_size=16).hexdigest()


class Cache:
    """Entries for one flylint version; ``directory`` None means caching is off."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory / __version__ if directory is not None else None

    def get(self, key: str) -> object | None:
        if self.directory is None:
            return None
        try:
            with (self.directory / key[:2] / key).open("rb") as f:
                return marshal.load(f)
        except (OSError, EOFError, ValueError, TypeError):
            return None

    def put(self, key: str, value: object) -> None:
        if self.directory is None:
            return
        folder = self.directory / key[:2]
        temporary = folder / f".{key}.{os.getpid()}.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with temporary.open("wb") as f:
                marshal.dump(value, f)
            temporary.replace(folder / key)  # readers see the whole entry or none
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)


def key(*parts: str | bytes) -> str:
    digest = blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


_active = Cache(None)


def configure(directory: Path | None) -> None:
    """Turn the cache on (in ``directory``) or off for this process."""
    global _active
    _active = Cache(directory)


def active() -> Cache:
    return _active
