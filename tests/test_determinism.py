"""The same input gives byte-identical output, whatever the process's hash seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flylint.engine.run import PARALLEL_MIN_FILES

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("fmt", ["concise", "json", "sarif", "text"])
def test_output_is_byte_identical_across_runs(fmt: str) -> None:
    outputs = set()
    for seed in ("0", "1", "12345"):
        result = subprocess.run(
            [sys.executable, "-m", "flylint", "check", "tests/fixtures", "examples",
             "--format", fmt],
            cwd=ROOT, capture_output=True, check=False,
            env={**os.environ, "PYTHONHASHSEED": seed, "NO_COLOR": "1"},
        )  # fmt: skip
        assert result.returncode == 1
        outputs.add(result.stdout)
    assert len(outputs) == 1


def _many_files(root: Path) -> Path:
    """Enough Dockerfiles and Python files for the workers to start (PARALLEL_MIN_FILES)."""
    sources = [p for p in (ROOT / "tests" / "fixtures").rglob("*") if p.is_file()]
    linted = [p for p in sources if p.suffix == ".py" or p.name.startswith("Dockerfile")]
    copies = 0
    while copies < PARALLEL_MIN_FILES + 50:
        for source in linted:
            target = root / f"copy{copies}" / source.relative_to(ROOT / "tests" / "fixtures")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            copies += 1
    return root


@pytest.mark.parametrize("fmt", ["concise", "sarif"])
def test_output_is_byte_identical_across_job_counts(fmt: str, tmp_path: Path) -> None:
    tree = _many_files(tmp_path / "tree")
    outputs = set()
    for jobs in ("1", "2", "3"):
        result = subprocess.run(
            [sys.executable, "-m", "flylint", "check", ".", "--no-cache", "-j", jobs,
             "--format", fmt],
            cwd=tree, capture_output=True, check=False, env={**os.environ, "NO_COLOR": "1"},
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1
