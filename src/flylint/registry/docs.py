"""Rule documentation pages, generated from ``rules/`` data.

``python -m flylint.registry.docs`` rewrites ``docs/rules/``; a test fails when the pages drift.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flylint.diagnostics import FileKind
from flylint.registry import rule_data
from flylint.registry.rule_data import RuleInfo

_FILE_LABELS = {"fly-toml": "fly.toml", "dockerfile": "Dockerfile", "python": "Python"}


def _severity_band(score: float) -> str:
    # GitHub code scanning's bands for security-severity.
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low"


def _language(path: str) -> str:
    if path.endswith(".py"):
        return "python"
    if path.endswith(".toml"):
        return "toml"
    return "dockerfile"


def rule_page(info: RuleInfo) -> str:
    files = ", ".join(_FILE_LABELS[kind.value] for kind in info.files)
    lines = [
        f"<!-- Generated from rules/{info.id}.toml by `python -m flylint.registry.docs`. "
        "Do not edit. -->",
        f"# {info.id}: {info.name}",
        "",
        f"**{info.summary}.**",
        "",
        "| level | security severity | precision | files |",
        "|---|---|---|---|",
        f"| {info.level} | {info.security_severity:.1f} ({_severity_band(info.security_severity)}) "
        f"| {info.precision} | {files} |",
        "",
        "## What it checks",
        "",
        info.description,
        "",
        "## Why is this bad?",
        "",
        info.rationale,
        "",
        "## Confidence",
        "",
        "Each finding is of `high`, `medium` or `low` confidence, from the evidence for it "
        "(see [output formats](../output-formats.md)); output shows medium and up unless "
        f"`--min-confidence` says otherwise. Without other evidence: `{info.confidence}`.",
        "",
        *(f"- **{level}**: {text}" for level, text in info.confidence_evidence),
        "",
    ]
    for kind, heading in (("bad", "## Example"), ("good", "## Fixed")):
        examples = [e for e in info.examples if e.kind == kind]
        if not examples:
            continue
        lines += [heading, ""]
        for example in examples:
            lines += [f"`{example.path}`:", "", f"```{_language(example.path)}"]
            lines += [example.code.rstrip("\n"), "```", ""]
    lines += ["## How to fix", "", info.fix, ""]
    comment = f"`# flylint: ignore[{info.id}]`"
    if info.files == (FileKind.DOCKERFILE,):
        # Docker reads a trailing "#" as part of the instruction, not as a comment.
        where = f"Add {comment} alone on the line above the finding's line"
    else:
        where = f"Add {comment} at the end of the finding's line, or alone on the line above it"
    lines += [
        "## Suppressing",
        "",
        f"{where}; run with `--ignore {info.id}` to turn the rule off for a run.",
        "",
    ]
    if info.references:
        lines += ["## References", ""]
        lines += [f"- <{url}>" for url in info.references]
        lines.append("")
    return "\n".join(lines)


def index_page(rules: dict[str, RuleInfo]) -> str:
    lines = [
        "<!-- Generated from rules/ by `python -m flylint.registry.docs`. Do not edit. -->",
        "# Rules",
        "",
        "| id | name | files | level | summary |",
        "|---|---|---|---|---|",
    ]
    for info in rules.values():
        files = ", ".join(_FILE_LABELS[kind.value] for kind in info.files)
        lines.append(
            f"| [{info.id}]({info.id}.md) | {info.name} | {files} | {info.level} | {info.summary} |"
        )
    lines.append("")
    return "\n".join(lines)


def pages() -> dict[str, str]:
    """Every generated page by file name under ``docs/rules/``."""
    rules = rule_data.rules()
    generated = {f"{info.id}.md": rule_page(info) for info in rules.values()}
    generated["README.md"] = index_page(rules)
    return generated


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path("docs/rules")
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.glob("FLY*.md"):
        stale.unlink()
    for name, text in pages().items():
        (target / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(pages())} pages to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
