"""``--stdin-filename``: an editor's unsaved buffer, linted as if it were that file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PASSWORD = "summer-Rain-77"


def flylint(cwd: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flylint", "check", "--format", "concise", *args],
        input=stdin, capture_output=True, text=True, cwd=cwd, check=False,
    )  # fmt: skip


def test_buffer_is_linted_instead_of_the_file_on_disk(tmp_path: Path) -> None:
    (tmp_path / "fly.toml").write_text('[env]\n  A = "1"\n', encoding="utf-8")
    buffer = f'app = "web"\n\n[env]\n  SMTP_PASSWORD = "{PASSWORD}"\n'
    result = flylint(tmp_path, buffer, "--stdin-filename", "fly.toml")
    assert result.returncode == 1
    assert result.stdout.startswith("fly.toml:4:3: FLY101 ")
    assert PASSWORD not in result.stdout


def test_buffer_belongs_to_the_app_of_the_fly_toml_above_it(tmp_path: Path) -> None:
    (tmp_path / "fly.toml").write_text('app = "portal"\n', encoding="utf-8")
    (tmp_path / "lib").mkdir()
    own = 'import requests\nrequests.get("https://portal.fly.dev/x")\n'
    other = 'import requests\nrequests.get("https://billing.fly.dev/x")\n'
    assert flylint(tmp_path, own, "--stdin-filename", "lib/ping.py").stdout == ""
    result = flylint(tmp_path, other, "--stdin-filename", "lib/ping.py")
    assert result.stdout.startswith("lib/ping.py:2:1: FLY401 ")
    # The fly.toml given as context is not itself linted.
    assert "fly.toml" not in result.stdout


def test_dockerfile_buffer_and_unsaved_new_file(tmp_path: Path) -> None:
    result = flylint(tmp_path, f"FROM python\nENV SMTP_PASSWORD={PASSWORD}\n",
                     "--stdin-filename", "new/Dockerfile")  # fmt: skip
    assert result.stdout.startswith("new/Dockerfile:2:5: FLY103 ")


def test_paths_and_stdin_together_are_a_usage_error(tmp_path: Path) -> None:
    result = flylint(tmp_path, "", "--stdin-filename", "fly.toml", ".")
    assert result.returncode == 2
    assert "pass no PATH" in result.stderr
