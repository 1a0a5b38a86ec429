"""Markdown for bench/run.py: one table per corpus, and the targets with pass or fail."""

from __future__ import annotations

from dataclasses import dataclass, field

from measure import Sample


@dataclass
class Row:
    what: str
    sample: Sample | None  # None: not run, ``missing`` says why
    ratio: str = ""
    missing: str = ""


@dataclass
class Section:
    title: str
    intro: str
    rows: list[Row] = field(default_factory=list)
    after: list[str] = field(default_factory=list)  # markdown below the table


@dataclass(frozen=True)
class Target:
    goal: str
    figure: str
    passed: bool | None  # None: not measured in this run


def versus(flylint: Sample | None, other: Sample | None, name: str) -> str:
    """``flylint/NAME = r`` from the medians, with how many times faster flylint is."""
    if flylint is None or other is None:
        return ""
    ratio = flylint.median / other.median
    faster = f" (flylint {1 / ratio:.1f}x faster)" if ratio < 1 else ""
    return f"flylint/{name} = {ratio:.2f}{faster}"


def times(sample: Sample | None, other: Sample | None, of: str) -> str:
    """``r x OF``: this row's median over ``other``'s."""
    if sample is None or other is None:
        return ""
    return f"{sample.median / other.median:.2f}x {of}"


def speedup(slow: Sample | None, fast: Sample | None, than: str) -> str:
    """``r x faster than THAN`` (or slower) from the medians."""
    if slow is None or fast is None:
        return ""
    ratio = slow.median / fast.median
    if ratio < 1:
        return f"{1 / ratio:.2f}x slower than {than}"
    return f"{ratio:.2f}x faster than {than}"


def _cells(row: Row) -> str:
    if row.sample is None:
        return f"| {row.what} | | | | {row.missing} |"
    sample, rss = row.sample, row.sample.peak_rss_mb
    return (
        f"| {row.what} | {sample.best * 1000:.1f} | {sample.median * 1000:.1f} "
        f"| {'?' if rss is None else f'{rss:.0f}'} | {row.ratio} |"
    )


def section_lines(section: Section) -> list[str]:
    lines = [f"## {section.title}", "", section.intro, ""]
    if section.rows:
        lines += [
            "| what | best ms | median ms | peak RSS MB | ratio (medians) |",
            "|---|---:|---:|---:|---|",
        ]
        lines += [_cells(row) for row in section.rows]
        lines.append("")
    if section.after:
        lines += [*section.after, ""]
    return lines


def targets_lines(targets: list[Target]) -> list[str]:
    status = {True: "**pass**", False: "**FAIL**", None: "not measured"}
    lines = ["## Against the targets", "", "| target | figure | result |", "|---|---|---|"]
    lines += [f"| {t.goal} | {t.figure} | {status[t.passed]} |" for t in targets]
    return [*lines, ""]
