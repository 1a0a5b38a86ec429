"""What a run looked at on disk: every file it read, every directory it listed and every
path it probed (present or not), each with its stat signature when first looked at, so
that a replay (flylint.engine.replay) can tell that none of them changed.

Recording is on only while a command-line run that may be replayed lints; ``note`` is
otherwise one global lookup. A file is noted before it is read: a change made after the
note moves its signature, and one made during the run is too recent to trust (the run is
then not kept).
"""

from __future__ import annotations

import os
import stat

# A path's signature: its type, size, times, inode and device (a symbolic link's, then its
# target's); None: nothing there.
Signature = tuple[int, ...] | None

_seen: dict[str, Signature] | None = None


def start() -> None:
    global _seen
    _seen = {}


def stop() -> dict[str, Signature] | None:
    """What was noted since ``start`` (None: not recording), by absolute path."""
    global _seen
    seen, _seen = _seen, None
    return seen


def note(path: str | os.PathLike[str]) -> None:
    """The run looks at ``path`` (a file, a directory, or where one would be)."""
    if _seen is not None:
        absolute = os.path.abspath(path)
        if absolute not in _seen:
            _seen[absolute] = signature(absolute)


def signature(path: str) -> Signature:
    try:
        status = os.lstat(path)
    except (OSError, ValueError):
        return None
    found = _of(status)
    if not stat.S_ISLNK(status.st_mode):
        return found
    try:
        return found + _of(os.stat(path))
    except (OSError, ValueError):
        return found  # a dangling link: its own signature says it


def _of(status: os.stat_result) -> tuple[int, ...]:
    return (
        status.st_mode,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
        status.st_ino,
        status.st_dev,
    )
