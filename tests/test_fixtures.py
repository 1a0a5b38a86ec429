"""Every fixture directory holding an ``expected.txt`` is linted from inside it, as a
repository of its own (a copy outside this repository), and the concise output must equal
that file byte for byte (so lines, columns, rule ids and messages are all pinned).
``FLYLINT_UPDATE_FIXTURES=1`` rewrites the files; review the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flylint.cli import main
from flylint.registry import rule_data

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(path.parent for path in FIXTURES.rglob("expected.txt"))


def _lint(case: Path, monkeypatch: pytest.MonkeyPatch, capsys, as_repository) -> tuple[int, str]:
    monkeypatch.chdir(as_repository(case))
    code = main(["check", ".", "--format", "concise"])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture_findings(
    case: Path, monkeypatch: pytest.MonkeyPatch, capsys, as_repository
) -> None:
    code, out = _lint(case, monkeypatch, capsys, as_repository)
    expected_file = case / "expected.txt"
    if os.environ.get("FLYLINT_UPDATE_FIXTURES"):
        expected_file.write_text(out, encoding="utf-8")
    expected = expected_file.read_text(encoding="utf-8")
    assert out == expected
    assert code == (1 if expected else 0)


def _expected_rules(case: Path) -> set[str]:
    lines = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    return {line.split(": ", 2)[1].split(" ", 1)[0] for line in lines}


@pytest.mark.parametrize("rule_id", list(rule_data.rules()))
def test_every_rule_has_bad_and_good_fixtures(rule_id: str) -> None:
    cases = [case for case in CASES if case.parent.name == rule_id]
    bad = [case for case in cases if case.name.startswith("bad")]
    good = [case for case in cases if case.name.startswith("good")]
    assert bad, f"no bad fixture for {rule_id}"
    assert all(rule_id in _expected_rules(case) for case in bad)
    if rule_id != "FLY000":  # every valid file is a good example for the parser
        assert good, f"no good fixture for {rule_id}"
        assert all(not (case / "expected.txt").read_text() for case in good)
