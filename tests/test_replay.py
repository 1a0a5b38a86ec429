"""A run replayed: ``flylint check`` again, as before, over an unchanged tree prints what it
printed and exits as it exited; any change to what the first run looked at (a file edited,
added, removed, renamed; a configuration or .gitignore created; another environment or
working directory) makes the next run lint again."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from flylint.cli import main
from flylint.engine import cache, replay, sealed

ARGV = ["check", "--format", "concise", "."]

FILES = {
    ".gitignore": "ignored/\n*.log\n",
    "fly.toml": 'app = "shop"\n[build]\n  dockerfile = "Dockerfile.web"\n'
    "[http_service]\n  internal_port = 8000\n  force_https = false\n",
    "fly.staging.toml": 'app = "shop-staging"\n[http_service]\n  internal_port = 8000\n',
    "Dockerfile.web": "FROM python:3.12-slim\n"
    "ENV API_TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyz\n",
    "Dockerfile": "FROM python:3.12-slim\n",
    "README.md": "Deploy with `fly deploy`; the shop answers on shop.example.com.\n",
    "shop/__init__.py": "",
    "shop/settings.py": 'ALLOWED_HOSTS = ["shop.example.com"]\nSECURE_HSTS_SECONDS = 0\n',
    "shop/client.py": 'import httpx\n\nBILLING = "https://billing.fly.dev/charge"\n'
    "httpx.post(BILLING)\n",
    "billing/fly.toml": 'app = "billing"\n[http_service]\n  internal_port = 8080\n'
    "  force_https = true\n",
    "billing/Dockerfile": 'FROM python:3.12-slim\nCMD ["python", "main.py"]\n',
    "billing/main.py": 'DATABASE_URL = "postgres://app:hunter2hunter2@db.example.com:5432/app"\n',
    "ignored/leak.py": 'TOKEN = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"\n',
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Path]:
    """Fresh copies of one repository, each older than the cache's racy window (a run
    over files changed just now is never kept): all made at once, then one wait."""
    made: list[Path] = []
    base = tmp_path_factory.mktemp("replay")
    for n in range(len(CHANGES) + 12):
        root = base / f"repository-{n}"
        (root / ".git").mkdir(parents=True)
        _write(root, FILES)
        made.append(root)
    time.sleep(replay.RACY_NS / 1e9 + 0.2)
    return made.pop


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_DIR, str(directory))
    return directory


def _kept(cache_dir: Path) -> list[Path]:
    runs = cache_dir / "0.1.0" / "runs"
    return sorted(runs.iterdir()) if runs.is_dir() else []


def _lint(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _replay(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str] | None:
    code = replay.attempt(argv)
    captured = capsys.readouterr()
    if code is None:
        assert captured.out == captured.err == ""
        return None
    return code, captured.out, captured.err


def test_an_unchanged_tree_is_replayed_byte_for_byte(
    trees: Callable[[], Path],
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(trees())
    first = _lint(ARGV, capsys)
    assert first[0] == 1 and "FLY103" in first[1] and "FLY401" in first[1]
    assert len(_kept(cache_dir)) == 1
    assert _replay(ARGV, capsys) == first
    # No secret reaches the kept run: the output is kept as printed, masked.
    assert b"0123456789abcdefghij" not in _kept(cache_dir)[0].read_bytes()
    assert b"hunter2" not in _kept(cache_dir)[0].read_bytes()


def _edit(name: str, text: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")

    return change


def _remove(name: str) -> Callable[[Path], None]:
    return lambda root: (root / name).unlink()


def _rename(old: str, new: str) -> Callable[[Path], None]:
    return lambda root: (root / old).rename(root / new)


def _same_size_edit(root: Path) -> None:
    path = root / "shop" / "settings.py"
    text = path.read_text(encoding="utf-8")
    status = path.stat()
    path.write_text(text.replace("0\n", "1\n"), encoding="utf-8")
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))  # even the mtime restored


CHANGES: dict[str, Callable[[Path], None]] = {
    "a Python file edited, size and mtime kept": _same_size_edit,
    "a Python file added in a package": _edit("shop/payments.py", 'PAY = "https://pay.fly.dev"\n'),
    "a Python file removed": _remove("shop/client.py"),
    "a package renamed": _rename("billing", "invoices"),
    "a fly.toml edited": _edit("fly.toml", 'app = "shop"\n'),
    "a Dockerfile edited": _edit("billing/Dockerfile", "FROM python:3.13-slim\n"),
    "a .gitignore added": _edit("shop/.gitignore", "client.py\n"),
    "a .gitignore edited": _edit(".gitignore", "*.log\n"),
    "a configuration created": _edit("flylint.toml", 'ignore = ["FLY106"]\n'),
    "a pyproject.toml with [tool.flylint] created below": _edit(
        "billing/pyproject.toml", '[tool.flylint]\nignore = ["FLY302"]\n'
    ),
    "a deploy doc created": _edit("billing/README.md", "fly deploy --flycast\n"),
    "a nested repository made": lambda root: (root / "billing" / ".git").mkdir(),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_any_change_to_what_the_run_looked_at_lints_again(
    change: str,
    trees: Callable[[], Path],
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = trees()
    monkeypatch.chdir(root)
    first = _lint(ARGV, capsys)
    assert _replay(ARGV, capsys) == first
    CHANGES[change](root)
    assert _replay(ARGV, capsys) is None
    again = _lint(ARGV, capsys)
    assert again == _lint([*ARGV, "--no-cache"], capsys)


def test_another_invocation_is_another_run(
    trees: Callable[[], Path],
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = trees()
    monkeypatch.chdir(root)
    _lint(ARGV, capsys)
    assert _replay(["check", "--format", "json", "."], capsys) is None
    assert _replay(["check", "--format", "concise", "shop"], capsys) is None
    monkeypatch.setenv("NO_COLOR", "1")
    assert _replay(ARGV, capsys) is None
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.chdir(root / "shop")
    assert _replay(ARGV, capsys) is None
    monkeypatch.chdir(root)
    assert _replay(ARGV, capsys) is not None


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--fix", "."],
        ["check", "--diff", "."],
        ["check", "--no-cache", "."],
        ["check", "--baseline", "base.json", "."],
        ["check", "-o", "out.txt", "."],
        ["check", "--output=out.txt", "."],
        ["check", "--stdin-filename", "fly.toml"],
        ["check", "--form", "json", "."],  # an abbreviation: argparse's to read
        ["check", "--format"],
        ["rule", "FLY201"],
        [],
    ],
)
def test_runs_that_write_or_read_stdin_are_never_replayed(argv: list[str]) -> None:
    assert not replay.replayable(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["check"],
        ["check", "--format", "json", "--select=FLY1", "-j2", "--exit-zero", "a", "b"],
        ["check", "-j", "1", "--fail-on", "error", "--", "--odd-name.py"],
        ["check", "--config", "flylint.toml", "--min-confidence", "low", "."],
    ],
)
def test_plain_checks_are_replayable(argv: list[str]) -> None:
    assert replay.replayable(argv)


def test_a_tree_changed_just_now_is_not_kept(
    tmp_path: Path,
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Within the racy window a change may not move the signature (a coarse clock): the
    run is linted every time until the tree is old enough."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    _write(tmp_path / "repo", FILES)
    monkeypatch.chdir(tmp_path / "repo")
    _lint(ARGV, capsys)
    assert _kept(cache_dir) == []
    assert _replay(ARGV, capsys) is None


def test_a_failed_run_is_not_kept(
    trees: Callable[[], Path],
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(trees())
    assert _lint(["check", "--format", "concise", "missing.py"], capsys)[0] == 2
    assert _kept(cache_dir) == []


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign", "forged", "symlink"])
def test_a_damaged_kept_run_is_linted_again(
    damage: str,
    trees: Callable[[], Path],
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(trees())
    first = _lint(ARGV, capsys)
    (kept,) = _kept(cache_dir)
    data = kept.read_bytes()
    if damage == "garbage":
        kept.write_bytes(b"\x00" * 100)
    elif damage == "truncated":
        kept.write_bytes(data[: len(data) // 2])
    elif damage == "foreign":
        kept.write_bytes(sealed.seal(replay._MAGIC, sealed.dumps(("other", {}, "", "", 0))))
    elif damage == "forged":  # a clean report that vouches for nothing (a restored cache)
        forged = (replay.FORMAT, {}, "All clean.\n", "", 0)
        kept.write_bytes(sealed.seal(replay._MAGIC, sealed.dumps(forged)))
    else:
        elsewhere = tmp_path / "elsewhere"
        elsewhere.write_bytes(data)
        kept.unlink()
        kept.symlink_to(elsewhere)
    assert _replay(ARGV, capsys) is None
    assert _lint(ARGV, capsys) == first


def test_an_unsafe_cache_directory_is_not_replayed_from(
    trees: Callable[[], Path],
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(trees())
    _lint(ARGV, capsys)
    (cache_dir / "0.1.0" / "runs").chmod(0o777)
    assert _replay(ARGV, capsys) is None


def test_old_runs_are_pruned(
    trees: Callable[[], Path],
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(trees())
    monkeypatch.setattr(replay, "KEPT_RUNS", 2)
    for rules in ("FLY1", "FLY2", "FLY3", "FLY4"):
        _lint([*ARGV, "--select", rules], capsys)
    assert len(_kept(cache_dir)) == 2
    assert _replay([*ARGV, "--select", "FLY4"], capsys) is not None
    assert _replay([*ARGV, "--select", "FLY1"], capsys) is None


# Run in a child process: every path flylint stats, lists or opens, recorded by wrapping
# the os functions, with the paths the kept run records.
_SPY = """
import builtins, json, os, sys
touched = {}
def spy(name, kind):
    real = getattr(os, name)
    def wrapper(path, *args, **kwargs):
        if isinstance(path, (str, os.PathLike)):
            touched.setdefault(os.path.abspath(os.fsdecode(path)), kind)
        return real(path, *args, **kwargs)
    setattr(os, name, wrapper)
