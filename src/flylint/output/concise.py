"""``path:line:col: FLY201 [medium] message``, one finding per line, with its confidence
and the other places of its problem (``(also at 30:5)``): for editors and problem
matchers. A file that was not linted is a line of its own, ``path:1:1: why``
(``skipped: ...``).
"""

from __future__ import annotations

from flylint.diagnostics import Diagnostic, Report
from flylint.output import OutputOptions
from flylint.output.text import printable
from flylint.registry.rule_data import confidence_of


def _also(d: Diagnostic) -> str:
    """The other places of the finding's problem, as positions after its message."""
    if not d.related:
        return ""
    return f" (also at {', '.join(f'{r.span.line}:{r.span.column}' for r in d.related)})"


def render(report: Report, options: OutputOptions) -> str:
    return "".join(
        f"{printable(d.path.as_posix())}:{d.span.line}:{d.span.column}: "
        f"{d.rule_id} [{confidence_of(d)}] {printable(d.message)}{_also(d)}\n"
        for d in report.diagnostics
    ) + "".join(
        f"{printable(n.path.as_posix())}:1:1: {printable(n.message)}\n" for n in report.notices
    )
