"""The results cache: a warm run prints what a cold run prints, and anything a result
depends on (the file, its app's fly.toml, the Dockerfile, the app's code) invalidates it."""

from __future__ import annotations

import marshal
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flylint import __version__

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
    assert {"libcst", "dockerfile_parse", "tomllib"} <= imported(cold)
    assert not {"libcst", "dockerfile_parse", "tomllib"} & imported(warm)


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


def age(*paths: Path, seconds: int = 3600) -> None:
    """Date files back, out of the window in which a file's stat signature is not trusted."""
    when = time.time_ns() - seconds * 1_000_000_000
    for path in paths:
        os.utime(path, ns=(when, when))


def test_a_warm_pre_commit_run_reads_only_what_changed(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    files = ["fly.toml", "Dockerfile", "app.py"]
    age(*(app / name for name in files))
    cold = flylint(app, cache, *files, importtime=True)
    warm = flylint(app, cache, *files, importtime=True)
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout) == (1, cold.stdout)
    assert "app.py:11:16: FLY401" in warm.stdout
    assert not {"libcst", "dockerfile_parse"} & imported(warm)

    # Same size, mtime restored: the ctime still tells the file changed.
    script = app / "app.py"
    status = script.stat()
    text = script.read_text(encoding="utf-8")
    script.write_text(text.replace("billing-api.fly.dev", "billing-api.flycast"), "utf-8")
    assert script.stat().st_size == status.st_size
    os.utime(script, ns=(status.st_atime_ns, status.st_mtime_ns))
    changed = flylint(app, cache, *files)
    assert changed.stdout == flylint(app, cache, "--no-cache", *files).stdout
    assert "FLY401" not in changed.stdout


def test_touching_a_file_changes_nothing(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = flylint(app, cache, ".")
    (app / "app.py").touch()
    age(app / "Dockerfile")
    for _ in range(2):
        again = flylint(app, cache, ".")
        assert (again.returncode, again.stdout, again.stderr) == (1, cold.stdout, cold.stderr)


def test_a_change_a_coarse_clock_cannot_see_is_still_read(
    app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a filesystem with a coarse clock, a file rewritten in the same tick as it was
    linted keeps its whole stat signature: it was changed too recently to trust it."""
    from flylint.cli import main
    from flylint.engine import cache

    def coarse(status: os.stat_result) -> tuple[int, int, int, int, int]:
        return (status.st_size, status.st_mtime_ns // 10**9 * 10**9, 0, 0, 0)

    monkeypatch.setattr(cache, "signature", coarse)
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "cache"))
    script = app / "app.py"
    text = script.read_text(encoding="utf-8")
    script.write_text(text, encoding="utf-8")  # written just now
    main(["check", "--format", "concise", str(script)])
    assert "FLY401" in capsys.readouterr().out
    mtime = script.stat().st_mtime_ns  # rewritten in the same tick: the same mtime
    script.write_text(text.replace("billing-api.fly.dev", "billing-api.flycast"), "utf-8")
    os.utime(script, ns=(mtime, mtime))
    main(["check", "--format", "concise", str(script)])
    assert "FLY401" not in capsys.readouterr().out


def test_foreign_entries_of_the_right_format_are_misses(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = flylint(app, cache, ".")
    (pack,) = (cache / __version__ / "packs").iterdir()
    tag, folder, entries, documents = marshal.loads(pack.read_bytes())
    foreign = [("a", b"b", "c", ("d",)), (None, "b", 1, None), "entry", (1, 2)]
    rows = {name: foreign[n % len(foreign)] for n, name in enumerate(entries)}
    ((name, (digest, _)),) = documents.items()  # the fly.toml's
    wrong = [(digest, ["a", "list"]), (b"other bytes", {"app": "billing-api"}), "doc", (digest,)]
    for document in wrong:
        pack.write_bytes(marshal.dumps((tag, folder, rows, {name: document})))
        again = flylint(app, cache, ".")
        assert (again.returncode, again.stdout, again.stderr) == (1, cold.stdout, cold.stderr)
    again = flylint(app, cache, ".")
    assert (again.returncode, again.stdout, again.stderr) == (1, cold.stdout, cold.stderr)


def test_a_run_over_some_files_keeps_the_others_cached(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (app / "worker.py").write_text("import requests\n", encoding="utf-8")
    age(*app.iterdir())
    cold = flylint(app, cache, ".")
    (app / "worker.py").write_text("import httpx\n", encoding="utf-8")
    assert flylint(app, cache, "worker.py").returncode == 0
    (app / "requirements.txt").unlink()
    warm = flylint(app, cache, ".", importtime=True)
    assert (warm.returncode, warm.stdout) == (1, cold.stdout)
    assert not {"libcst", "dockerfile_parse"} & imported(warm)


def test_concurrent_runs_do_not_corrupt_the_cache(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    expected = flylint(app, cache, "--no-cache", ".")
    command = [sys.executable, "-m", "flylint", "check", "--format", "concise", "."]
    env = {**os.environ, "FLYLINT_CACHE_DIR": str(cache)}
    runs = [
        subprocess.Popen(command, cwd=app, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    assert [run.communicate()[0] for run in runs] == [expected.stdout] * 4
    assert flylint(app, cache, ".").stdout == expected.stdout


def test_a_fly_toml_with_a_date_is_parsed_again_and_the_rest_stays_cached(
    app: Path, tmp_path: Path
) -> None:
    """marshal cannot hold a TOML date: that document is not kept, and nothing else is lost."""
    cache = tmp_path / "cache"
    fly_toml = app / "fly.toml"
    text = fly_toml.read_text(encoding="utf-8")
    fly_toml.write_text(text.replace("[env]\n", "[env]\n  RELEASED = 2026-11-23\n"), "utf-8")
    age(*app.iterdir())
    cold = flylint(app, cache, ".", importtime=True)
    warm = flylint(app, cache, ".", importtime=True)
    assert (warm.returncode, warm.stdout) == (1, cold.stdout)
    assert "app.py:11:16: FLY401" in warm.stdout
    assert "tomllib" in imported(warm)
    assert not {"libcst", "dockerfile_parse"} & imported(warm)
