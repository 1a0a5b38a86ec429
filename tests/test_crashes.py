"""No single file can end a run: a file that would crash a parser, kill a worker process
or trip a bug of flylint's becomes that file's notice, and every other file is linted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flylint.cli import main
from flylint.files import python

CALL = b'import httpx\nhttpx.get("https://billing.fly.dev/charge")\n'
# Each is valid or nearly valid Python that once crashed or stalled the parser: 1,300
# brackets overflowed libcst's native parser (the process died with SIGSEGV, when flylint
# used libcst); the others are deeper than CPython or a recursive walk can go.
HOSTILE = {
    "brackets": "y = " + "(" * 1300 + "1" + ")" * 1300,
    "lists": "y = " + "[" * 1300 + "1" + "]" * 1300,
    "unary": "y = " + "-" * 100_000 + "1",
    "not": "y = " + "not " * 50_000 + "x",
    "sum": "y = " + "+".join(["1"] * 3000),
    "subscripts": "y = x" + "[0]" * 900,
    "lambdas": "y = " + "lambda: " * 30_000 + "1",
}


@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_deep_nesting_is_a_notice(shape: str, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    # The hint makes the file worth parsing: the pre-check would skip it otherwise.
    (tmp_path / "deep.py").write_text(f'URL = "https://a.fly.dev"\n{HOSTILE[shape]}\n')
    (tmp_path / "client.py").write_bytes(CALL)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "flylint", "check", "--no-cache", "--format", "concise"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert time.perf_counter() - started < 30
    assert done.returncode == 1, done.stderr  # the finding in client.py; no crash (139)
    assert "client.py:2:1: FLY401" in done.stdout
    assert "deep.py:1:1: skipped: nested more than 200 levels deep" in done.stdout


def _many(tmp_path: Path, count: int) -> Path:
    (tmp_path / ".git").mkdir()
    for number in range(count):
        (tmp_path / f"m{number}.py").write_bytes(CALL)
    return tmp_path


def test_a_worker_that_dies_loses_only_its_file(tmp_path: Path, monkeypatch, capsys) -> None:
    parse = python.parse

    def crashing(source, precheck=True):  # a native parser's crash kills its process
        if source.path.name == "m17.py":
            os.kill(os.getpid(), signal.SIGSEGV)
        return parse(source, precheck)

    monkeypatch.setattr(python, "parse", crashing)  # forked workers inherit it
    root = _many(tmp_path, 220)
    code = main(["check", "--no-cache", "-j", "2", "--format", "concise", str(root)])
    out = capsys.readouterr().out.splitlines()
    assert code == 2  # a file the run was asked for was not linted
    assert sum(": FLY401 " in line for line in out) == 219
    assert f"{root}/m17.py:1:1: not linted: the process linting it died" in "\n".join(out)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_internal_error_loses_only_its_file(
    jobs: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    parse = python.parse

    def failing(source, precheck=True):
        if source.path.name == "m3.py":
            raise KeyError("a bug")
        return parse(source, precheck)

    monkeypatch.setattr(python, "parse", failing)
    monkeypatch.delenv("FLYLINT_DEBUG", raising=False)
    root = _many(tmp_path, 210)
    code = main(["check", "--no-cache", "-j", jobs, "--format", "concise", str(root)])
    out = capsys.readouterr().out
    assert code == 2
    assert out.count(": FLY401 ") == 209
    assert f"{root}/m3.py:1:1: not linted: internal error (KeyError); please report it" in out
