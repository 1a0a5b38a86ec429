"""Sealed files of the cache directory: a line of magic, a BLAKE2b check, a ``marshal``
blob. Written atomically (0600, never through a symlink), read only when regular, small
enough and whole. Plain ``os`` paths and no costly import: a replayed run
(flylint.engine.replay) reads one before anything else is imported.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys

from flylint.support.digests import blake2b

ENV_DIR = "FLYLINT_CACHE_DIR"
CHECK_BYTES = 32  # the BLAKE2b digest of the marshal

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # absent on Windows, which has no such links
NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted at a path must not block open()
BINARY = getattr(os, "O_BINARY", 0)  # Windows only
_TRUST_OWNER = hasattr(os, "getuid")  # Windows has neither owners nor modes to check
fchmod = getattr(os, "fchmod", None)  # the mode open() gives is filtered by the umask

if sys.version_info >= (3, 13):  # a sealed file holds data: never a code object

    def loads(data: bytes | memoryview) -> object:
        return marshal.loads(data, allow_code=False)

    def dumps(value: object) -> bytes:
        return marshal.dumps(value, allow_code=False)

else:
    loads = marshal.loads
    dumps = marshal.dumps


def default_dir() -> str:
    """``$FLYLINT_CACHE_DIR``, else the platform's user cache directory."""
    configured = os.environ.get(ENV_DIR)
    if configured:
        return configured
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, "flylint", "Cache")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "flylint")
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache"), "flylint")


def refusal(directory: str | os.PathLike[str]) -> str | None:
    """Why the cache must not use ``directory``; None if it may (or does not exist yet).
    Like git's safe.directory and ssh's checks of ~/.ssh: it must be a directory of the
    current user's that no other user can write (followed if a symlink: ~/.cache may be)."""
    try:
        status = os.stat(directory)
    except (FileNotFoundError, NotADirectoryError):
        return None  # created at the first save, or found unwritable then: costs speed only
    except OSError as error:
        reason = f"cannot be inspected ({error.strerror or error})"
    else:
        if not stat.S_ISDIR(status.st_mode):
            reason = "is not a directory"
        elif _TRUST_OWNER and status.st_uid != os.getuid():
            reason = f"is owned by another user (uid {status.st_uid})"
        elif _TRUST_OWNER and status.st_mode & 0o022:
            mode = stat.S_IMODE(status.st_mode)
            reason = f"is writable by other users (mode {mode:04o})"
        else:
            return None
    return f"cache directory {os.fspath(directory)} {reason}; not used (run without a cache)"


def seal(magic: bytes, payload: bytes) -> bytes:
    """A sealed file's bytes: the magic, the check, the marshal."""
    return magic + blake2b(payload, digest_size=CHECK_BYTES).digest() + payload


def unseal(magic: bytes, data: bytes) -> memoryview | None:
    """The marshal of a sealed file whose check holds; None for garbage. marshal.loads
    trusts the counts in its input: five bytes claiming a tuple of 2**31 items make it
    allocate and clear 16 GiB (a hundred seconds), so a torn or corrupted file must never
    reach it."""
    start = len(magic) + CHECK_BYTES
    if len(data) < start or not data.startswith(magic):
        return None
    payload = memoryview(data)[start:]
    if blake2b(payload, digest_size=CHECK_BYTES).digest() != data[len(magic) : start]:
        return None
    return payload


def read(path: str, limit: int) -> bytes | None:
    """The bytes of the file at ``path``; None if it is absent, not a regular file, a
    symlink or larger than ``limit``."""
    try:
        descriptor = os.open(path, os.O_RDONLY | NOFOLLOW | NONBLOCK | BINARY)
    except OSError:
        return None
    try:
        with os.fdopen(descriptor, "rb") as f:
            status = os.fstat(f.fileno())
            if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
                return None
            data = f.read(limit + 1)  # marshal.load would read in small pieces
    except OSError:
        return None
    return data if len(data) <= limit else None  # else: grew since fstat


def write(path: str, data: bytes) -> None:
    """Replace the file at ``path`` with ``data`` atomically (readers see the old file or
    the new one), through a temporary file of an unpredictable name created 0600 with
    O_EXCL, which never follows a symlink (tempfile.mkstemp's way, without the ~15 ms
    import). A symlink at ``path`` itself is replaced, not followed."""
    directory, name = os.path.split(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | BINARY
    for _ in range(100):
        temporary = os.path.join(directory, f".{name}.{os.urandom(8).hex()}.tmp")
        try:
            descriptor = os.open(temporary, flags, 0o600)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 100 collisions of 64 random bits
        raise FileExistsError(f"no temporary file name free in {directory}")
    try:
        with os.fdopen(descriptor, "wb") as f:
            if fchmod is not None:
                fchmod(f.fileno(), 0o600)
            f.write(data)
        os.replace(temporary, path)
    except BaseException:
        import contextlib  # only on a failed write: not on a replay's path

        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
