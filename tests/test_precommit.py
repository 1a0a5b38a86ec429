"""The real pre-commit runs this repository's hook on a throwaway git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which(
    "pre-commit"
)

pytestmark = pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed")


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def try_repo(cwd: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(cwd.parent / "pre-commit-home")}
    return subprocess.run(
        [PRE_COMMIT, "try-repo", str(ROOT), "flylint", "--color", "never", "--files", *files],
        cwd=cwd, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_hook_fails_on_findings_in_changed_files_and_passes_once_fixed(tmp_path: Path) -> None:
    repo = tmp_path / "app"
    (repo / "lib").mkdir(parents=True)
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "ci@example.com")
    git(repo, "config", "user.name", "CI")
    (repo / "fly.toml").write_text(
        'app = "portal"\n\n[[services]]\n  internal_port = 8000\n  protocol = "tcp"\n',
        encoding="utf-8",
    )
    ping = repo / "lib" / "ping.py"
    ping.write_text(
        "import requests\n\n"
        'requests.get("https://portal.fly.dev/healthz")  # the app itself\n'
        'requests.post("https://billing.fly.dev/charges")\n',
        encoding="utf-8",
    )
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "app")

    # Only the changed Python file is passed; the fly.toml above it says it is "portal".
    result = try_repo(repo, "lib/ping.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "lib/ping.py\n  4:1  FLY401  requests.post calls billing over" in result.stdout
    assert result.stdout.count("FLY401") == 1  # not for portal.fly.dev, the app itself

    ping.write_text(
        'import requests\n\nrequests.post("http://billing.internal:8080/charges")\n',
        encoding="utf-8",
    )
    git(repo, "commit", "-qam", "fix")
    result = try_repo(repo, "lib/ping.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_hook_passes_a_dockerfile_of_any_variant_name_and_not_its_ignore_file(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "app"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "fly.toml").write_text(
        'app = "portal"\n\n[build]\n  dockerfile = "Dockerfile-web"\n', encoding="utf-8"
    )
    (repo / "Dockerfile-web").write_text(
        "FROM python:3.12-slim\nENV STRIPE_SECRET_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n",
        encoding="utf-8",
    )
    (repo / "Dockerfile-web.dockerignore").write_text(".env*\n", encoding="utf-8")
    git(repo, "add", ".")
    result = try_repo(repo, "Dockerfile-web", "Dockerfile-web.dockerignore")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Dockerfile-web\n  2:5  FLY103" in result.stdout
    # Had the hook passed the ignore-file, it would be linted as a config: FLY000.
    assert "Dockerfile-web.dockerignore" not in result.stdout
    assert "FLY000" not in result.stdout
