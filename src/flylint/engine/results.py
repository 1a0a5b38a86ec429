"""What linting one file yields, and its plain-data form for the cache.

In the cache, the linted file is named "" and any other file a finding points into by its
path relative to the repository root: a result serves every invocation, whatever the
working directory and however the file was named.
"""

from __future__ import annotations

from pathlib import Path

from flylint.diagnostics import Diagnostic, Edit, Related, Span
from flylint.engine.suppressions import Mark
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class FileResult(Record):
    __slots__ = ("diagnostics", "marks", "path", "problems")

    def __init__(
        self,
        path: Path,
        diagnostics: list[Diagnostic],
        problems: list[Diagnostic],
        marks: dict[Path, list[Mark]],
    ) -> None:
        self.path = path  # as the user named it
        self.diagnostics = diagnostics  # FLY000 and the rules' findings, before suppressions
        self.problems = problems  # FLY003: bad suppression comments (never suppressed)
        # The lines suppression comments cover, in the file and in the other files its
        # findings point into.
        self.marks = marks


def encode(result: FileResult, relative: Callable[[Path], str]) -> tuple:
    """Only built-in types, for ``marshal``; ``relative`` names another file by its path
    relative to the repository root."""
    names: dict[Path, str] = {result.path: ""}

    def name(path: Path) -> str:
        if path not in names:
            names[path] = relative(path)
        return names[path]

    def diagnostic(d: Diagnostic) -> tuple:
        fix = (d.fix.table, d.fix.key, d.fix.value) if d.fix else None
        related = [(tuple(r.span), r.message) for r in d.related]
        return (
            d.rule_id, name(d.path), tuple(d.span), d.message, d.anchor, d.confidence, fix,
            related,
        )  # fmt: skip

    return (
        [diagnostic(d) for d in result.diagnostics],
        [diagnostic(d) for d in result.problems],
        [(name(path), [tuple(mark) for mark in marks]) for path, marks in result.marks.items()],
    )


def decode(raw: Any, path: Path, display: Callable[[str], Path]) -> FileResult | None:
    """The FileResult ``encode`` made of the file at ``path``; ``display`` names another
    file from its path relative to the repository root. None for anything else (a foreign
    entry)."""
    try:
        diagnostics, problems, marks = raw
        paths: dict[str, Path] = {"": path}

        def where(name: str) -> Path:
            if name not in paths:
                paths[name] = display(name)
            return paths[name]

        def diagnostic(row: tuple) -> Diagnostic:
            rule_id, name, span, message, anchor, confidence, fix, related = row
            edit = Edit(tuple(fix[0]), fix[1], fix[2]) if fix else None
            others = tuple(Related(Span(*at), text) for at, text in related)
            return Diagnostic(
                rule_id, where(name), Span(*span), message, anchor, confidence, edit, others
            )

        return FileResult(
            path,
            [diagnostic(row) for row in diagnostics],
            [diagnostic(row) for row in problems],
            {where(name): [Mark(line, tuple(ids)) for line, ids in rows] for name, rows in marks},
        )
    except (TypeError, ValueError, AttributeError):
        return None
