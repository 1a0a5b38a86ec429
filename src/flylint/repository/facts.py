"""Facts: what a rule needs to know from files other than the one it reports on.

A rule module declares the facts it consumes as ``FACTS``, a tuple of Producers: what
each reads (Python modules, the app's Dockerfile, text files by path, or files of the
build context by name) and the function
that turns one such file into rows of built-in values (tuples of str, int, None). The
engine runs producers on the repository's files, caches their rows by each file's bytes,
and merges them per app; the rule asks ``ctx.facts(name)`` for its app's rows. The engine
knows no fact by name. Rows must hold nothing secret: they are kept in the cache.
"""

from __future__ import annotations

from pathlib import Path

from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

# What a producer reads.
PYTHON = "python"  # each Python module the app ships, parsed
DOCKERFILE = "dockerfile"  # the Dockerfile the app builds with, as text
TEXT = "text"  # the files at ``paths`` in the app's build context, as text
# The files of the app's whole build context (nested apps' directories, untracked and
# .gitignore'd files too: ``fly deploy`` sends the working directory) whose names match
# ``names``, as text; produce(text, name) -> rows.
NAMED = "named"


class Producer(Record):
    __slots__ = ("everywhere", "hints", "name", "names", "paths", "produce", "reads", "shared")

    def __init__(
        self,
        name: str,
        reads: str,
        produce: Callable[..., list[tuple]],
        hints: tuple[str, ...] = (),
        paths: tuple[str, ...] = (),
        shared: bool = False,
        everywhere: tuple[str, ...] = (),
        names: tuple[str, ...] = (),
    ) -> None:
        self.name = name  # the fact's name, as consumers ask for it
        self.reads = reads  # PYTHON, DOCKERFILE, TEXT or NAMED
        # produce(the parsed module for PYTHON, else the file's text) -> rows
        self.produce = produce
        # Lower-case substrings one of which a file's text must hold for ``produce`` to
        # find anything in it: files without any are not parsed for this fact.
        self.hints = hints
        # TEXT only: paths relative to the build context (``config/environments/production.rb``);
        # a ``*`` in the last part matches the files of that directory (``nginx/*.conf``).
        self.paths = paths
        # Read for the other apps of the repository too (who calls this app, and how): a
        # config's result then depends on every app's rows of the fact.
        self.shared = shared
        # TEXT only: paths relative to the repository root, read for every app too (docs
        # and CI workflows about the whole repository); a rule weighs what they say about
        # an app by whether they name it.
        self.everywhere = everywhere
        # NAMED only: shell patterns of file names, lower case, matched in any case.
        self.names = names

    def worth(self, lower_text: str) -> bool:
        return not self.hints or any(hint in lower_text for hint in self.hints)


class Fact(Record):
    """One row of a fact, with the file it came from."""

    __slots__ = ("path", "resolved", "row")

    def __init__(self, path: Path, resolved: str, row: tuple) -> None:
        self.path = path  # the file, as outputs name it
        self.resolved = resolved  # the file's absolute path
        self.row = row
