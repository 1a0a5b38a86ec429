"""The on-disk cache: what linting a file yielded, keyed by everything it depends on.

One cache serves every invocation (the CLI, pre-commit's parallel batches, the language
server). It lives in ``<cache dir>/<flylint version>/packs/``: one pack per directory of
linted files, a ``marshal`` blob (built in: no import cost) of
``(FORMAT, folder, {file name: (signature, digest, slots)})``, the folder and the names
as keyed digests (a name can hold what a message may not), after a line of magic and
a BLAKE2b check of the blob (marshal must never see a torn or corrupted pack: see
``_unseal``). A file's stat signature vouches for the digest of its bytes, as git's index
does, so a file whose signature is unchanged is not read again; its slots hold the values
the engine put under a key made of that digest and everything else a value depends on
(``slot name -> (key, value)``).

It holds results only (masked findings and non-secret facts), never a parsed document,
and trusts nothing it reads: a cache dir that is not a directory of the current user's,
closed to other users' writes, is refused (``Cache.refusal`` says why) as git refuses an
unsafe repository; a pack over ``MAX_PACK_BYTES``, not a regular file, a symlink, failing
its check, garbage, foreign or of another shape is a miss, and so is any malformed entry
or slot, never an error. Files are written 0600 and directories 0700 whatever the umask.

Concurrent runs (pre-commit starts several on disjoint batches of files that share
directories) lose nothing: a pack is written under an exclusive lock on ``<pack>.lock``,
merged with what is on disk at that moment, through an unpredictable temporary file that
replaces the pack atomically. Readers take no lock: they see a whole pack, old or new.
A failure to write only costs speed. Deleting the directory is always safe.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from pathlib import Path

from flylint import __version__
from flylint.engine import sealed
from flylint.engine.sealed import BINARY as _BINARY
from flylint.engine.sealed import NOFOLLOW as _NOFOLLOW
from flylint.engine.sealed import NONBLOCK as _NONBLOCK
from flylint.engine.sealed import fchmod as _fchmod
from flylint.support.digests import key
from flylint.support.records import Record

ENV_DIR = sealed.ENV_DIR

# A file changed within this long before a run began may change again, its size and
# timestamps unchanged, in the same tick of a coarse filesystem clock (FAT: 2 s, HFS+:
# 1 s), or carry the time of a skewed network server: its signature is not trusted, so
# the next run reads it again (the "racy" case of git's index).
RACY_NS = 3_000_000_000
FORMAT = "flylint-pack-6"  # 6: findings carry a confidence
MAX_PACK_BYTES = 64 * 1024 * 1024  # a pack larger than this is not read (nor written)
LOCK_WAIT_S = 10.0  # a pack whose lock is held longer than this is not saved this run
TAG_NAME = "CACHEDIR.TAG"
TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by flylint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)

Signature = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device

_MAGIC = FORMAT.encode("ascii") + b"\n"
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)}


def default_dir() -> Path:
    """``$FLYLINT_CACHE_DIR``, else the platform's user cache directory."""
    return Path(sealed.default_dir())


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


# --- Trust and directories -----------------------------------------------------------


_refusal = sealed.refusal
_write = sealed.write  # a name of this module's: tests slow it down


def _make_dirs(directory: Path) -> list[Path]:
    """Create ``directory`` and its missing parents, each 0700 whatever the umask; the
    directories created (not those another process made meanwhile)."""
    missing = []
    current = directory
    while True:
        try:
            current.stat()
            break
        except FileNotFoundError:
            missing.append(current)
            if current.parent == current:
                break
            current = current.parent
    created = []
    for path in reversed(missing):
        try:
            path.mkdir(0o700)
        except FileExistsError:
            continue
        path.chmod(0o700)  # mkdir's mode is filtered by the umask: only ever narrower
        created.append(path)
    return created


