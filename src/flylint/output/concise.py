"""``path:line:col: FLY201 message``, one finding per line: for editors and problem matchers.

Notices (files not linted) are not printed here: the CLI reports them on standard error as
``flylint: warning: PATH: reason``, which no ``path:line:col:`` matcher picks up.
"""

from __future__ import annotations

from flylint.diagnostics import Report
from flylint.output import OutputOptions
from flylint.output.text import printable


def render(report: Report, options: OutputOptions) -> str:
    return "".join(
        f"{printable(d.path.as_posix())}:{d.span.line}:{d.span.column}: "
        f"{d.rule_id} {printable(d.message)}\n"
        for d in report.diagnostics
    )
