"""What linting one file yields, and its plain-data form for the cache."""

from __future__ import annotations

from pathlib import Path

from flylint.diagnostics import Diagnostic, Edit, Span
from flylint.engine.suppressions import Mark
from flylint.repository.apps import HstsSetting
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class FileResult(Record):
    __slots__ = ("diagnostics", "hsts", "marks", "path", "problems")

    def __init__(
        self,
        path: Path,
        diagnostics: list[Diagnostic],
        problems: list[Diagnostic],
        marks: list[Mark],
        hsts: list[HstsSetting],
    ) -> None:
        self.path = path  # as the user named it
        self.diagnostics = diagnostics  # FLY000 and the rules' findings, before suppressions
        self.problems = problems  # FLY003: bad suppression comments (never suppressed)
        self.marks = marks  # the lines its suppression comments cover
        self.hsts = hsts  # HSTS the file's code sets, for its app's fly.toml rules


def _diagnostic(d: Diagnostic) -> tuple:
    fix = (d.fix.table, d.fix.key, d.fix.value) if d.fix else None
    return (d.rule_id, str(d.path), tuple(d.span), d.message, d.anchor, d.precision, fix)


def encode(result: FileResult) -> tuple:
    """Only built-in types, for ``marshal``."""
    return (
        str(result.path),
        [_diagnostic(d) for d in result.diagnostics],
        [_diagnostic(d) for d in result.problems],
        [tuple(mark) for mark in result.marks],
        [(str(h.path), tuple(h.span), h.max_age, h.label) for h in result.hsts],
    )


def decode(raw: Any, path: Path) -> FileResult | None:
    """The FileResult ``encode`` made of the file at ``path``, or None for anything else (a
    foreign entry)."""
    try:
        named, diagnostics, problems, marks, hsts = raw
        if named != str(path):
            return None
        paths: dict[str, Path] = {named: path}

        def diagnostic(row: tuple) -> Diagnostic:
            rule_id, name, span, message, anchor, precision, fix = row
            where = paths.get(name) or paths.setdefault(name, Path(name))
            edit = Edit(tuple(fix[0]), fix[1], fix[2]) if fix else None
            return Diagnostic(rule_id, where, Span(*span), message, anchor, precision, edit)

        return FileResult(
            path,
            [diagnostic(row) for row in diagnostics],
            [diagnostic(row) for row in problems],
            [Mark(line, tuple(ids)) for line, ids in marks],
            [HstsSetting(Path(p), Span(*s), age, label) for p, s, age, label in hsts],
        )
    except (TypeError, ValueError):
        return None