def _write_tag(root: Path) -> None:
    """Mark ``root`` as a cache (backup tools skip it), unless it already is."""
    path = os.path.join(root, TAG_NAME)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
    try:
        descriptor = os.open(path, flags, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as f:
        if _fchmod is not None:
            _fchmod(f.fileno(), 0o600)
        f.write(TAG.encode("ascii"))


# --- Pack files ------------------------------------------------------------------------


def _read_pack(path: str, folder: str) -> dict:
    """The entries of the pack at ``path`` for the files of ``folder``; {} if it is absent,
    not a regular file, a symlink, larger than MAX_PACK_BYTES, garbage or foreign."""
    data = sealed.read(path, MAX_PACK_BYTES)
    if data is None:
        return {}
    payload = _unseal(data)
    if payload is None:
        return {}
    try:
        loaded = sealed.loads(payload)
    except Exception:  # ValueError, EOFError, TypeError, MemoryError, ...: garbage
        return {}
    if (
        type(loaded) is tuple
        and len(loaded) == 3
        and loaded[0] == FORMAT
        and loaded[1] == folder
        and type(loaded[2]) is dict
    ):
        return loaded[2]
    return {}


def _seal(payload: bytes) -> bytes:
    return sealed.seal(_MAGIC, payload)


def _unseal(data: bytes) -> memoryview | None:
    return sealed.unseal(_MAGIC, data)


def _acquire(path: str) -> int | None:
    """An exclusive lock on the file at ``path`` (a descriptor: closing it releases the
    lock), None where the platform has no flock. Raises OSError (TimeoutError after
    LOCK_WAIT_S) if it cannot be had: that pack is then not saved this run."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    flags = os.O_RDWR | os.O_CREAT | _NOFOLLOW | _NONBLOCK | _BINARY
    descriptor = os.open(path, flags, 0o600)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(f"{path} is not a regular file")
        if _fchmod is not None and stat.S_IMODE(status.st_mode) != 0o600:
            _fchmod(descriptor, 0o600)
        deadline = time.monotonic() + LOCK_WAIT_S
        pause = 0.0005
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return descriptor
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{path} stayed locked") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.02)
            except OSError as error:
                if error.errno not in _NO_LOCKS:
                    raise
                return descriptor  # a filesystem without locks: merged unlocked, as on Windows
    except BaseException:
        os.close(descriptor)
        raise


def _is_signature(value: object) -> bool:
    return (
        type(value) is tuple
        and len(value) == 5
        and type(value[0]) is int
        and type(value[1]) is int
        and type(value[2]) is int
        and type(value[3]) is int
        and type(value[4]) is int
    )


def _checked(raw: object) -> tuple | None:
    """A pack's entry if it has the shape of one: ``(signature, digest, slots)``."""
    if type(raw) is tuple and len(raw) == 3:
        recorded, data, slots = raw
        if (
            type(data) is bytes
            and type(slots) is dict
            and (recorded is None or _is_signature(recorded))
        ):
            return raw
    return None


def _is_slot(held: object) -> bool:
    return type(held) is tuple and len(held) == 2 and type(held[0]) is str


def _slots(slots: dict) -> dict[str, tuple[str, object]]:
    return {name: held for name, held in slots.items() if type(name) is str and _is_slot(held)}


def _merge(mine: tuple, theirs: object) -> tuple:
    """This run's entry of a file it put, with the slots another run saved meanwhile for
    the same bytes (a value this run also put is this run's)."""
    theirs = _checked(theirs)
    if theirs is None or theirs[1] != mine[1]:
        return mine
    slots = _slots(theirs[2])
    slots.update(mine[2])
    return (mine[0] if mine[0] is not None else theirs[0], mine[1], slots)


class Entry(Record):
    """What the cache holds of one file (stored as a plain tuple: marshal takes no others)."""

    __slots__ = ("digest", "signature", "slots")

    def __init__(
        self,
        signature: Signature | None,
        digest: bytes,
        slots: dict[str, tuple[str, object]],
    ) -> None:
        self.signature = signature  # None: not trusted (racy), read the file again
        self.digest = digest  # of the file's bytes
        self.slots = slots  # slot name -> (key, value), values about those bytes


class _Pack:
    """The entries of the files of one directory, by file name: as loaded, and as this run
    changed them."""

    __slots__ = ("dirty", "folder", "found", "loaded", "mine", "path")

    def __init__(self, path: str, folder: str, loaded: dict) -> None:
        self.path = path
        self.folder = folder
        self.loaded = loaded  # as read from disk: never changed, checked when used
        self.mine: dict[str, tuple] = {}  # the entries of the files this run put
        self.found: set[str] = set()  # files of which this run got a value
        self.dirty = False

    def raw(self, name: str) -> tuple | None:
        raw = self.mine.get(name)
        return raw if raw is not None else _checked(self.loaded.get(name))

    def merged(self, disk: dict) -> dict:
        """What to write: the entries this run put, and the disk's (another run may have
        saved since this one loaded the pack) of the files that still exist; of a file this
        run found in the cache, the disk's entry, else the one it found."""
        present: set[str] | None = None
        entries = {}
        for name, raw in disk.items():
            if name in self.mine or name in self.found:
                entries[name] = raw
                continue
            if present is None:
                try:
                    present = {key(name) for name in os.listdir(self.folder)}
                except FileNotFoundError:
                    present = set()
                except OSError:  # cannot tell: keep them
                    present = set(disk)
            if name in present:
                entries[name] = raw
        for name in self.found:
            if name not in entries and name not in self.mine:
                raw = _checked(self.loaded.get(name))
                if raw is not None:
                    entries[name] = raw
        for name, raw in self.mine.items():
            entries[name] = _merge(raw, entries.get(name))
        return entries

    def save(self, lock: str) -> None:
        descriptor = _acquire(lock)
        try:
            entries = self.merged(_read_pack(self.path, key(self.folder)))
            data = _seal(sealed.dumps((FORMAT, key(self.folder), entries)))
            if len(data) <= MAX_PACK_BYTES:
                _write(self.path, data)
        finally:
            if descriptor is not None:
                os.close(descriptor)  # releases the lock
        self.loaded = entries
        self.dirty = False


class Index:
    """What the cache knows about the files of one run: a pack per directory of files,
    loaded when a file of it is first looked up, and merged into the disk's at ``save``
    if anything in it changed. Off (every lookup a miss, nothing saved) when the cache is."""

    def __init__(self, cache: Cache) -> None:
        self.enabled = cache.directory is not None
        self.started = time.time_ns()  # before any file of the run is looked at
        self._root = cache.root
        self._version = cache.directory
        self._packs_dir = cache.directory / "packs" if cache.directory is not None else None
        self._packs_path = str(self._packs_dir)
        self._packs: dict[str, _Pack] = {}
        # None: not looked at yet; "missing": nothing to read (created at save);
        # "trusted": every directory exists and is safe; "refused": the cache is not used.
        self._state: str | None = None

    def _directories(self) -> tuple[Path, Path, Path]:
        assert self._root is not None and self._version is not None
        assert self._packs_dir is not None
        return (self._root, self._version, self._packs_dir)

    def _check(self) -> str:
        """Whether the cache's directories can be read (checked again at the first look of
        a run: another process may have made them since the Cache was built)."""
        directories = self._directories()
        if any(_refusal(directory) is not None for directory in directories):
            return "refused"
        if all(directory.is_dir() for directory in directories):
            return "trusted"
        return "missing"

    def _pack(self, name: str) -> tuple[_Pack, str]:
        """The pack of the file at ``name`` (a resolved path), and the file's name in it."""
        folder, base = os.path.split(name)
        pack = self._packs.get(folder)
        if pack is None:
            if self._state is None:
                self._state = self._check()
            path = os.path.join(self._packs_path, key(folder))
            loaded = _read_pack(path, key(folder)) if self._state == "trusted" else {}
            pack = self._packs[folder] = _Pack(path, folder, loaded)
        return pack, key(base)

    def entry(self, name: str) -> Entry | None:
        """What the cache holds of the file at ``name`` (a resolved path), or None."""
        if not self.enabled:
            return None
        pack, base = self._pack(name)
        raw = pack.raw(base)
        if raw is None:
            return None
        return Entry(raw[0], raw[1], _slots(raw[2]))

    def known(self, name: str, signature: Signature) -> bytes | None:
        """The digest recorded for the file at ``name`` if it was recorded with
        ``signature`` (trusted then), else None: the file must be read."""
        if not self.enabled:
            return None
        pack, base = self._pack(name)
        raw = pack.raw(base)
        if raw is None or raw[0] is None or raw[0] != signature:
            return None
        return raw[1]

    def get(self, name: str, digest: bytes, slot: str, key: str) -> object | None:
        """The value in ``slot`` of the file at ``name`` for its bytes ``digest`` under
        ``key``; None on any mismatch."""
        if not self.enabled:
            return None
        pack, base = self._pack(name)
        raw = pack.raw(base)
        if raw is None or raw[1] != digest:
            return None
        held = raw[2].get(slot)
        if not _is_slot(held) or held[0] != key:
            return None
        pack.found.add(base)
        return held[1]

    def put(
        self,
        name: str,
        signature: Signature | None,
        digest: bytes,
        slot: str,
        key: str,
        value: object,
    ) -> None:
        """Record ``value`` (built-in types only: marshal's) in ``slot`` under ``key`` for
        the file at ``name`` with ``signature`` (None: bytes that did not come from disk)
        and ``digest``. The file's other slots go if they were about other bytes."""
        if not self.enabled:
            return
        try:
            sealed.dumps(value)
        except ValueError:  # a type marshal does not know, or nested too deeply
            return
        if signature is not None and max(signature[1], signature[2]) > self.started - RACY_NS:
            signature = None  # too recent to vouch for the bytes
        pack, base = self._pack(name)
        raw = pack.raw(base)
        held = (key, value)
        if raw is not None and raw[1] == digest:
            old = raw[2].get(slot)
            if raw[0] == signature and old == held and type(old[1]) is type(value):
                pack.found.add(base)
                return  # nothing changed
            slots = _slots(raw[2])
            slots[slot] = held
        else:
            slots = {slot: held}
        pack.mine[base] = (signature, digest, slots)
        pack.dirty = True

    def vouch(self, name: str, signature: Signature, digest: bytes) -> None:
        """The file at ``name``, read this run, has ``signature`` and bytes of ``digest``:
        if the cache holds something of those bytes, later runs may trust the signature
        for them and not read the file (a file too recent to trust when an entry was
        written, or merely touched since, is otherwise read at every run)."""
        if not self.enabled or max(signature[1], signature[2]) > self.started - RACY_NS:
            return
        pack, base = self._pack(name)
        raw = pack.raw(base)
        if raw is None or raw[1] != digest or raw[0] == signature:
            return
        pack.mine[base] = (signature, digest, _slots(raw[2]))
        pack.dirty = True

    def save(self) -> None:
        """Write every pack this run changed, merged with the disk's; failures cost speed."""
        if not self.enabled:
            return
        dirty = [pack for pack in self._packs.values() if pack.dirty]
        if not dirty or not self._prepare():
            return
        for pack in dirty:
            with contextlib.suppress(OSError, ValueError):
                pack.save(pack.path + ".lock")

    def _prepare(self) -> bool:
        """Create the cache's missing directories (0700, tagged), and check them again."""
        if self._state == "trusted":
            return True
        if self._state == "refused":
            return False
        root, _, packs = self._directories()
        try:
            created = _make_dirs(packs)
            if created:
                _write_tag(root)
        except OSError:
            return False
        self._state = self._check()
        return self._state == "trusted"


class Cache:
    """The cache of one flylint version in ``directory``; None: caching is off.
    A directory that is not safe to use turns it off too, ``refusal`` saying why."""

    def __init__(self, directory: Path | None) -> None:
        self.root = directory
        self.directory = directory / __version__ if directory is not None else None
        self.refusal: str | None = None
        if directory is not None and self.directory is not None:
            refusal = _refusal(directory) or _refusal(self.directory)
            if refusal is not None:
                self.root = self.directory = None
                self.refusal = refusal

    def index(self) -> Index:
        """The packs of one run's files."""
        return Index(self)


_active = Cache(None)


def configure(directory: Path | None) -> None:
    """Turn the cache on (in ``directory``) or off for this process."""
    global _active
    _active = Cache(directory)


def active() -> Cache:
    return _active
