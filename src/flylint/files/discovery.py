"""Which files to lint: walk directories honouring .gitignore, classify files by name."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from flylint.diagnostics import FileKind, Notice
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

# Never worth walking: VCS internals, dependency trees and caches (as ruff and ripgrep do).
SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox",
     ".mypy_cache", ".ruff_cache", ".pytest_cache", ".direnv"}
)  # fmt: skip


def classify(name: str) -> FileKind | None:
    """The kind of file a name denotes when found in a directory walk, if flylint lints it."""
    if name == "fly.toml" or (name.startswith("fly.") and name.endswith(".toml")):
        return FileKind.FLY_TOML
    if name.endswith(".py"):
        return FileKind.PYTHON
    lower = name.lower()
    if (
        lower in ("dockerfile", "containerfile")
        or lower.startswith("dockerfile.")
        or lower.endswith(".dockerfile")
    ):
        return FileKind.DOCKERFILE
    return None


def classify_explicit(path: Path) -> FileKind:
    """A file named on the command line is always linted; unknown names are Fly config."""
    return classify(path.name) or FileKind.FLY_TOML


class Target(Record):
    __slots__ = ("context", "explicit", "kind", "path", "resolved", "status")

    def __init__(
        self,
        path: Path,
        kind: FileKind,
        resolved: str,
        explicit: bool = False,
        context: bool = False,
        status: os.stat_result | None = None,
    ) -> None:
        self.path = path  # as the user named it
        self.kind = kind
        # Absolute, symbolic links resolved: resolved once, compared everywhere. A str: a
        # run of thousands of files hashes and compares it many times, which costs a Path
        # several times more.
        self.resolved = resolved
        self.explicit = explicit  # named on the command line rather than found in a walk
        self.context = context  # read for what it tells about other files, not linted itself
        self.status = status  # taken when named, unless a symbolic link


class Discovery:
    __slots__ = ("missing", "notices", "targets")

    def __init__(self, targets: list[Target] | None = None) -> None:
        self.targets: list[Target] = targets or []
        self.notices: list[Notice] = []
        self.missing: list[Path] = []  # named paths that do not exist


def find_git_root(start: Path) -> Path | None:
    for parent in (start, *start.parents):
        if (parent / ".git").exists():
            return parent
    return None


class _Ignores:
    """The .gitignore files that apply to a directory, deepest last."""

    def __init__(self) -> None:
        self._cache: dict[Path, GitIgnoreSpec | None] = {}

    def spec(self, directory: Path) -> GitIgnoreSpec | None:
        if directory not in self._cache:
            spec = None
            try:
                lines = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
            except OSError:
                lines = None
            if lines:
                # Imported only when a .gitignore exists: linting one file never pays for it.
                from pathspec import GitIgnoreSpec

                spec = GitIgnoreSpec.from_lines(lines.splitlines())
            self._cache[directory] = spec
        return self._cache[directory]

    def ignored(self, path: Path, is_dir: bool, chain: list[Path]) -> bool:
        # The deepest .gitignore that has an opinion decides, as in git.
        for base in reversed(chain):
            spec = self.spec(base)
            if spec is None:
                continue
            rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
            verdict = spec.check_file(rel).include
            if verdict is not None:
                return verdict
        return False


def _ancestors_chain(directory: Path) -> list[Path]:
    """Absolute directories from the git root down to ``directory``, whose .gitignore
    files apply to it."""
    absolute = directory.resolve()
    root = find_git_root(absolute)
    if root is None:
        return [absolute]
    chain = [root]
    for part in absolute.relative_to(root).parts:
        chain.append(chain[-1] / part)
    return chain


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


def discover(paths: Iterable[Path]) -> Discovery:
    found = Discovery()
    seen: set[str] = set()
    ignores = _Ignores()
    resolver = _Resolver()

    def add(path: Path, kind: FileKind, is_link: bool, named: os.stat_result | None = None) -> None:
        """``named``: the status of a path named on the command line."""
        key = resolver.resolve(path, is_link)
        if key not in seen:
            seen.add(key)
            status = None if is_link else named  # a link's own status is not the file's
            found.targets.append(Target(path, kind, key, named is not None, status=status))

    for root in paths:
        status = _status(root)
        if status is None:
            found.missing.append(root)
            continue
        is_link = stat.S_ISLNK(status.st_mode)
        if root.is_dir() if is_link else stat.S_ISDIR(status.st_mode):
            _walk(root, _ancestors_chain(root), ignores, add, found.notices)
        else:  # a file, or a dangling symbolic link (reported as unreadable)
            add(root, classify_explicit(root), is_link, status)
    return found


def _walk(root: Path, chain: list[Path], ignores: _Ignores, add, notices: list[Notice]) -> None:
    # Paths are reported as the user spelled the root; .gitignore matching needs them
    # absolute, so each directory travels with its absolute twin.
    stack: list[tuple[Path, list[Path]]] = [(root, chain)]
    while stack:
        directory, chain = stack.pop()
        absolute = chain[-1]
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            notices.append(Notice(directory, f"cannot read directory: {exc.strerror or exc}", True))
            continue
        subdirs = []
        for entry in entries:
            path = directory / entry.name
            # Symlinked directories are not followed: they can loop and they duplicate files.
            if entry.is_dir(follow_symlinks=False):
                if entry.name in SKIPPED_DIRS or ignores.ignored(
                    absolute / entry.name, True, chain
                ):
                    continue
                subdirs.append((path, [*chain, absolute / entry.name]))
                continue
            kind = classify(entry.name)
            if kind is None or ignores.ignored(absolute / entry.name, False, chain):
                continue
            add(path, kind, entry.is_symlink())
        # Reversed so that the stack pops directories in name order.
        stack.extend(reversed(subdirs))


def context_configs(resolved: str, above: dict[str, list[str]] | None = None) -> list[Target]:
    """The fly.toml files of the directories above the file at ``resolved`` (a resolved
    path), up to the repository root: what a file linted on its own needs to know which
    app it belongs to. ``above`` remembers each directory's answer across the files of
    one run (pre-commit passes thousands of files from a few directories)."""
    return [
        Target(Path(config), FileKind.FLY_TOML, config, explicit=True, context=True)
        for config in _configs_above(os.path.dirname(resolved), {} if above is None else above)
        if config != resolved
    ]


def _configs_above(directory: str, above: dict[str, list[str]]) -> list[str]:
    """fly.toml files in ``directory`` (a resolved path) and its parents, nearest first, up
    to the first directory holding ``.git`` (or the filesystem root). Up the tree without
    recursion: a path may have thousands of parts."""
    pending = []  # directories below the first one known, nearest last
    while directory not in above:
        try:
            own = sorted(
                entry.path
                for entry in os.scandir(directory)
                # classify's test for a fly.toml, inlined: directories hold many files
                if entry.name.startswith("fly.")
                and entry.name.endswith(".toml")
                and entry.is_file()
            )
        except OSError:
            own = []
        parent = os.path.dirname(directory)
        if parent == directory or os.path.exists(os.path.join(directory, ".git")):
            above[directory] = own
            break
        pending.append((directory, own))
        directory = parent
    configs = above[directory]
    for below, own in reversed(pending):
        configs = above[below] = own + configs
    return configs
