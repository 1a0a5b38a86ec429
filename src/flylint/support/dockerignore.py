"""``.dockerignore`` read as Docker reads it: which files of a build context ``COPY`` and
``ADD`` never see (docs.docker.com/build/concepts/context/#dockerignore-files).

A line starting with ``#`` is a comment (in column 1 only); the others are trimmed, a
leading ``!`` makes a line an exception, and the pattern is cleaned as Go's
``filepath.Clean`` cleans a path, a leading ``/`` dropped: every pattern is anchored at the
context's root (``*.env`` is a file of the root only; ``**/*.env`` is one anywhere). A
pattern excludes the paths it matches and everything below a directory it matches. The
last line that matches a path or a directory above it decides, so, unlike .gitignore, an
exception re-includes a file even inside an excluded directory.
"""

from __future__ import annotations

import posixpath

from flylint.support import gitignore
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class Line(Record):
    """One pattern line of a .dockerignore."""

    __slots__ = ("exception", "line", "matches", "pattern")

    def __init__(
        self, line: int, pattern: str, exception: bool, matches: Callable[[str], bool]
    ) -> None:
        self.line = line  # 1-based
        self.pattern = pattern  # as cleaned, with its "!" when an exception
        self.exception = exception
        self.matches = matches


class DockerIgnore:
    __slots__ = ("lines",)

    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines

    @classmethod
    def parse(cls, text: str) -> DockerIgnore:
        lines = []
        for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
            if raw.startswith("#"):
                continue
            pattern = raw.strip()
            exception = pattern.startswith("!")
            if exception:
                pattern = pattern[1:].strip()
            if not pattern:
                continue
            pattern = _clean(pattern)
            matches = gitignore.path_glob(pattern)
            if matches is None:
                continue
            shown = f"!{pattern}" if exception else pattern
            lines.append(Line(number, shown, exception, matches))
        return cls(lines)

    def deciding(self, path: str) -> Line | None:
        """The line that decides whether ``path`` (relative to the context, with ``/``) is
        sent: the last that matches it or a directory above it; None when none does."""
        for line in reversed(self.lines):
            if line.matches(path):
                return line
        return None

    def excludes(self, path: str) -> bool:
        line = self.deciding(path)
        return line is not None and not line.exception


def _clean(pattern: str) -> str:
    """As Go's filepath.Clean, then without a leading "/" (the context is the root)."""
    cleaned = posixpath.normpath(pattern)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")  # normpath keeps two leading slashes
    return cleaned[1:] if len(cleaned) > 1 and cleaned.startswith("/") else cleaned
