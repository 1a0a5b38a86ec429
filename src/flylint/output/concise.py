"""``path:line:col: FLY201 message``, one finding per line: for editors and problem matchers."""

from __future__ import annotations

from flylint.model import Report
from flylint.output import OutputOptions


def render(report: Report, options: OutputOptions) -> str:
    return "".join(
        f"{d.path.as_posix()}:{d.span.line}:{d.span.column}: {d.rule_id} {d.message}\n"
        for d in report.diagnostics
    )
