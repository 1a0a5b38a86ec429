"""The wheel users install carries the rule data and runs without the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_wheel_ships_rule_data_and_catalogs(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("flylint-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for rule in sorted(ROOT.glob("rules/**/*.toml")):
        assert f"flylint/rules_data/{rule.relative_to(ROOT / 'rules').as_posix()}" in names
    assert "flylint/cli.py" in names
