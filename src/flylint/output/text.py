"""Human output: findings grouped by file, colour on a terminal, a summary line."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from flylint import data
from flylint.model import Report
from flylint.output import OutputOptions

_COLORS = {"error": "31", "warning": "33", "note": "36", "bold": "1", "dim": "2"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render(report: Report, options: OutputOptions) -> str:
    def paint(text: str, style: str) -> str:
        return f"\x1b[{_COLORS[style]}m{text}\x1b[0m" if options.color else text

    rules = data.rules()
    out: list[str] = []
    for path, group in groupby(report.diagnostics, key=lambda d: d.path):
        findings = list(group)
        out.append(paint(path.as_posix(), "bold"))
        width = max(len(f"{d.span.line}:{d.span.column}") for d in findings)
        for d in findings:
            info = rules[d.rule_id]
            where = f"{d.span.line}:{d.span.column}".rjust(width)
            out.append(
                f"  {paint(where, 'dim')}  {paint(d.rule_id, info.level)}  {d.message}"
                f"  {paint(f'[{info.name}]', 'dim')}"
            )
        out.append("")

    levels = Counter(rules[d.rule_id].level for d in report.diagnostics)
    files = len({d.path for d in report.diagnostics})
    checked = _plural(report.files_checked, "file")
    if report.diagnostics:
        detail = ", ".join(_plural(levels[level], level) for level in data.LEVELS if levels[level])
        summary = (
            f"Found {_plural(len(report.diagnostics), 'problem')} ({detail}) in "
            f"{_plural(files, 'file')} ({checked} checked)."
        )
        out.append(paint(summary, "bold"))
    else:
        out.append(f"No problems found ({checked} checked).")
    if report.baselined:
        out.append(f"{_plural(report.baselined, 'known finding')} in the baseline not shown.")
    if report.notices:
        out.append(f"{_plural(len(report.notices), 'path')} not linted (see the warnings).")
    return "\n".join(out) + "\n"