for name in ("stat", "lstat", "scandir", "listdir"):
    spy(name, "looked")
spy("open", "read")
real_open = builtins.open
def opened(file, *args, **kwargs):
    if isinstance(file, (str, os.PathLike)):
        touched[os.path.abspath(os.fsdecode(file))] = "read"
    return real_open(file, *args, **kwargs)
builtins.open = opened
from flylint.cli import main
code = main(sys.argv[1:])
with real_open(os.environ["SPY_OUT"], "w") as out:
    json.dump(touched, out)
"""


def test_the_kept_run_records_every_path_the_run_looked_at(
    trees: Callable[[], Path], cache_dir: Path, tmp_path: Path
) -> None:
    """A path read must be recorded; a path only looked at (its existence, its type) must
    be, or its directory must (a path created or removed changes its directory). Left out:
    Python's and flylint's own files (their version and the code's signature are in the
    key), the cache, and the home directory (resolved once, for where the walk stops)."""
    root = trees()
    (root / "flylint.toml").write_text("ignore = []\n", encoding="utf-8")
    os.utime(root / "flylint.toml", ns=(0, 0))
    time.sleep(replay.RACY_NS / 1e9 + 0.2)
    out = tmp_path / "touched.json"
    env = {**os.environ, "SPY_OUT": str(out), cache.ENV_DIR: str(cache_dir)}
    subprocess.run([sys.executable, "-c", _SPY, *ARGV], cwd=root, env=env, check=True)
    (kept,) = _kept(cache_dir)
    record = sealed.loads(sealed.unseal(replay._MAGIC, kept.read_bytes()))
    inputs = record[1]
    touched = json.loads(out.read_text())
    ignored = [
        sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(replay.__file__).parents[1]),
        str(cache_dir), "/proc", "/dev", "/sys", "/usr", "/etc", "/lib",
    ]  # fmt: skip
    rules = Path(replay.__file__).parents[3] / "rules"
    # Resolved once, not read: where the walk stops (home), the working directory (its
    # physical path is in the key), flylint's own location, the cache's.
    places = [Path("~").expanduser(), root, Path(replay.__file__), cache_dir]
    ancestors = {str(p) for place in places for p in [place, *place.parents]}
    missing = []
    for path, kind in touched.items():
        if any(path == d or path.startswith(d + os.sep) for d in ignored):
            continue
        if path in ancestors or path.startswith(str(rules)):
            continue
        if path in inputs or (kind == "looked" and _created_through(Path(path), inputs)):
            continue
        missing.append((path, kind))
    assert missing == [], "\n".join(map(str, missing))
    assert str(root / "shop" / "settings.py") in inputs
    assert str(root / "flylint.toml") in inputs


def _created_through(path: Path, inputs: dict) -> bool:
    """Whether ``path`` (absent) cannot appear without changing a recorded directory: the
    nearest recorded ancestor, every directory between it and ``path`` absent too."""
    for parent in path.parents:
        if str(parent) in inputs:
            return not path.exists()
        if parent.exists():
            return False
    return False


def test_the_console_script_replays(trees: Callable[[], Path], cache_dir: Path) -> None:
    """``flylint`` as installed: the second run prints the first's bytes and exit code."""
    root = trees()
    env = {**os.environ, cache.ENV_DIR: str(cache_dir)}
    script = shutil.which("flylint", path=str(Path(sys.executable).parent))
    assert script is not None
    runs = [subprocess.run([script, *ARGV], cwd=root, env=env, capture_output=True) for _ in "ab"]
    assert runs[0].returncode == runs[1].returncode == 1
    assert runs[0].stdout == runs[1].stdout and runs[0].stderr == runs[1].stderr
    assert len(_kept(cache_dir)) == 1
