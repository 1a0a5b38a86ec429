"""GitHub's own ingestion rules, checked by the official SARIF Multitool (npm package
@microsoft/sarif-multitool). CI installs it (see .ci/run) and points
FLYLINT_SARIF_MULTITOOL at it; elsewhere the test runs when the tool is on PATH."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from flylint.cli import main

ROOT = Path(__file__).parent.parent
TOOL = os.environ.get("FLYLINT_SARIF_MULTITOOL") or shutil.which("sarif-multitool")

pytestmark = pytest.mark.skipif(TOOL is None, reason="SARIF Multitool is not installed")


def test_sarif_passes_githubs_ingestion_rules(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "fly.toml").write_text("<<<<<<< HEAD\n", encoding="utf-8")
    monkeypatch.chdir(ROOT)
    log = tmp_path / "flylint.sarif"
    # Findings of every kind, suppressed ones, and a parse error (a tool notification).
    main(["check", "examples", "tests/fixtures/suppressions", "tests/fixtures/python/monorepo",
          str(tmp_path / "broken"), "--format", "sarif", "--output", str(log)])  # fmt: skip
    assert json.loads(log.read_text(encoding="utf-8"))["runs"][0]["results"]
    report = tmp_path / "validation.sarif"
    completed = subprocess.run(
        # The launcher runs through a shell: the ";" list needs its own quotes.
        [TOOL, "validate", str(log), "--rule-kind", '"Sarif;Gh"', "-o", str(report),
         "--log", "ForceOverwrite"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    problems = json.loads(report.read_text(encoding="utf-8"))["runs"][0].get("results", [])
    assert [(p["ruleId"], p["message"]) for p in problems] == []
