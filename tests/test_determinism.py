"""The same input gives byte-identical output, whatever the process's hash seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
