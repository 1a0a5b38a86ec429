"""Which files to lint: the paths named on the command line, files classified by name.

Directories are listed from their repository's inventory (repository/inventory.py)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from flylint.diagnostics import FileKind
from flylint.support import observed
from flylint.support.records import Record


def is_fly_config(name: str) -> bool:
    """``fly.toml`` and ``fly.*.toml`` (``fly.staging.toml``)."""
    return name == "fly.toml" or (name.startswith("fly.") and name.endswith(".toml"))


def classify(name: str) -> FileKind | None:
    """The kind of file a name denotes when found in a directory walk, if flylint lints it."""
    if is_fly_config(name):
        return FileKind.FLY_TOML
    if name.endswith(".py"):
        return FileKind.PYTHON
    lower = name.lower()
    if lower.endswith(".dockerignore"):
        return None  # Dockerfile.dockerignore: the ignore-file of the Dockerfile beside it
    if (
        lower in ("dockerfile", "containerfile")
        or lower.startswith("dockerfile.")
        or lower.endswith(".dockerfile")
    ):
        return FileKind.DOCKERFILE
    return None


def classify_explicit(path: Path) -> FileKind:
    """A file named on the command line is always linted; unknown names are Fly config,
    but for a Dockerfile variant's name (Dockerfile-web, Dockerfile_prod: pre-commit's
    hook passes them, as a config may build with one)."""
    lower = path.name.lower()
    if lower.startswith(("dockerfile-", "dockerfile_")) and "." not in lower:
        return FileKind.DOCKERFILE
    return classify(path.name) or FileKind.FLY_TOML


class Target(Record):
    __slots__ = ("explicit", "kind", "path", "resolved", "status")

    def __init__(
        self,
        path: Path,
        kind: FileKind,
        resolved: str,
        explicit: bool = False,
        status: os.stat_result | None = None,
    ) -> None:
        self.path = path  # as the user named it
        self.kind = kind
        # Absolute, symbolic links resolved: resolved once, compared everywhere. A str: a
        # run of thousands of files hashes and compares it many times, which costs a Path
        # several times more.
        self.resolved = resolved
        self.explicit = explicit  # named on the command line rather than found in a walk
        self.status = status  # taken when named, unless a symbolic link


class Discovery:
    __slots__ = ("missing", "targets")

    def __init__(self, targets: list[Target] | None = None) -> None:
        self.targets: list[Target] = targets or []
        self.missing: list[Path] = []  # named paths that do not exist


def resolve(path: Path) -> Path:
    """``path.resolve()``, which raises for a symbolic link loop; then the absolute path, as
    reading the file reports the loop."""
    try:
        return path.resolve()
    except (RuntimeError, OSError, ValueError):  # RuntimeError before 3.13; ValueError: NUL
        return Path.cwd() / path


class _Resolver:
    """``Path.resolve()``, each directory resolved once and from its parent: a pre-commit
    run names thousands of files in hundreds of directories, and resolving a path from
    scratch costs a system call per part."""

    def __init__(self) -> None:
        self._directories: dict[str, str] = {}

    def resolve(self, path: Path, is_link: bool) -> str:
        """``path.resolve()``, as a str; ``is_link``: whether ``path`` itself is a symbolic
        link."""
        parent, name = os.path.split(path)
        if is_link or name in ("", ".."):
            return str(resolve(path))
        return os.path.join(self._directory(parent), name)

    def _directory(self, name: str) -> str:
        """The resolved path of the directory ``name``: its resolved parent's joined with
        its last part, unless that part is a symbolic link. Up the tree without recursion:
        a path may have thousands of parts."""
        pending = []
        while name not in self._directories:
            parent, base = os.path.split(name)
            if not parent or parent == name or base in ("", ".", ".."):
                self._directories[name] = str(resolve(Path(name or ".")))
                break
            pending.append((name, base))
            name = parent
        resolved = self._directories[name]
        for directory, base in reversed(pending):
            joined = os.path.join(resolved, base)
            resolved = str(resolve(Path(joined))) if os.path.islink(joined) else joined
            self._directories[directory] = resolved
        return resolved


def _status(path: Path) -> os.stat_result | None:
    """``path.lstat()``, or None when it does not exist (errors as ``Path.exists`` treats
    them: a dangling path is missing, a refused one raises)."""
    try:
        return path.lstat()
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP):
            return None
        raise


def discover(paths: Iterable[Path]) -> tuple[Discovery, list[tuple[Path, str]]]:
    """The files named in ``paths``, and the directories named, each with its resolved
    path (the engine lists their files from the repository's inventory)."""
    found = Discovery()
    seen: set[str] = set()
    directories: list[tuple[Path, str]] = []
    resolver = _Resolver()
    for named in paths:
        observed.note(named)
        status = _status(named)
        if status is None:
            found.missing.append(named)
            continue
        is_link = stat.S_ISLNK(status.st_mode)
        resolved = os.path.normpath(resolver.resolve(named, is_link))
        if named.is_dir() if is_link else stat.S_ISDIR(status.st_mode):
            directories.append((named, resolved))
        elif resolved not in seen:  # a file, or a dangling link (reported as unreadable)
            seen.add(resolved)
            status = None if is_link else status  # a link's own status is not the file's
            found.targets.append(
                Target(named, classify_explicit(named), resolved, True, status=status)
            )
    return found, directories
