"""The diagnostic model shared by parsers, rules and outputs.

Small immutable records across flylint are NamedTuples rather than frozen dataclasses:
defining one costs ~0.1 ms instead of ~0.5 ms, and every run defines dozens at start-up.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import NamedTuple


class FileKind(str, enum.Enum):
    FLY_TOML = "fly-toml"
    DOCKERFILE = "dockerfile"
    PYTHON = "python"


class Span(NamedTuple):
    """A region of a file: 1-based lines and columns, ``end_column`` exclusive (as in SARIF).

    Columns count Unicode code points on the physical line.
    """

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def at_line(cls, line: int) -> Span:
        return cls(line, 1, line, 1)


class Edit(NamedTuple):
    """A fix ``flylint check --fix`` applies to a fly.toml: set ``key`` to ``value`` in the
    table at ``table`` (array-of-tables entries by index), creating missing tables."""

    table: tuple[str | int, ...]
    key: str
    value: bool | int | str


class Diagnostic(NamedTuple):
    """One finding. ``message`` never holds a secret value: rules mask them before building it.

    ``anchor`` names the finding's logical place (a TOML key path, an instruction and
    key, ...) so that fingerprints survive unrelated lines moving.
    """

    rule_id: str
    path: Path
    span: Span
    message: str
    anchor: str = ""
    # Set when this finding is surer than its rule usually is (the called app is in the
    # same repository); None means the rule's own precision.
    precision: str | None = None
    fix: Edit | None = None  # the safe, mechanical change that resolves it, if there is one

    def sort_key(self) -> tuple[str, Span, str, str]:
        return (self.path.as_posix(), self.span, self.rule_id, self.message)


class Notice(NamedTuple):
    """Something about the run that is not a finding: a skipped or unreadable file.

    ``error`` notices mean a file the user asked for was not linted (exit code 2).
    """

    path: Path
    message: str
    error: bool = False


class Report:
    __slots__ = ("baselined", "diagnostics", "files_checked", "notices", "suppressed")

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.suppressed: list[Diagnostic] = []  # by inline comments
        self.baselined = 0  # findings hidden because the baseline lists them
        self.notices: list[Notice] = []
        self.files_checked = 0
