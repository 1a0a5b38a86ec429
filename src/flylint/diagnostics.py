"""The diagnostic model shared by parsers, rules and outputs (records: see records.py)."""

from __future__ import annotations

import enum
from pathlib import Path

from flylint.detectors.masking import redact
from flylint.support.records import Record


class FileKind(str, enum.Enum):
    FLY_TOML = "fly-toml"
    DOCKERFILE = "dockerfile"
    PYTHON = "python"


class Span(Record):
    """A region of a file: 1-based lines and columns, ``end_column`` exclusive (as in SARIF).

    Columns count Unicode code points on the physical line.
    """

    __slots__ = ("column", "end_column", "end_line", "line")

    def __init__(self, line: int, column: int, end_line: int, end_column: int) -> None:
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column

    @classmethod
    def at_line(cls, line: int) -> Span:
        return cls(line, 1, line, 1)


class Edit(Record):
    """A fix ``flylint check --fix`` applies to a fly.toml: set ``key`` to ``value`` in the
    table at ``table`` (array-of-tables entries by index), creating missing tables."""

    __slots__ = ("key", "table", "value")

    def __init__(self, table: tuple[str | int, ...], key: str, value: bool | int | str) -> None:
        self.table = table
        self.key = key
        self.value = value


class Related(Record):
    """Another place in a finding's file that is part of its problem, and what it is."""

    __slots__ = ("message", "span")

    def __init__(self, span: Span, message: str) -> None:
        self.span = span
        self.message = redact(message)


class Diagnostic(Record):
    """One finding. ``message`` never holds a secret value: rules mask the values they
    report, and whatever else the message or the anchor quotes (a key, a comment, a name)
    is passed through ``masking.redact`` here, where every finding is made.

    ``anchor`` names the finding's logical place (a TOML key path, an instruction and
    key, ...) so that fingerprints survive unrelated lines moving.
    """

    __slots__ = ("anchor", "confidence", "fix", "message", "path", "related", "rule_id", "span")

    def __init__(
        self,
        rule_id: str,
        path: Path,
        span: Span,
        message: str,
        anchor: str = "",
        confidence: str | None = None,
        fix: Edit | None = None,
        related: tuple[Related, ...] = (),
    ) -> None:
        self.rule_id = rule_id
        self.path = path
        self.span = span
        self.message = redact(message)
        self.anchor = redact(anchor)
        # "high", "medium" or "low", as the evidence for this finding decided; None: the
        # rule's usual confidence (``rule_data.confidence_of``).
        self.confidence = confidence
        self.fix = fix  # the change that resolves it, if there is one (safe or not: its rule's)
        # Other places in the same file that are part of the same problem (the other ports
        # of a database app, the other calls through one URL constant): one problem, one
        # finding, its other places listed.
        self.related = related

    def sort_key(self) -> tuple[str, Span, str, str]:
        return (self.path.as_posix(), self.span, self.rule_id, self.message)


class Notice(Record):
    """Something about the run that is not a finding: a skipped or unreadable file.

    ``error`` notices mean a file the user asked for was not linted (exit code 2).
    """

    __slots__ = ("error", "message", "path")

    def __init__(self, path: Path, message: str, error: bool = False) -> None:
        self.path = path
        self.message = redact(message)
        self.error = error


class Report:
    __slots__ = (
        "baselined",
        "below_confidence",
        "diagnostics",
        "files_checked",
        "notices",
        "passing",
        "suppressed",
    )

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.suppressed: list[Diagnostic] = []  # by inline comments
        self.baselined = 0  # findings hidden because the baseline lists them
        self.below_confidence = 0  # findings hidden by --min-confidence / min-confidence
        self.notices: list[Notice] = []
        self.files_checked = 0
        # Findings shown that do not fail the run: below the fail-on level of the
        # configuration of their file.
        self.passing: set[Diagnostic] = set()
