"""The examples in each rule's documentation do what the page says they do."""

from __future__ import annotations

from pathlib import Path

import pytest

from flylint.cli import main
from flylint.registry import rule_data

EXAMPLES = [
    pytest.param(info.id, example, id=f"{info.id}-{example.kind}-{index}")
    for info in rule_data.rules().values()
    for index, example in enumerate(info.examples)
]


@pytest.mark.parametrize(("rule_id", "example"), EXAMPLES)
def test_documented_example(
    rule_id: str,
    example: rule_data.Example,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,
) -> None:
    (tmp_path / example.path).write_text(example.code, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    main(["check", ".", "--format", "concise", "--select", rule_id])
    reported = capsys.readouterr().out
    if example.kind == "bad":
        assert f" {rule_id} " in reported
    else:
        assert reported == ""
