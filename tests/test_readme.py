"""The README's Quickstart is what CI runs, and its example shows real findings."""

from __future__ import annotations

import re
from pathlib import Path

from flylint.cli import main

ROOT = Path(__file__).parent.parent


def _quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quickstart_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    commands = _quickstart_commands()
    assert len(commands) == 2
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_quickstart_example_shows_findings(monkeypatch, capsys) -> None:
    example = _quickstart_commands()[0].rsplit("flylint check ", 1)[1]
    monkeypatch.chdir(ROOT)
    assert main(["check", example]) == 1
    out = capsys.readouterr().out
    for rule_id in ("FLY101", "FLY102", "FLY201", "FLY302", "FLY402"):
        assert rule_id in out
