"""Inline suppressions: ``# flylint: ignore[FLY201, FLY202]`` on the finding's line or on
a comment line just above it, in fly.toml, Dockerfiles and Python alike.

A suppression that names no rule, or an unknown one, is itself reported (FLY003): a
blanket ignore hides findings nobody has looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flylint.model import Diagnostic, Span

BAD_SUPPRESSION = "FLY003"
_COMMENT = re.compile(r"#\s*flylint:\s*ignore\b(?:\[(?P<ids>[^\]\n]*)\])?", re.IGNORECASE)
_RULE_ID = re.compile(r"^FLY\d{3}$")


@dataclass(frozen=True, slots=True)
class _Suppression:
    line: int  # the line it applies to
    rule_ids: frozenset[str]


def _scan(
    path: Path, text: str, known: Iterable[str]
) -> tuple[list[_Suppression], list[Diagnostic]]:
    known = set(known)
    found: list[_Suppression] = []
    problems: list[Diagnostic] = []
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
            problems.append(
                Diagnostic(
                    BAD_SUPPRESSION,
                    path,
                    span,
                    f"unknown rule {', '.join(unknown)} in flylint: ignore "
                    "(see flylint rule --all)",
                    f"unknown:{','.join(unknown)}",
                )
            )
        # A trailing comment covers its own line; a comment alone on its line, the next.
        trailing = bool(line[: match.start()].strip())
        found.append(_Suppression(number if trailing else number + 1, frozenset(ids)))
    return found, problems


def apply(
    diagnostics: list[Diagnostic], texts: dict[Path, str], known: Iterable[str]
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Split diagnostics into (kept, suppressed), adding FLY003 for bad suppressions."""
    kept: list[Diagnostic] = []
    suppressed: list[Diagnostic] = []
    rules = set(known)
    by_path: dict[Path, list[_Suppression]] = {}
    for path, text in texts.items():
        found, problems = _scan(path, text, rules)
        by_path[path] = found
        kept.extend(problems)
    for diagnostic in diagnostics:
        marks = by_path.get(diagnostic.path, ())
        if any(m.line == diagnostic.span.line and diagnostic.rule_id in m.rule_ids for m in marks):
            suppressed.append(diagnostic)
        else:
            kept.append(diagnostic)
    return kept, suppressed
