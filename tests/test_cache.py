"""The results cache: a warm run prints what a cold run prints, and anything a result
depends on (the file, its app's fly.toml, the Dockerfile, the app's code) invalidates it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parent.parent / "examples" / "storefront"


def flylint(
    cwd: Path, cache: Path, *args: str, importtime: bool = False
) -> subprocess.CompletedProcess[str]:
    python = [sys.executable, "-X", "importtime"] if importtime else [sys.executable]
    return subprocess.run(
        [*python, "-m", "flylint", "check", "--format", "concise", *args],
        cwd=cwd, capture_output=True, text=True, check=False,
        env={**os.environ, "FLYLINT_CACHE_DIR": str(cache)},
    )  # fmt: skip


def imported(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}


@pytest.fixture
def app(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "app")
    return tmp_path / "app"


def test_a_warm_run_prints_the_same_without_parsing_anything(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = flylint(app, cache, ".", importtime=True)
    warm = flylint(app, cache, ".", importtime=True)
    assert cold.returncode == warm.returncode == 1
    assert "FLY401" in cold.stdout and "FLY103" in cold.stdout
    assert warm.stdout == cold.stdout
    assert {"libcst", "dockerfile_parse"} <= imported(cold)
    assert not {"libcst", "dockerfile_parse"} & imported(warm)


def test_editing_the_apps_fly_toml_changes_its_python_findings(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = flylint(app, cache, ".")
    assert "app.py:11:16: FLY401 requests.post calls billing-api over" in before.stdout
    fly_toml = app / "fly.toml"
    # Renamed to the called app, app.py calls the app itself: not a finding any more.
    text = fly_toml.read_text(encoding="utf-8")
    fly_toml.write_text(text.replace('app = "storefront"', 'app = "billing-api"'), "utf-8")
    after = flylint(app, cache, ".")
    assert "app.py:11:16: FLY401" not in after.stdout


def test_the_apps_code_and_dockerfile_invalidate_its_fly_toml(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert "FLY202" in flylint(app, cache, ".").stdout
    (app / "settings.py").write_text("SECURE_HSTS_SECONDS = 63072000\n", encoding="utf-8")
    assert "FLY202" not in flylint(app, cache, ".").stdout

    (app / "fly.toml").write_text(
        'app = "search"\n\n[http_service]\n  internal_port = 8080\n  force_https = true\n',
        encoding="utf-8",
    )
    (app / "Dockerfile").write_text("FROM python:3.12-slim\n", encoding="utf-8")
    assert "FLY301" not in flylint(app, cache, "fly.toml").stdout
    (app / "Dockerfile").write_text("FROM postgres:16\n", encoding="utf-8")
    assert "fly.toml:3:1: FLY301" in flylint(app, cache, "fly.toml").stdout


def test_no_cache_writes_nothing(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = flylint(app, cache, "--no-cache", ".")
    assert result.returncode == 1
    assert not cache.exists()


def test_broken_entries_are_ignored(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = flylint(app, cache, ".")
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert entries
    for number, entry in enumerate(entries):
        entry.write_bytes(b"" if number % 2 else b"\xffnot an entry")
    again = flylint(app, cache, ".")
    assert (again.returncode, again.stdout, again.stderr) == (1, cold.stdout, cold.stderr)


def test_a_cache_dir_that_cannot_be_written_only_costs_speed(app: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache directory should be\n", encoding="utf-8")
    result = flylint(app, blocked, ".")
    assert result.returncode == 1
    assert result.stdout == flylint(app, tmp_path / "cache", "--no-cache", ".").stdout
    assert result.stderr == ""
