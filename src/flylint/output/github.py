"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request."""

from __future__ import annotations

from flylint.diagnostics import Report
from flylint.output import OutputOptions, escape_surrogates
from flylint.registry import rule_data

_COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, options: OutputOptions) -> str:
    rules = rule_data.rules()
    lines = []
    for d in report.diagnostics:
        info = rules[d.rule_id]
        span = d.span
        properties = [
            f"file={_property(escape_surrogates(d.path.as_posix()))}",
            f"line={span.line}",
            f"col={span.column}",
            f"endLine={span.end_line}",
        ]
        if span.end_column > span.column or span.end_line > span.line:
            properties.append(f"endColumn={span.end_column}")
        title = f"{d.rule_id} ({info.name}, {rule_data.confidence_of(d)} confidence)"
        properties.append(f"title={_property(title)}")
        lines.append(f"::{_COMMANDS[info.level]} {','.join(properties)}::{_data(d.message)}\n")
    for notice in report.notices:  # a file not linted is an annotation too
        where = f"file={_property(escape_surrogates(notice.path.as_posix()))}"
        title = _property("flylint: not linted")
        command = "error" if notice.error else "warning"
        lines.append(f"::{command} {where},title={title}::{_data(notice.message)}\n")
    return "".join(lines)
