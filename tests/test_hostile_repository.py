"""A hostile repository, everything an attack pass tried in one tree, linted in every way
a user can: each format through the CLI, ``-o``, a baseline, stdin, ``--diff``, ``--fix``
and the language server. Whatever it holds, flylint exits 0, 1 or 2, prints no credential
anywhere (standard output, standard error, written files, the cache directory), reads
nothing outside the tree, and keeps its cache files private."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from flylint.engine.cache import ENV_DIR
from flylint.output import FORMATS

GITHUB = "ghp_" + "Zq8Xw2Lm4Np6Rt0Vb3Yc5Hd7Jf9Kg1Ms2QaE"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dcFLYq"
AWS = "AKIA" + "QX7ZL3MN5PR2TV9W"
SLACK = "xoxb-" + "123456789012-" + "A1b2C3d4E5f6G7h8I9j0Kl"
PASSWORD = "Xk9#mP2vL8nQ4w"
URL_PASSWORD = "Pw7dQ2xZ9kLm"
DATABASE_URL = f"postgres://app:{URL_PASSWORD}@db.acme-prod.net:5432/app"
# What must never be printed: all of a value but the two characters a mask shows.
HIDDEN = [value[2:] for value in (GITHUB, STRIPE, AWS, SLACK, PASSWORD)] + [URL_PASSWORD]

FLY_TOML = f"""app = "victim"
primary_region = "ams"
# rotated last week: {STRIPE}

[env]
  DB_PASSWORD = "{PASSWORD}"
  DATABASE_URL = "{DATABASE_URL}"
  {GITHUB} = "1"
  SETTINGS = {{ A = "x", GITHUB_TOKEN = "{GITHUB}", STRIPE_SECRET_KEY = "{STRIPE}" }}

[http_service]
  internal_port = "{PASSWORD}"
  force_https = false  # flylint: ignore[{AWS}]
"""
DOCKERFILE = f"""FROM python:3.12-slim
# the old key was {AWS}
ENV API_KEY={STRIPE} GITHUB_TOKEN={GITHUB}
ARG SLACK_TOKEN={SLACK}
ENV DATABASE_URL={DATABASE_URL} \\
    DB_PASSWORD={PASSWORD} \\
"""
APP_PY = f"""import httpx

TOKENS = {{"{GITHUB}": "{STRIPE}"}}  # {SLACK}
settings = {{}}
settings["{AWS}"] = "{PASSWORD}"
DB_PASSWORD = "{PASSWORD}"  # flylint: ignore[{GITHUB}]
httpx.get("https://billing.fly.dev/charge", headers={{"Authorization": "{SLACK}"}})
"""


def _build(base: Path) -> tuple[Path, Path]:
    """The hostile repository under ``base`` and, beside it, what it points outside at."""
    outside = base / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text(f"FROM alpine\nENV LEAK={STRIPE}\n")
    (outside / "leak.py").write_text(f'import httpx\nhttpx.get("https://x.fly.dev?k={GITHUB}")\n')
    (base / "flylint.toml").write_text('ignore = ["FLY"]\n')  # above the root: not applied
    repo = base / "victim"
    repo.mkdir()
    (repo / "fly.toml").write_text(FLY_TOML)
    (repo / "Dockerfile").write_text(DOCKERFILE)
    (repo / "app.py").write_text(APP_PY)
    (repo / f"{GITHUB}.py").write_text(APP_PY)  # a credential as a file name
    (repo / "deep.py").write_text(
        'URL = "https://a.fly.dev"\ny = ' + "(" * 1300 + ")" * 1300 + "\n"
    )
    (repo / "huge.py").write_text('URL = "https://a.fly.dev"\n' + "x = 1\n" * 1_000_000)
    escape = repo / "apps" / "escape"
    escape.mkdir(parents=True)
    (escape / "fly.toml").write_text(
        'app = "escape"\n[build]\n  dockerfile = "../../../outside/Dockerfile"\n'
    )
    (escape / "leak.py").symlink_to(outside / "leak.py")
    (escape / "loop").symlink_to(escape / "loop")
    (repo / "apps" / "dup").mkdir()
    (repo / "apps" / "dup" / "fly.toml").write_text(f'[env]\n{GITHUB} = "1"\n{GITHUB} = "2"\n')
    (repo / "apps" / "fifo").mkdir()
    os.mkfifo(repo / "apps" / "fifo" / "Dockerfile")
    # A pattern that made a backtracking matcher hang on a long name; and a Dockerfile
    # that is committed although .gitignore matches it.
    (repo / ".gitignore").write_text("*a*a*a*a*a*a*b\nignored/\n")
    (repo / ("a" * 250)).mkdir()
    (repo / ("a" * 250) / "Dockerfile").write_text(f"FROM alpine\nENV API_KEY={STRIPE}\n")
    (repo / "ignored").mkdir()
    (repo / "ignored" / "Dockerfile").write_text(f"FROM alpine\nENV API_KEY={STRIPE}\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-f", "ignored/Dockerfile", "fly.toml"], cwd=repo, check=True)
    return repo, outside


# Runs flylint's CLI with an audit hook that records every path opened or listed.
_AUDITED = """
import json, os, sys
seen = []
def hook(event, args):
    if event in ("open", "os.scandir", "os.listdir") and args and args[0] is not None:
        path = args[0]
        if isinstance(path, (str, bytes, os.PathLike)):
            seen.append(os.fsdecode(os.path.abspath(path)))
