""".gitignore matching (flylint.support.gitignore): git's verdicts, checked against git
itself, in time linear in the pattern and the path whatever the .gitignore holds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flylint.repository import inventory
from flylint.support.gitignore import GitIgnore

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

LONG = "a" * 255  # the longest name most file systems allow

# (lines of a .gitignore, a path relative to its directory, whether the path is a directory)
CASES = [
    # Blank lines, comments, escapes, trailing spaces.
    (["", "# build", "build"], "build", False),
    (["# build"], "# build", False),
    (["\\#build"], "#build", False),
    (["\\!keep"], "!keep", False),
    (["name   "], "name", False),
    (["name\\ "], "name ", False),
    (["name\\ "], "name", False),
    (["name\\\\ "], "name\\", False),
    (["a b"], "a b", False),
    (["name\r"], "name", False),  # a CRLF line
    (["trailing\\"], "trailing\\", False),  # a trailing backslash escapes nothing
    # Negation: the last pattern that matches decides.
    (["*.log", "!keep.log"], "keep.log", False),
    (["*.log", "!keep.log"], "x/keep.log", False),
    (["*.log", "!keep.log"], "other.log", False),
    (["!keep.log", "*.log"], "keep.log", False),
    (["*.log", "!*.log", "*.log"], "a.log", False),
    # No file is re-included in an excluded directory...
    (["logs/", "!logs/keep.log"], "logs/keep.log", False),
    (["logs/", "!keep.log"], "logs/keep.log", False),
    # ...but one can be when the directory is not excluded, only its content.
    (["logs/*", "!logs/keep.log"], "logs/keep.log", False),
    (["logs/*", "!logs/keep.log"], "logs/other.log", False),
    (["/*", "!/src/"], "src/app.py", False),
    (["/*", "!/src/"], "docs/index.md", False),
    # A trailing "/": directories only (and what is inside them).
    (["build/"], "build", False),
    (["build/"], "build", True),
    (["build/"], "build/fly.toml", False),
    (["build/"], "src/build", True),
    (["build/"], "src/build/x", False),
    (["fly.toml/"], "fly.toml", False),
    # A "/" at the start or in the middle anchors to the .gitignore's directory.
    (["/top.py"], "top.py", False),
    (["/top.py"], "lib/top.py", False),
    (["doc/frotz"], "doc/frotz", False),
    (["doc/frotz"], "a/doc/frotz", False),
    (["doc/frotz/"], "doc/frotz", True),
    (["doc/frotz/"], "a/doc/frotz", True),
    (["frotz"], "a/doc/frotz", False),
    (["deploy/*.toml"], "deploy/fly.toml", False),
    (["deploy/*.toml"], "deploy/x/fly.toml", False),
    (["deploy/*.toml"], "x/deploy/fly.toml", False),
    (["//double"], "double", False),
    (["a//b"], "a/b", False),
    # "*", "?" and brackets; none of them matches a "/".
    (["*.py"], "deep/er/app.py", False),
    (["*"], "anything/at/all", False),
    (["a*"], "a", False),
    (["a*c"], "abbbc", False),
    (["a/*/c"], "a/b/c", False),
    (["a/*/c"], "a/b/x/c", False),
    (["a*/c"], "ab/c", False),
    (["a?c"], "abc", False),
    (["a?c"], "ac", False),
    (["/a?c"], "a/c", False),
    (["?"], "é", False),  # one byte: "é" has two
    (["??"], "é", False),
    (["*.py[cod]"], "x.pyc", False),
    (["*.py[cod]"], "x.pyx", False),
    (["[a-c]x"], "bx", False),
    (["[a-c]x"], "dx", False),
    (["[!a-c]x"], "dx", False),
    (["[^a-c]x"], "bx", False),
    (["[]]x"], "]x", False),
    (["[!]]x"], "]x", False),
    (["[a-]x"], "-x", False),
    (["[\\]a]x"], "]x", False),
    (["[[:digit:]]x"], "7x", False),
    (["[[:alpha:][:digit:]]x"], "_x", False),
    (["[[:upper:]]x"], "Ax", False),
    (["[[:space:]]x"], "\tx", False),
    (["[[:bogus:]]x"], "bx", False),  # an unknown class: the pattern matches nothing
    (["[[:a]x"], "ax", False),  # no ":]": "[" and ":" are members
    (["[abc"], "[abc", False),  # never closed: the pattern matches nothing
    (["x[/]y"], "x/y", False),
    (["\\*"], "*", False),
    (["\\*"], "a", False),
    (["\\[a]"], "[a]", False),
    # "**".
    (["**/foo"], "foo", False),
    (["**/foo"], "a/b/foo", False),
    (["**/foo/bar"], "x/foo/bar", False),
    (["abc/**"], "abc", True),
    (["abc/**"], "abc/x/y", False),
    (["a/**/b"], "a/b", False),
    (["a/**/b"], "a/x/y/b", False),
    (["a/**/b"], "ab", False),
    (["**/gen/**"], "gen/x.toml", False),
    (["**/gen/**"], "a/b/gen/x.toml", False),
    (["**"], "any/path", False),
    (["/**"], "any/path", False),
    (["a/**/**/b"], "a/b", False),
    (["a**b"], "axb", False),  # "**" not between slashes is "*"...
    (["a/**b"], "a/x/b", False),
    (["a/b**"], "a/bc/d", False),
    (["a/**\\/b"], "a/b", False),  # "**" before an escaped "/": at least one directory
    (["a/**\\/b"], "a/x/b", False),
    # ...except after the literal start of an anchored pattern, which git compares first.
    (["c**/x"], "cx", False),
    (["c**/x"], "c/x", False),
    (["c**/x"], "cy/z/x", False),
    (["c**/**/x"], "cx", False),
    (["c**/**/x"], "cy/x", False),
    (["a/c**/x"], "a/cx", False),
    (["ab?c**/x"], "abzcx", False),
    (["a\\b**/x"], "abx", False),
    # Hostile patterns give git's verdict, and quickly (git 2.39 itself crashes, out of
    # stack, on the last one 30 directories deep).
    (["*a*a*a*a*a*a*b"], LONG, True),
    (["*a*a*a*a*a*a*b"], "a" * 254 + "b", True),
    (["**/**/**/**/**/x"], "/".join(["d"] * 20) + "/x", False),
]


@pytest.fixture(scope="module")
def git_verdicts(tmp_path_factory: pytest.TempPathFactory) -> list[bool]:
    """What ``git check-ignore`` says of each case: in one repository, each case in a
    directory of its own with its .gitignore, the path made as a file or a directory."""
    root = tmp_path_factory.mktemp("git-check-ignore")
    home = tmp_path_factory.mktemp("home")
    # Neither the user's nor the system's configuration (core.excludesFile) may apply.
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
    }
    subprocess.run(["git", "init", "-q", str(root)], check=True, env=env)
    queries = []
    for number, (lines, path, is_dir) in enumerate(CASES):
        case = root / f"case{number}"
        case.mkdir()
        (case / ".gitignore").write_bytes(_content(lines))
        target = case / path
        if is_dir:
            target.mkdir(parents=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch()
        queries.append(f"case{number}/{path}")
    checked = subprocess.run(
        ["git", "-C", str(root), "check-ignore", "--no-index", "-v", "-n", "-z", "--stdin"],
        input="\0".join(queries).encode() + b"\0",
        capture_output=True,
        env=env,
    )
    fields = checked.stdout.split(b"\0")
    # Each path as source, line number, pattern and path; a negation's pattern has its "!".
    verdicts = {
        fields[i + 3].decode(): bool(fields[i]) and not fields[i + 2].startswith(b"!")
        for i in range(0, len(fields) - 1, 4)
    }
    return [verdicts[query] for query in queries]


def _content(lines: list[str]) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


@needs_git
@pytest.mark.parametrize(
    ("number", "case"), list(enumerate(CASES)), ids=[repr(case)[:60] for case in CASES]
)
def test_agrees_with_git(
    number: int, case: tuple[list[str], str, bool], git_verdicts: list[bool]
) -> None:
    lines, path, is_dir = case
    assert GitIgnore.from_lines(lines).ignores(path, is_dir) is git_verdicts[number]
    assert GitIgnore.from_bytes(_content(lines)).ignores(path, is_dir) is git_verdicts[number]


def test_match_is_the_verdict_of_the_last_matching_pattern() -> None:
    spec = GitIgnore.from_lines(["*.log", "!keep.log", "logs/", "/top"])
    assert spec.match("a/b.log", False) is True
    assert spec.match("a/keep.log", False) is False
    assert spec.match("a/b.txt", False) is None
    assert spec.match("logs", True) is True
    assert spec.match("logs", False) is None
    # The directories above are not looked at: a walk does not enter an ignored one.
    assert spec.match("logs/x.txt", False) is None
    assert spec.match("top", False) is True
    assert spec.match("a/top", False) is None
    assert not GitIgnore.from_lines(["# only a comment", ""])
    assert GitIgnore.from_bytes(b"\xef\xbb\xbfbuild\r\n").match("build", False) is True


@needs_git
def test_a_walk_lists_what_git_does_not_ignore(tmp_path: Path) -> None:
    """Nested .gitignore files, negations and directory patterns: the walk lists the
    files ``git ls-files --others --exclude-standard`` lists."""
    root = tmp_path / "repo"
    gitignores = {
        ".gitignore": "*.py\n!keep*.py\nbuild/\n/gen/\n**/cache/**\nd[0-9]/\n",
        "src/.gitignore": "!app.py\nbuild\n!/build/\nlocal/\n",
        "src/pkg/.gitignore": "!*.py\n/tests/\n!d7/\n",
        "other/.gitignore": "*\n!*/\n!keep.py\n",
    }
    for name, text in gitignores.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    for directory in ["", "src/", "src/pkg/", "other/", "other/deep/", "src/pkg/sub/"]:
        for middle in ["", "build/", "gen/", "cache/", "x/cache/", "d1/", "d7/", "local/"]:
            for name in ["a.py", "keep.py", "app.py", "fly.toml", "tests/t.py"]:
                path = root / f"{directory}{middle}{name}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}  # fmt: skip
    subprocess.run(["git", "init", "-q", str(root)], check=True, env=env)
    listed = subprocess.run(
        ["git", "-C", str(root), "ls-files", "--others", "--exclude-standard", "-z"],
        capture_output=True,
        check=True,
        env=env,
    ).stdout.decode()
    expected = sorted(p for p in listed.split("\0") if p.endswith((".py", "fly.toml")))
    assert len(expected) > 20
    walked = sorted(f.relative for f in inventory.take(str(root)).files)
    assert walked == expected


DEEP = "/".join(["d"] * 300)
HOSTILE = [
    (["*a*a*a*a*a*a*b"], LONG),
    (["*a*a*a*a*a*a*b"], "a" * 254 + "c"),
    (["*a*a*a*a*a*a*b"], "/".join([LONG] * 16)),
    (["**/*a*a*a*a*a*a*b/**"], "/".join([LONG] * 16)),
    (["*?a*?a*?a*?a*?a*?a*?b"], LONG),
    (["*[a]*[a]*[a]*[a]*[a]*[a]*[!a]"], LONG),
    (["*" + "a*" * 1000 + "b"], "a" * 254 + "b"),
    (["**/**/**/**/**/x"], DEEP + "/y"),
    (["**/**/**/**/**/x"], DEEP + "/x"),
    (["a/**/a/**/a/**/a/**/a/**/b"], "/".join(["a"] * 300)),
    (["**/" + "?/**/" * 50 + "?q"], DEEP),
    (["c" + "**/" * 1000 + "x"], "/".join(["c"] * 300)),
    (["!x", "/" + "*/" * 1000 + "x"], DEEP),
]


@pytest.mark.parametrize(("lines", "path"), HOSTILE, ids=lambda v: repr(v)[:40])
def test_hostile_patterns_take_no_time(lines: list[str], path: str) -> None:
    started = time.perf_counter()
    spec = GitIgnore.from_lines(lines)
    for is_dir in (False, True):
        spec.match(path, is_dir)
        spec.ignores(path, is_dir)
    assert time.perf_counter() - started < 0.25


def test_a_walk_under_a_hostile_gitignore_finishes_and_lints(tmp_path: Path) -> None:
    """15 bytes of .gitignore hung the walk of a repository with a 255-character
    directory name (a backtracking regex); the walk still honours them."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("*a*a*a*a*a*a*b\n", encoding="utf-8")
    insecure = "[http_service]\n  internal_port = 8080\n  force_https = false\n"
    for directory in ["", LONG, "a" * 254 + "b"]:  # the last one is ignored
        (tmp_path / directory).mkdir(exist_ok=True)
        (tmp_path / directory / "fly.toml").write_text(insecure, encoding="utf-8")
    started = time.perf_counter()
    # In a process of its own: were the walk to hang again, the test fails, not the suite.
    checked = subprocess.run(
        [sys.executable, "-m", "flylint", "check", "--no-cache", "--format", "concise",
         "--select", "FLY201", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert time.perf_counter() - started < 30
    assert checked.returncode == 1, checked.stderr
    linted = sorted(
        Path(line.split(":")[0]).relative_to(tmp_path).as_posix()
        for line in checked.stdout.splitlines()
        if "FLY201" in line
    )
    assert linted == [f"{LONG}/fly.toml", "fly.toml"]
    started = time.perf_counter()
    assert len(inventory.take(str(tmp_path)).files) == 2
    assert time.perf_counter() - started < 1
