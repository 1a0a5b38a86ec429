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
    if info.fix_kind == "safe":
        lines += [
            "`flylint check --fix` applies this fix: it is safe, it cannot change what a "
            f"deployed app does. {info.fix_why}",
            "",
        ]
    elif info.fix_kind == "unsafe":
        lines += [
            "This fix is unsafe: it changes what the deployed app does. "
            f"{info.fix_why} `flylint check --fix --unsafe-fixes` applies it; "
            "`flylint check --diff` shows it first.",
            "",
        ]
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


README_FIXES = (
    "<!-- fixes: generated from rules/ by `python -m flylint.registry.docs`; do not edit -->\n",
    "<!-- end of fixes -->\n",
)


def fixes_paragraph(rules: dict[str, RuleInfo]) -> str:
    """What --fix and --unsafe-fixes apply, for the README."""

    def listed(kind: str) -> str:
        return ", ".join(
            f"[{i.id}](docs/rules/{i.id}.md) ({i.name})"
            for i in rules.values()
            if i.fix_kind == kind
        )

    return (
        f"`--fix` applies the safe fixes, which cannot change what an app already deployed "
        f"from the file does: {listed('safe')}. `--fix --unsafe-fixes` also applies the "
        f"unsafe ones, which do change it (each rule's page says how): {listed('unsafe')}.\n"
    )


def readme(text: str, rules: dict[str, RuleInfo]) -> str:
    """The README ``text`` with its generated fixes paragraph brought up to date."""
    start, end = README_FIXES
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}{fixes_paragraph(rules)}{end}{tail}"


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
    readme_path = target.parent.parent / "README.md"  # docs/rules -> the checkout's root
    text = readme_path.read_text(encoding="utf-8")
    if README_FIXES[0] in text:
        readme_path.write_text(readme(text, rule_data.rules()), encoding="utf-8")
        print(f"updated the fixes paragraph of {readme_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
