"""The files of a repository that flylint lints or reads facts from, found by one walk
from its root that honours ``.gitignore`` (as git does: the deepest file with an opinion
decides) and skips VCS internals, dependency trees and caches. Symbolic links to
directories are not followed (they can loop and they duplicate files); a symbolic link to
a file is listed at its target when the target is inside the root. A directory holding
``.git`` below the root (a submodule, a vendored clone) is a repository of its own: it is
not listed, only noted.
"""

from __future__ import annotations

import os

from flylint.diagnostics import FileKind
from flylint.files.discovery import classify
from flylint.support import observed
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from flylint.support.gitignore import GitIgnore

# Never worth walking: VCS internals, dependency trees and caches (as ruff and ripgrep do).
SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox",
     ".mypy_cache", ".ruff_cache", ".pytest_cache", ".direnv"}
)  # fmt: skip


class Listed(Record):
    """A file of the repository."""

    __slots__ = ("kind", "path", "relative", "resolved")

    def __init__(self, path: str, resolved: str, relative: str, kind: FileKind | None) -> None:
        self.path = path  # where the walk found it: the root joined with ``relative``
        self.resolved = resolved  # the same, or a symbolic link's target
        self.relative = relative  # to the root, with ``/``
        self.kind = kind  # None: a file a fact reads by its name (``Inventory.named``)


class Inventory:
    __slots__ = ("files", "nested", "others", "root", "unreadable")

    def __init__(self, root: str) -> None:
        self.root = root
        self.files: list[Listed] = []
        # The walk's other files (path, whether a symbolic link), .gitignore'd ones too:
        # ``fly deploy`` sends them (a build context's .env files, keys, .dockerignore).
        self.others: list[tuple[str, bool]] = []
        self.nested: list[str] = []  # repositories of their own below the root
        self.unreadable: list[tuple[str, str]] = []  # directories not read, and why

    def of_kind(self, kind: FileKind) -> list[Listed]:
        return [f for f in self.files if f.kind is kind]

    def named(self, wanted: Callable[[str], bool]) -> list[Listed]:
        """The walk's other files whose names are ``wanted``. A directory .gitignore
        excludes is not walked, so its files are not among them."""
        found = Inventory(self.root)
        for path, is_link in self.others:
            if wanted(os.path.basename(path)):
                _list(found, path, is_link, None)
        return found.files


class Ignores:
    """The .gitignore files that apply to a directory, each read once."""

    def __init__(self) -> None:
        self._specs: dict[str, GitIgnore | None] = {}

    def spec(self, directory: str) -> GitIgnore | None:
        if directory not in self._specs:
            spec = None
            path = os.path.join(directory, ".gitignore")
            observed.note(path)
            try:
                # Bytes, as git reads them: patterns match names byte for byte.
                with open(path, "rb") as f:
                    content = f.read()
            except OSError:
                content = None
            if content:
                # Imported only when a .gitignore exists: most runs never pay for it.
                from flylint.support.gitignore import GitIgnore

                spec = GitIgnore.from_bytes(content) or None
            self._specs[directory] = spec
        return self._specs[directory]

    def ignored(self, path: str, is_dir: bool, chain: list[str]) -> bool:
        """Whether ``path`` (absolute, below every directory of ``chain``) is ignored by
        the .gitignore files of ``chain``, the deepest first. The directories between are
        not ignored: the walk entered them."""
        for base in reversed(chain):
            spec = self.spec(base)
            if spec is None:
                continue
            verdict = spec.match(path[len(base) + 1 :].replace(os.sep, "/"), is_dir)
            if verdict is not None:
                return verdict
        return False


def take(root: str, recursive: bool = True) -> Inventory:
    """Every file under ``root`` (a resolved directory) that flylint lints; not
    ``recursive``: those directly in it."""
    inventory = Inventory(root)
    ignores = Ignores()
    ignored_any = False  # whether .gitignore kept anything out: then the index is read
    stack: list[tuple[str, list[str]]] = [(root, [root])]
    while stack:
        directory, chain = stack.pop()
        observed.note(directory)  # a file added, removed or renamed in it moves its times
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            inventory.unreadable.append((directory, exc.strerror or str(exc)))
            continue
        subdirs = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if not recursive or name in SKIPPED_DIRS:
                    continue
                if ignores.ignored(entry.path, True, chain):
                    ignored_any = True
                    continue
                dot_git = os.path.join(entry.path, ".git")
                observed.note(dot_git)
                if os.path.lexists(dot_git):
                    inventory.nested.append(entry.path)
                    continue
                subdirs.append((entry.path, [*chain, entry.path]))
                continue
            kind = classify(name)
            if kind is None:
                inventory.others.append((entry.path, entry.is_symlink()))
                continue
            if ignores.ignored(entry.path, False, chain):
                ignored_any = True
                continue
            _list(inventory, entry.path, entry.is_symlink(), kind)
        # Reversed so that the stack pops directories in name order.
        stack.extend(reversed(subdirs))
    if ignored_any:
        _add_tracked(inventory, recursive)
    return inventory


def _list(inventory: Inventory, path: str, is_link: bool, kind: FileKind | None) -> None:
    inside = os.path.join(inventory.root, "")
    resolved = path
    if is_link:
        resolved = os.path.realpath(path)
        if not resolved.startswith(inside):
            return  # a link out of the repository is not read
    relative = path[len(inside) :].replace(os.sep, "/")
    inventory.files.append(Listed(path, resolved, relative, kind))


def _add_tracked(inventory: Inventory, recursive: bool) -> None:
    """The files .gitignore matched that are committed all the same: git builds and ships
    them (``fly deploy`` too), so they are linted. Read from git's index, not by running
    git, which a repository's own configuration could make run a program."""
    import stat

    from flylint.repository import git_index

    tracked = git_index.tracked(inventory.root)
    if not tracked:
        return
    listed = {f.relative for f in inventory.files}
    nested = [os.path.join(n, "") for n in inventory.nested]
    added = False
    for relative in sorted(tracked):
        parts = relative.split("/")
        kind = classify(parts[-1])
        if kind is None or relative in listed or (not recursive and len(parts) > 1):
            continue
        if any(part in SKIPPED_DIRS for part in parts[:-1]):
            continue
        path = os.path.join(inventory.root, *parts)
        if any(path.startswith(n) for n in nested):
            continue
        observed.note(path)
        try:
            mode = os.lstat(path).st_mode
        except OSError:  # deleted in the work tree, or not representable here
            continue
        if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
            _list(inventory, path, stat.S_ISLNK(mode), kind)
            added = True
    if added:
        inventory.files.sort(key=lambda f: f.relative)
