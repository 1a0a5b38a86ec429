"""The on-disk cache: each file's findings keyed by everything they depend on.

Results live in one pack per directory of linted files: a ``marshal`` blob (built in: no
import cost) mapping each file's name to its stat signature, the digest of its bytes, its
result's key and the result; and each fly.toml's name to its parsed document, by digest,
so that a run whose fly.toml files are unchanged does not import a TOML parser. A file
whose signature is unchanged since its pack was written is not read again, as git's index
does; a pack is read at most once a run and written once, atomically, only when something
in it changed. All live under ``<cache dir>/<flylint version>/``.

A missing, truncated or foreign entry or pack is a miss, never an error; a cache dir that
cannot be written only costs speed; concurrent runs each write whole packs, the last one
wins. Deleting the directory is always safe.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import time
from pathlib import Path

from flylint import __version__
from flylint.support.records import Record

try:  # hashlib's own BLAKE2; importing hashlib itself costs ~10 ms of start-up
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython always has it
    from hashlib import blake2b

ENV_DIR = "FLYLINT_CACHE_DIR"

# A file changed within this long before a run began may change again, its size and
# timestamps unchanged, in the same tick of a coarse filesystem clock (FAT: 2 s, HFS+:
# 1 s), or carry the time of a skewed network server: its signature is not trusted, so
# the next run reads it again (the "racy" case of git's index).
RACY_NS = 3_000_000_000
_FORMAT = "flylint-pack-3"

Signature = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device


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


def signature(status: os.stat_result) -> Signature:
    """What changes when a file's bytes may have: an edit moves the size or mtime, and
    restoring the mtime (or replacing the file) still moves the ctime or the inode."""
    return (
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
        status.st_ino,
        status.st_dev,
    )


def digest(content: bytes) -> bytes:
    return blake2b(content, digest_size=20).digest()


def key(*parts: str | bytes) -> str:
    digest = blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def _write_atomically(path: Path, value: object) -> None:
    """Readers see the whole file or none; failures only cost speed."""
    temporary = path.parent / f".{path.name}.{os.getpid()}.tmp"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as f:
            f.write(marshal.dumps(value))
        temporary.replace(path)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _load(path: Path) -> object | None:
    try:
        with path.open("rb") as f:
            return marshal.loads(f.read())  # marshal.load reads a file in small pieces
    except (OSError, EOFError, ValueError, TypeError):
        return None


class Entry(Record):
    """What a pack knows about one file (stored as a plain tuple: marshal takes no others)."""

    __slots__ = ("digest", "key", "result", "signature")

    def __init__(
        self, signature: Signature | None, digest: bytes, key: str, result: object
    ) -> None:
        self.signature = signature  # None: not trusted (racy), read the file again
        self.digest = digest
        self.key = key  # of the result below
        self.result = result  # results.encode's form


class _Pack:
    """The entries and documents of the files of one directory, by file name."""

    __slots__ = ("dirty", "documents", "entries", "folder", "path", "touched")

    def __init__(self, path: Path, folder: str) -> None:
        self.path = path
        self.folder = folder
        self.entries: dict[str, tuple] = {}
        self.documents: dict[str, tuple] = {}  # (digest, document)
        self.touched: set[str] = set()  # the files of this run
        self.dirty = False
        loaded = _load(path)
        if isinstance(loaded, tuple) and len(loaded) == 4 and loaded[:2] == (_FORMAT, folder):
            entries, documents = loaded[2:]
            if isinstance(entries, dict) and isinstance(documents, dict):
                self.entries, self.documents = entries, documents

    def entry(self, name: str) -> Entry | None:
        raw = self.entries.get(name)
        if (
            isinstance(raw, tuple)
            and len(raw) == len(Entry._fields)
            and isinstance(raw[1], bytes)
            and isinstance(raw[2], str)
        ):
            return Entry(*raw)
        return None  # absent or foreign

    def document(self, name: str, digest: bytes) -> dict | None:
        raw = self.documents.get(name)
        if isinstance(raw, tuple) and len(raw) == 2 and raw[0] == digest:
            document = raw[1]
            if isinstance(document, dict):
                return document
        return None  # absent, of other bytes, or foreign

    def save(self) -> None:
        """Write what this run's files left, and what the directory's other files that still
        exist left before (a run may name only some of them)."""
        folder = Path(self.folder)
        exists: dict[str, bool] = {}

        def kept(name: str) -> bool:
            if name not in exists:
                exists[name] = name in self.touched or (folder / name).exists()
            return exists[name]

        entries = {name: raw for name, raw in self.entries.items() if kept(name)}
        documents = {name: raw for name, raw in self.documents.items() if kept(name)}
        _write_atomically(self.path, (_FORMAT, self.folder, entries, documents))


class Index:
    """What the cache knows about the files of one run: a pack per directory, loaded when
    a file of it is first looked up and written at the end of the run if anything in it
    changed, so that a run naming a few files reads and writes little. Editor buffers
    (``editor``) have packs of their own: a buffer is not the file on disk.
    ``directory`` None: caching is off."""

    def __init__(self, directory: Path | None, editor: bool = False) -> None:
        self.enabled = directory is not None
        self.started = time.time_ns()  # before any file of the run is looked at
        self.kind = "editor" if editor else "files"
        self._directory = directory / "packs" if directory is not None else Path()
        self._packs: dict[str, _Pack] = {}

    def _locate(self, name: str) -> tuple[_Pack, str]:
        """The pack of the file at ``name`` (a resolved path), and its name in it."""
        folder, base = os.path.split(name)
        pack = self._packs.get(folder)
        if pack is None:
            pack = _Pack(self._directory / key(self.kind, folder), folder)
            self._packs[folder] = pack
        return pack, base

    def entry(self, name: str) -> Entry | None:
        """What the cache recorded of the file at ``name`` (a resolved path)."""
        if not self.enabled:
            return None
        pack, base = self._locate(name)
        return pack.entry(base)

    def record(
        self, name: str, signature: Signature | None, digest: bytes, key: str, result: object
    ) -> None:
        """The file at ``name`` has ``signature`` (None: its bytes did not come from disk),
        ``digest``, and ``result`` under ``key``."""
        if not self.enabled:
            return
        if signature is not None and max(signature[1], signature[2]) > self.started - RACY_NS:
            signature = None
        pack, base = self._locate(name)
        pack.touched.add(base)
        entry = pack.entry(base)
        if entry is None or (entry.signature, entry.digest, entry.key) != (signature, digest, key):
            pack.entries[base] = (signature, digest, key, result)
            pack.dirty = True

    def document(self, name: str, digest: bytes) -> dict | None:
        """The parsed document ``keep_document`` kept of the bytes with ``digest`` of the file
        at ``name`` (a resolved path)."""
        if not self.enabled:
            return None
        pack, base = self._locate(name)
        return pack.document(base, digest)

    def keep_document(self, name: str, digest: bytes, document: dict) -> None:
        """Keep ``document``, parsed from the bytes with ``digest`` of the file at ``name``,
        unless ``marshal`` cannot hold it (TOML dates and times)."""
        if not self.enabled:
            return
        pack, base = self._locate(name)
        pack.touched.add(base)
        if pack.document(base, digest) is not None:
            return
        try:
            marshal.dumps(document)
        except ValueError:  # a type marshal does not know, or nested too deeply
            return
        pack.documents[base] = (digest, document)
        pack.dirty = True

    def save(self) -> None:
        for pack in self._packs.values():
            if pack.dirty:
                pack.save()


class Cache:
    """Entries for one flylint version; ``directory`` None means caching is off."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory / __version__ if directory is not None else None

    def index(self, editor: bool = False) -> Index:
        """The packs of a run's files; ``editor``: of a run linting an editor's buffer."""
        return Index(self.directory, editor)


_active = Cache(None)


def configure(directory: Path | None) -> None:
    """Turn the cache on (in ``directory``) or off for this process."""
    global _active
    _active = Cache(directory)


def active() -> Cache:
    return _active