sys.addaudithook(hook)
from flylint.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    json.dump(seen, f)
sys.exit(code)
"""


class _Runner:
    def __init__(self, base: Path, repo: Path, outside: Path) -> None:
        self.base, self.repo, self.outside = base, repo, outside
        self.cache = base / "cache"
        self.printed: list[str] = []

    def __call__(self, *args: str, stdin: bytes | None = None) -> int:
        log = self.base / "opened.json"
        env = {**os.environ, ENV_DIR: str(self.cache)}
        env.pop("FLYLINT_DEBUG", None)
        done = subprocess.run(
            [sys.executable, "-c", _AUDITED, str(log), *args],
            cwd=self.repo, env=env, input=stdin, capture_output=True, timeout=300,
        )  # fmt: skip
        out, err = done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
        self.printed += [out, err]
        assert done.returncode in (0, 1, 2), err
        assert "internal error" not in err and "Traceback" not in err, err
        opened = json.loads(log.read_text())
        outside = f"{self.outside}{os.sep}"
        assert not [path for path in opened if path.startswith(outside)], args
        return done.returncode


@pytest.fixture
def hostile(tmp_path: Path) -> _Runner:
    return _Runner(tmp_path, *_build(tmp_path))


def _assert_nothing_leaked(texts: list[str]) -> None:
    for text in texts:
        for hidden in HIDDEN:
            assert hidden not in text, f"a secret ({hidden[:2]}...) was printed"


def test_the_cli_in_every_way(hostile: _Runner) -> None:
    for fmt in FORMATS:
        assert hostile("check", "--format", fmt) == 2  # the FIFO and the loop: not linted
    assert hostile("check", "--format", "json", "-o", "out.json") == 2
    document = json.loads((hostile.repo / "out.json").read_text())
    found = {(f["path"], f["rule"]) for f in document["findings"]}
    assert ("ignored/Dockerfile", "FLY103") in found  # committed, though .gitignore says no
    assert ("fly.toml", "FLY101") in found  # the flylint.toml above the root is not applied
    notices = {n["path"]: n["message"] for n in document["notices"]}
    assert notices["deep.py"].startswith("skipped: nested")
    assert notices["huge.py"].startswith("skipped:")
    assert not any(f["path"].startswith("/") for f in document["findings"])
    assert hostile("check", "--baseline", "baseline.json") == 0
    for name in ("fly.toml", "Dockerfile", "app.py"):
        data = (hostile.repo / name).read_bytes()
        assert hostile("check", "--stdin-filename", name, stdin=data) in (1, 2)
    assert hostile("check", "--diff") in (1, 2)
    assert hostile("check", "--fix") in (1, 2)
    hostile.printed += [(hostile.repo / name).read_text() for name in ("out.json", "baseline.json")]
    _assert_nothing_leaked(hostile.printed)

    cached = [path for path in hostile.cache.rglob("*") if path.is_file()]
    assert cached
    _assert_nothing_leaked([path.read_bytes().decode("latin-1") for path in cached])
    for path in cached:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    for directory in [hostile.cache, *(p for p in hostile.cache.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700


@pytest.mark.asyncio
async def test_the_language_server(client: LanguageClient, tmp_path: Path) -> None:
    repo, _ = _build(tmp_path)
    for name, language in (
        ("fly.toml", "toml"),
        ("Dockerfile", "dockerfile"),
        ("app.py", "python"),
    ):
        uri = (repo / name).as_uri()
        text = (repo / name).read_text()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=language, version=1, text=text
                )
            )
        )
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        assert client.diagnostics[uri]
    sent = [d.message for found in client.diagnostics.values() for d in found]
    sent += [m.message for m in client.messages] + [m.message for m in client.log_messages]
    _assert_nothing_leaked(sent)
