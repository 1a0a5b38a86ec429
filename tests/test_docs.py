"""The rule pages under docs/rules are generated from rules/ data and must not drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from flylint.cli import main
from flylint.registry import docs, rule_data

DOCS = Path(__file__).parent.parent / "docs" / "rules"


def test_docs_match_rule_data() -> None:
    generated = docs.pages()
    on_disk = {path.name: path.read_text(encoding="utf-8") for path in DOCS.glob("*.md")}
    assert sorted(on_disk) == sorted(generated), (
        "run `python -m flylint.registry.docs` to regenerate"
    )
    for name, text in generated.items():
        assert on_disk[name] == text, (
            f"docs/rules/{name} is stale: run `python -m flylint.registry.docs`"
        )


@pytest.mark.parametrize("rule_id", list(rule_data.rules()))
def test_rule_command_prints_the_docs_page(rule_id: str, capsys) -> None:
    assert main(["rule", rule_id.lower()]) == 0
    out = capsys.readouterr().out
    page = (DOCS / f"{rule_id}.md").read_text(encoding="utf-8")
    # The page without its first line, the comment that says it is generated.
    assert page.startswith("<!-- Generated") and out == page.split("\n", 1)[1]
    assert out.startswith(f"# {rule_id}: ")


def test_rule_command_lists_every_rule(capsys) -> None:
    assert main(["rule", "--all"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(rule_data.rules())


def test_unknown_rule_is_a_usage_error(capsys) -> None:
    assert main(["rule", "FLY999"]) == 2
    assert "unknown rule 'FLY999'" in capsys.readouterr().err


@pytest.mark.parametrize("info", list(rule_data.rules().values()), ids=lambda info: info.id)
def test_rule_pages_explain_why_and_how(info: rule_data.RuleInfo) -> None:
    page = docs.rule_page(info)
    for heading in ("## What it checks", "## Why is this bad?", "## Example", "## How to fix"):
        assert heading in page
    assert info.docs_url.endswith(f"docs/rules/{info.id}.md")


def test_compiled_rule_data_is_current() -> None:
    snapshot = rule_data._snapshot(rule_data.data_dir())
    sources = rule_data._sources(rule_data.data_dir())
    assert snapshot is not None, "run `python -m flylint.registry.rule_data` to compile rules/"
    assert snapshot == (rule_data._digest(sources), rule_data._parse(sources)), (
        "rules/compiled.marshal is stale: run `python -m flylint.registry.rule_data`"
    )


def test_an_edited_rule_file_wins_over_a_stale_compiled_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    rules = shutil.copytree(rule_data.data_dir(), tmp_path / "rules")
    page = rules / "FLY201.toml"
    page.write_text(page.read_text().replace("HTTP service does not", "Edited:"))
    monkeypatch.setattr(rule_data, "data_dir", lambda: rules)
    assert rule_data._raw.__wrapped__()["FLY201"]["summary"].startswith("Edited:")
    rule_data.compile_snapshot(rules)
    assert rule_data._snapshot(rules)[1]["FLY201"]["summary"].startswith("Edited:")


@pytest.mark.parametrize(
    "info", [i for i in rule_data.rules().values() if i.module], ids=lambda i: i.id
)
def test_rule_data_names_the_facts_its_module_consumes(info: rule_data.RuleInfo) -> None:
    """The engine imports only the modules whose rule data lists facts to gather them: a
    module with FACTS its data does not list would silently see none."""
    import importlib

    module = importlib.import_module(f"flylint.checks.{info.module}")
    assert {p.name for p in getattr(module, "FACTS", ())} == set(info.facts)


def test_readme_fixes_paragraph_matches_rule_data() -> None:
    readme = (DOCS.parent.parent / "README.md").read_text(encoding="utf-8")
    assert docs.README_FIXES[0] in readme
    assert docs.readme(readme, rule_data.rules()) == readme, (
        "the README's fixes paragraph is stale: run `python -m flylint.registry.docs`"
    )
    for rule_id in rule_data.fixable("safe") + rule_data.fixable("unsafe"):
        assert f"[{rule_id}](docs/rules/{rule_id}.md)" in readme
