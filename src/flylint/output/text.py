"""Human output: findings grouped by file, colour on a terminal, a summary line."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

from flylint.diagnostics import Report
from flylint.output import OutputOptions
from flylint.registry import rule_data

_COLORS = {"error": "31", "warning": "33", "note": "36", "bold": "1", "dim": "2"}


def printable(text: str) -> str:
    """``text`` with control and format characters written as escapes (``\\n``, ``\\x1b``).

    A quoted TOML key or a file name can hold a newline, a terminal escape sequence or a
    bidirectional override: none may split a finding's line or reach the terminal raw.
    """
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render(report: Report, options: OutputOptions) -> str:
    def paint(text: str, style: str) -> str:
        return f"\x1b[{_COLORS[style]}m{text}\x1b[0m" if options.color else text

    rules = rule_data.rules()
    out: list[str] = []
    for path, group in groupby(report.diagnostics, key=lambda d: d.path):
        findings = list(group)
        out.append(paint(printable(path.as_posix()), "bold"))
        width = max(len(f"{d.span.line}:{d.span.column}") for d in findings)
        for d in findings:
            info = rules[d.rule_id]
            where = f"{d.span.line}:{d.span.column}".rjust(width)
            confidence = f"{rule_data.confidence_of(d)} confidence"
            out.append(
                f"  {paint(where, 'dim')}  {paint(d.rule_id, info.level)}  {printable(d.message)}"
                f"  [{paint(info.name, 'dim')}, {paint(info.level, info.level)}, "
                f"{paint(confidence, 'dim')}]"
            )
            # The other places of the same problem, under it.
            out += [
                f"  {' ' * width}  {paint('also', 'dim')} "
                f"{paint(f'{r.span.line}:{r.span.column}', 'dim')}  {printable(r.message)}"
                for r in d.related
            ]
        out.append("")

    levels = Counter(rules[d.rule_id].level for d in report.diagnostics)
    files = len({d.path for d in report.diagnostics})
    checked = _plural(report.files_checked, "file")
    if report.diagnostics:
        detail = ", ".join(
            _plural(levels[level], level) for level in rule_data.LEVELS if levels[level]
        )
        summary = (
            f"Found {_plural(len(report.diagnostics), 'problem')} ({detail}) in "
            f"{_plural(files, 'file')} ({checked} checked)."
        )
        out.append(paint(summary, "bold"))
    elif any(notice.error for notice in report.notices):
        failed = _plural(sum(notice.error for notice in report.notices), "path")
        out.append(
            f"{failed} could not be linted (below); nothing found in the rest ({checked} checked)."
        )
    elif report.notices:
        out.append(f"No problems found in what was checked ({checked}).")
    else:
        out.append(f"No problems found ({checked} checked).")
    if report.baselined:
        out.append(f"{_plural(report.baselined, 'known finding')} in the baseline not shown.")
    if report.below_confidence:
        hidden = _plural(report.below_confidence, "finding")
        out.append(f"{hidden} of lower confidence not shown (`--min-confidence low` shows them).")
    if report.notices:
        out.append(paint(f"{_plural(len(report.notices), 'path')} not linted:", "bold"))
        out += [
            f"  {printable(notice.path.as_posix())}: {printable(notice.message)}"
            for notice in report.notices
        ]
    return "\n".join(out) + "\n"
