"""Where a repository begins: the root a file is judged within.

The root of a path is the enclosing git work tree (the nearest directory holding ``.git``,
a directory or a worktree's file). Outside git, it is the highest directory, from the
path's own directory up, that holds a Fly config or a project configuration
(``pyproject.toml``, ``flylint.toml``, ``.flylint.toml``): the app a file belongs to and
the configuration that applies to it must be found whichever of its files is named, and a
home directory is not walked as a whole for holding one project. Neither the filesystem
root nor the home directory is ever taken for a repository by that rule: a file there
outside git is its own directory's, and that directory is not walked below (``shallow``).
"""

from __future__ import annotations

import os

from flylint.files.discovery import is_fly_config
from flylint.support import observed

_PROJECT_FILES = frozenset({"pyproject.toml", "flylint.toml", ".flylint.toml"})


class Roots:
    """Each directory's root, found once: a pre-commit run names thousands of files in a
    few hundred directories."""

    def __init__(self) -> None:
        self._git: dict[str, str | None] = {}
        self._configs: dict[str, bool] = {}
        home = os.path.expanduser("~")
        self._never = {os.path.abspath(os.sep), os.path.realpath(home) if home != "~" else ""}

    def shallow(self, root: str) -> bool:
        """Whether the root is a directory whose files only are the repository's (the
        filesystem root or the home directory, outside git)."""
        return root in self._never and self.git_root(root) is None

    def of(self, resolved: str, is_dir: bool = False) -> str:
        """The root of the file (or, with ``is_dir``, the directory) at ``resolved``, a
        resolved absolute path."""
        directory = resolved if is_dir else os.path.dirname(resolved)
        git = self.git_root(directory)
        if git is not None:
            return git
        root = directory
        here = directory
        while True:
            parent = os.path.dirname(here)
            if parent == here:
                return root
            here = parent
            if here not in self._never and self._holds_project(here):
                root = here

    def git_root(self, directory: str) -> str | None:
        """The nearest directory at or above ``directory`` holding ``.git``. Up the tree
        without recursion: a path may have thousands of parts."""
        pending = []
        found: str | None = None
        here = directory
        while here not in self._git:
            pending.append(here)
            dot_git = os.path.join(here, ".git")
            observed.note(dot_git)
            if os.path.lexists(dot_git):
                found = here
                break
            parent = os.path.dirname(here)
            if parent == here:
                break
            here = parent
        else:
            found = self._git[here]
        for below in pending:
            self._git[below] = found
        return found

    def _holds_project(self, directory: str) -> bool:
        held = self._configs.get(directory)
        if held is None:
            observed.note(directory)
            try:
                with os.scandir(directory) as listing:
                    held = any(
                        (is_fly_config(e.name) or e.name in _PROJECT_FILES) and e.is_file()
                        for e in listing
                    )
            except OSError:
                held = False
            self._configs[directory] = held
        return held
