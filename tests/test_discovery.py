"""Which files a run lints when paths name them in different ways: each file once, under
the name the user gave first, and a symbolic link loop reported rather than crashed on."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from flylint.cli import main

EXAMPLE = Path(__file__).parent.parent / "examples" / "storefront"


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", "--format", "concise", "--no-cache", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "app")
    (tmp_path / "link").symlink_to(tmp_path / "app", target_is_directory=True)
    (tmp_path / "app" / "alias.py").symlink_to(tmp_path / "app" / "app.py")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_file_named_several_ways_is_linted_once(tree: Path, capsys) -> None:
    once = lint(capsys, "app/fly.toml", "app/app.py")
    again = lint(capsys, "app/fly.toml", "app/../app/fly.toml", "link/fly.toml", "app/app.py",
                 "./app/app.py", "link/app.py", "app/alias.py")  # fmt: skip
    assert again == once
    assert once[0] == 1 and "app/app.py:11:16: FLY401" in once[1]


def test_a_file_named_through_a_symlinked_directory_keeps_that_name(tree: Path, capsys) -> None:
    code, out, _ = lint(capsys, "link/app.py", "app/app.py")
    assert code == 1
    assert "link/app.py:11:16: FLY401" in out and "\napp/app.py" not in out


def test_a_symlink_loop_is_an_error_the_run_survives(tree: Path, capsys) -> None:
    (tree / "app" / "Dockerfile").unlink()
    (tree / "app" / "Dockerfile").symlink_to(tree / "app" / "Dockerfile.prod")
    (tree / "app" / "Dockerfile.prod").symlink_to(tree / "app" / "Dockerfile")
    for args in (["app"], ["app/fly.toml", "app/Dockerfile"], ["app/Dockerfile", "app/fly.toml"]):
        code, out, err = lint(capsys, *args)
        assert code == 2
        assert "app/fly.toml:" in out
        assert "app/Dockerfile:1:1: Too many levels of symbolic links" in out
        assert "internal error" not in err


def test_files_deeper_under_a_symlinked_directory_are_linted_once(tree: Path, capsys) -> None:
    deep = tree / "app" / "services" / "billing"
    deep.mkdir(parents=True)
    shutil.copy(tree / "app" / "app.py", deep / "client.py")
    (tree / "app" / "current").symlink_to(tree / "app" / "services", target_is_directory=True)
    once = lint(capsys, "app/services/billing/client.py")
    again = lint(capsys, "link/current/billing/client.py", "app/services/billing/client.py",
                 str(deep / "client.py"), "link/services/billing/../billing/client.py")  # fmt: skip
    assert once[0] == again[0] == 1
    assert once[1].count("FLY401") == again[1].count("FLY401") == 1
    assert "link/current/billing/client.py:11:16: FLY401" in again[1]


@pytest.fixture
def deep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory 1,100 levels below the current one: more than Python's default recursion
    limit. Made and removed level by level, as mkdir(parents=True) and rmtree recurse."""
    monkeypatch.chdir(tmp_path)
    levels = [Path(*["d"] * depth) for depth in range(1, 1101)]
    for level in levels:
        level.mkdir()
    yield levels[-1]
    for level in reversed(levels):
        for child in level.iterdir():
            if not child.is_dir():
                child.unlink()
        level.rmdir()


def test_a_file_at_the_bottom_of_a_very_deep_tree_is_linted(deep: Path, capsys) -> None:
    shutil.copy(EXAMPLE / "app.py", deep / "app.py")
    code, out, err = lint(capsys, str(deep / "app.py"))
    assert (code, err) == (1, "")
    assert f"{deep / 'app.py'}:11:16: FLY401" in out
