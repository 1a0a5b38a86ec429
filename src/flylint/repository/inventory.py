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
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

# Never worth walking: VCS internals, dependency trees and caches (as ruff and ripgrep do).
SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox",
     ".mypy_cache", ".ruff_cache", ".pytest_cache", ".direnv"}
)  # fmt: skip


class Listed(Record):
    """A file of the repository."""

    __slots__ = ("kind", "path", "relative", "resolved")

    def __init__(self, path: str, resolved: str, relative: str, kind: FileKind) -> None:
        self.path = path  # where the walk found it: the root joined with ``relative``
        self.resolved = resolved  # the same, or a symbolic link's target
        self.relative = relative  # to the root, with ``/``
        self.kind = kind


class Inventory:
    __slots__ = ("files", "nested", "root", "unreadable")

    def __init__(self, root: str) -> None:
        self.root = root
        self.files: list[Listed] = []
        self.nested: list[str] = []  # repositories of their own below the root
        self.unreadable: list[tuple[str, str]] = []  # directories not read, and why

    def of_kind(self, kind: FileKind) -> list[Listed]:
        return [f for f in self.files if f.kind is kind]


class Ignores:
    """The .gitignore files that apply to a directory, each read once."""

    def __init__(self) -> None:
        self._specs: dict[str, GitIgnoreSpec | None] = {}

    def spec(self, directory: str) -> GitIgnoreSpec | None:
        if directory not in self._specs:
            spec = None
            try:
                with open(os.path.join(directory, ".gitignore"), encoding="utf-8",
                          errors="replace") as f:  # fmt: skip
                    lines = f.read()
            except OSError:
                lines = None
            if lines:
                # Imported only when a .gitignore exists: most runs never pay for it.
                from pathspec import GitIgnoreSpec

                spec = GitIgnoreSpec.from_lines(lines.splitlines())
            self._specs[directory] = spec
        return self._specs[directory]

    def ignored(self, path: str, is_dir: bool, chain: list[str]) -> bool:
        """Whether ``path`` (absolute, below every directory of ``chain``) is ignored by
        the .gitignore files of ``chain``, the deepest first."""
        for base in reversed(chain):
            spec = self.spec(base)
            if spec is None:
                continue
            relative = path[len(base) + 1 :].replace(os.sep, "/") + ("/" if is_dir else "")
            verdict = spec.check_file(relative).include
            if verdict is not None:
                return verdict
        return False


def take(root: str, recursive: bool = True) -> Inventory:
    """Every file under ``root`` (a resolved directory) that flylint lints; not
    ``recursive``: those directly in it."""
    inventory = Inventory(root)
    ignores = Ignores()
    inside = os.path.join(root, "")
    stack: list[tuple[str, list[str]]] = [(root, [root])]
    while stack:
        directory, chain = stack.pop()
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
                if (
                    not recursive
                    or name in SKIPPED_DIRS
                    or ignores.ignored(entry.path, True, chain)
                ):
                    continue
                if os.path.lexists(os.path.join(entry.path, ".git")):
                    inventory.nested.append(entry.path)
                    continue
                subdirs.append((entry.path, [*chain, entry.path]))
                continue
            kind = classify(name)
            if kind is None:
                continue
            if ignores.ignored(entry.path, False, chain):
                continue
            resolved = entry.path
            if entry.is_symlink():
                resolved = os.path.realpath(entry.path)
                if not resolved.startswith(inside):
                    continue  # a link out of the repository is not read
            relative = entry.path[len(inside) :].replace(os.sep, "/")
            inventory.files.append(Listed(entry.path, resolved, relative, kind))
        # Reversed so that the stack pops directories in name order.
        stack.extend(reversed(subdirs))
    return inventory
