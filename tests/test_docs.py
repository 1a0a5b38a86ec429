"""The rule pages under docs/rules are generated from rules/ data and must not drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from flylint import data, docs
from flylint.cli import main

DOCS = Path(__file__).parent.parent / "docs" / "rules"


def test_docs_match_rule_data() -> None:
    generated = docs.pages()
    on_disk = {path.name: path.read_text(encoding="utf-8") for path in DOCS.glob("*.md")}
    assert sorted(on_disk) == sorted(generated), "run `python -m flylint.docs` to regenerate"
    for name, text in generated.items():
        assert on_disk[name] == text, f"docs/rules/{name} is stale: run `python -m flylint.docs`"


@pytest.mark.parametrize("rule_id", list(data.rules()))
def test_rule_command_prints_the_docs_page(rule_id: str, capsys) -> None:
    assert main(["rule", rule_id.lower()]) == 0
    assert capsys.readouterr().out == (DOCS / f"{rule_id}.md").read_text(encoding="utf-8")


def test_rule_command_lists_every_rule(capsys) -> None:
    assert main(["rule", "--all"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(data.rules())


def test_unknown_rule_is_a_usage_error(capsys) -> None:
    assert main(["rule", "FLY999"]) == 2
    assert "unknown rule 'FLY999'" in capsys.readouterr().err


@pytest.mark.parametrize("info", list(data.rules().values()), ids=lambda info: info.id)
def test_rule_pages_explain_why_and_how(info: data.RuleInfo) -> None:
    page = docs.rule_page(info)
    for heading in ("## What it checks", "## Why is this bad?", "## Example", "## How to fix"):
        assert heading in page
    assert info.docs_url.endswith(f"docs/rules/{info.id}.md")


def test_compiled_rule_data_is_current() -> None:
    snapshot = data._snapshot(data.data_dir())
    sources = data._sources(data.data_dir())
    assert snapshot is not None, "run `python -m flylint.data` to compile rules/"
    assert snapshot == (data._digest(sources), data._parse(sources)), (
        "rules/compiled.marshal is stale: run `python -m flylint.data`"
    )


def test_an_edited_rule_file_wins_over_a_stale_compiled_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    rules = shutil.copytree(data.data_dir(), tmp_path / "rules")
    page = rules / "FLY201.toml"
    page.write_text(page.read_text().replace("HTTP service does not", "Edited:"))
    monkeypatch.setattr(data, "data_dir", lambda: rules)
    assert data._raw.__wrapped__()["FLY201"]["summary"].startswith("Edited:")
    data.compile_snapshot(rules)
    assert data._snapshot(rules)[1]["FLY201"]["summary"].startswith("Edited:")
