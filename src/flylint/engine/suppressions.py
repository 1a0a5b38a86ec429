"""Inline suppressions: ``# flylint: ignore[FLY201, FLY202]`` on the finding's line or on
a comment line just above it, in fly.toml, Dockerfiles and Python alike.

A suppression that names no rule, or an unknown one, is itself reported (FLY003): a
blanket ignore hides findings nobody has looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from flylint.diagnostics import Diagnostic, Span
from flylint.support.lazy_regex import Regex
from flylint.support.records import Record

BAD_SUPPRESSION = "FLY003"
_COMMENT = Regex(r"#\s*flylint:\s*ignore\b(?:\[(?P<ids>[^\]\n]*)\])?", re.IGNORECASE)
_RULE_ID = Regex(r"^FLY\d{3}$")
_ECHOED = Regex(r"^[A-Z0-9]{1,8}$")  # a mistyped id (FLY21, FLY4O1), not a pasted value


class Mark(Record):
    __slots__ = ("line", "rule_ids")

    def __init__(self, line: int, rule_ids: tuple[str, ...]) -> None:
        self.line = line  # the line it applies to
        self.rule_ids = rule_ids


def scan(path: Path, text: str, known: Iterable[str]) -> tuple[list[Mark], list[Diagnostic]]:
    """The file's suppression comments, and FLY003 for the bad ones."""
    found: list[Mark] = []
    problems: list[Diagnostic] = []
    if "flylint" not in text:
        return found, problems
    known = set(known)
    for number, line in enumerate(text.split("\n"), start=1):
        if "flylint" not in line:
            continue
        match = _COMMENT.search(line)
        if match is None:
            continue
        span = Span(number, match.start() + 1, number, match.end() + 1)
        ids = [part.strip().upper() for part in (match["ids"] or "").split(",") if part.strip()]
        if not ids:
            problems.append(
                Diagnostic(
                    BAD_SUPPRESSION,
                    path,
                    span,
                    "flylint: ignore without rule ids hides every finding here: name them, "
                    "e.g. # flylint: ignore[FLY201]",
                    f"bare:{number}",
                )
            )
            continue
        unknown = [i for i in ids if not _RULE_ID.match(i) or i not in known]
        if unknown:
            # Only what looks like a rule id is quoted: the comment's text is the user's
            # (a key pasted in the wrong place is still a key).
            named = [i if _ECHOED.match(i) else "(not a rule id)" for i in unknown]
            problems.append(
                Diagnostic(
                    BAD_SUPPRESSION,
                    path,
                    span,
                    f"unknown rule {', '.join(named)} in flylint: ignore (see flylint rule --all)",
                    f"unknown:{','.join(named)}",
                )
            )
        # A trailing comment covers its own line; a comment alone on its line, the next.
        trailing = bool(line[: match.start()].strip())
        # Only the ids of rules: nothing else can be suppressed, and the marks are cached.
        rules = tuple(i for i in ids if i not in unknown)
        found.append(Mark(number if trailing else number + 1, rules))
    return found, problems


def apply(
    diagnostics: list[Diagnostic], marks: dict[Path, list[Mark]]
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Split diagnostics into (kept, suppressed) by the marks of the file each is in."""
    kept: list[Diagnostic] = []
    suppressed: list[Diagnostic] = []
    for diagnostic in diagnostics:
        marks_here = marks.get(diagnostic.path, ())
        if any(
            m.line == diagnostic.span.line and diagnostic.rule_id in m.rule_ids for m in marks_here
        ):
            suppressed.append(diagnostic)
        else:
            kept.append(diagnostic)
    return kept, suppressed
