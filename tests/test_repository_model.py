"""The repository model at its edges: what a file is judged by when its app's code, its
Dockerfile, its configuration or the repository itself take unusual shapes; each case
compares what users run (a walk, named files, stdin, the editor) and a cached rerun."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flylint.cli import main

WEB = 'app = "web"\n\n[http_service]\n  internal_port = 8000\n  force_https = true\n'
HSTS = '\n[http_service.http_options.response.headers]\n  Strict-Transport-Security = "max-age=63072000"\n'  # noqa: E501


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def check(capsys, *args: str) -> tuple[int, list[str]]:
    code = main(["check", "--format", "concise", *args])
    return code, capsys.readouterr().out.splitlines()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


def test_a_suppression_in_the_code_is_read_as_it_is_now(repo: Path, capsys) -> None:
    """fly.toml's FLY202 located in settings.py follows settings.py's comments as they are
    when the run reads them, from a warm cache too, and an editor's unsaved buffer never
    reaches what the next run sees."""
    write(repo, {"fly.toml": WEB, "settings.py": "SECURE_HSTS_SECONDS = 0\n"})
    assert check(capsys, ".")[1] == [
        "settings.py:1:1: FLY202 [medium] SECURE_HSTS_SECONDS turns HSTS off and fly.toml sets no "
        "Strict-Transport-Security for [http_service]: enable it here, or add "
        'Strict-Transport-Security = "max-age=63072000; includeSubDomains" under '
        "[http_service.http_options.response.headers]"
    ]
    ignored = "SECURE_HSTS_SECONDS = 0  # flylint: ignore[FLY202]\n"
    sys.stdin = io.TextIOWrapper(io.BytesIO(ignored.encode()))
    try:
        assert check(capsys, "--stdin-filename", "settings.py") == (0, [])
    finally:
        sys.stdin = sys.__stdin__
    assert check(capsys, ".")[0] == 1  # the buffer was not saved
    write(repo, {"settings.py": ignored})
    assert check(capsys, ".") == (0, [])
    assert check(capsys, "settings.py") == (0, [])
    write(repo, {"settings.py": "SECURE_HSTS_SECONDS = 0\n"})
    assert check(capsys, "fly.toml")[0] == 1


def test_a_dockerfile_under_any_name_is_a_dockerfile_however_it_is_named(
    repo: Path, capsys
) -> None:
    from flylint.server.documents import lint_document

    dockerfile = "FROM python:3.12\nARG GITHUB_TOKEN=ghp_0FlyLint0FlyLint0FlyLint0FlyLint0Fly\n"
    write(repo, {
        "fly.toml": 'app = "web"\n\n[build]\n  dockerfile = "docker/web.containerfile"\n',
        "docker/web.containerfile": dockerfile,
    })  # fmt: skip
    walk = check(capsys, ".")
    assert walk[1] == [line for line in walk[1] if "FLY104" in line] != []
    assert check(capsys, "docker/web.containerfile") == walk
    found = lint_document(repo / "docker" / "web.containerfile", dockerfile).diagnostics
    assert [d.code for d in found] == ["FLY104"]
    assert lint_document(repo / "notes.txt", "not a Fly config\n").diagnostics == []


def test_a_nested_repository_is_judged_as_its_own(repo: Path, capsys) -> None:
    """A vendored clone keeps its own apps and configuration, walked or named."""
    write(repo, {"fly.toml": WEB + HSTS, "pyproject.toml": '[tool.flylint]\nignore = ["FLY106"]\n'})
    (repo / "vendor" / "lib" / ".git").mkdir(parents=True)
    write(repo / "vendor" / "lib", {
        "fly.toml": 'app = "lib"\n',
        "main.py": 'import requests\nrequests.get("https://web.fly.dev/x")\n'
                   'API_TOKEN = "summer-Rain-77"\n',
    })  # fmt: skip
    walk = check(capsys, ".")
    named = check(capsys, "vendor/lib/main.py")
    assert walk == named
    assert [line.split(" ", 2)[1] for line in walk[1]] == ["FLY401", "FLY106"]
    assert "web.internal:<internal_port>" in walk[1][0]  # web is not an app of lib's


def test_a_dockerfile_through_a_link_out_of_the_repository_is_not_read(
    repo: Path, tmp_path: Path, capsys
) -> None:
    outside = tmp_path / "outside"
    write(outside, {"Dockerfile.secret": "FROM x\nENV SMTP_PASSWORD=summer-Rain-77\n"})
    (repo / "docker").symlink_to(outside)
    write(repo, {"fly.toml": 'app = "web"\n\n[build]\n  dockerfile = "docker/Dockerfile.secret"\n'})
    code, lines = check(capsys, ".")
    # Said where it points, never read; the path outside is not probed.
    assert (code, lines) == (0, [
        "fly.toml:1:1: [build] dockerfile names docker/Dockerfile.secret, which is outside "
        "the repository"
    ])  # fmt: skip


def test_a_linked_dockerfile_keeps_its_app(repo: Path, capsys) -> None:
    write(repo, {
        "fly.toml": 'app = "web"\n',
        "docker/Dockerfile.prod": "FROM python:3.12\nENV API_URL=https://web.fly.dev\n"
                                  "ENV OTHER_URL=https://billing.fly.dev\n",
    })  # fmt: skip
    (repo / "Dockerfile").symlink_to("docker/Dockerfile.prod")
    _, lines = check(capsys, ".")
    assert [line.split(" ", 2)[1] for line in lines] == ["FLY402"]  # not web's own URL
    assert "billing" in lines[0]


def test_per_file_ignores_apply_through_a_linked_path(repo: Path, tmp_path: Path, capsys) -> None:
    write(repo, {
        "pyproject.toml": '[tool.flylint.per-file-ignores]\n"src/*.py" = ["FLY106"]\n',
        "src/x.py": 'API_TOKEN = "summer-Rain-77"\n',
    })  # fmt: skip
    link = tmp_path / "link"
    link.symlink_to(repo)
    assert check(capsys, ".") == (0, [])
    assert check(capsys, str(link / "src" / "x.py")) == (0, [])


def test_one_finding_one_spelling_and_no_absolute_path(repo: Path, capsys) -> None:
    write(repo, {"fly.toml": WEB, "apps/api/views.py": "SECURE_HSTS_SECONDS = 300\n"})
    os.chdir(repo / "apps")
    _, lines = check(capsys, "../apps/api", "../fly.toml")
    assert [line.split(" ", 2)[:2] for line in lines] == [["../apps/api/views.py:1:1:", "FLY203"]]
    os.chdir(repo / "apps" / "api")
    _, lines = check(capsys, "../../fly.toml")
    assert [line.split(":", 1)[0] for line in lines] == ["views.py"]
    assert not any(line.startswith("/") for line in lines)


def test_a_config_under_another_name_keeps_its_findings_to_itself(repo: Path, capsys) -> None:
    write(repo, {
        "fly.toml": WEB + HSTS,
        "production.toml": WEB.replace('"web"', '"web-prod"'),
        "settings.py": "SECURE_HSTS_SECONDS = 0\n",
    })  # fmt: skip
    assert check(capsys, "settings.py") == (0, [])
    _, lines = check(capsys, "settings.py", "production.toml")
    assert not [line for line in lines if line.startswith("settings.py")]


def test_a_finding_in_a_file_follows_that_files_configuration(repo: Path, capsys) -> None:
    write(repo, {
        "fly.toml": WEB,
        "web/settings.py": "SECURE_HSTS_SECONDS = 0\n",
        "web/pyproject.toml": '[tool.flylint]\nignore = ["FLY202"]\n',
    })  # fmt: skip
    assert check(capsys, ".") == (0, [])
    assert check(capsys, "fly.toml") == (0, [])


def test_a_directory_the_run_cannot_read_fails_only_a_walk_of_it(
    repo: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database volume no one may read, elsewhere in the repository, does not fail a run
    that names another file; a walk that was asked to cover it says it could not."""
    write(repo, {"fly.toml": WEB + HSTS, "app/main.py": "x = 1\n", "pgdata/PG_VERSION": "16\n"})
    scandir = os.scandir

    def refusing(path=".") -> object:
        if os.fspath(path).endswith("pgdata"):
            raise PermissionError(13, "Permission denied")
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    assert check(capsys, "app/main.py") == (0, [])
    assert main(["check", "--format", "concise", "."]) == 2
    assert "pgdata:1:1: cannot read directory: Permission denied" in capsys.readouterr().out


def test_committed_files_are_linted_even_when_gitignore_matches_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Only untracked ignored files are skipped: a fly.toml or Dockerfile that is committed
    is built and deployed, whatever .gitignore says (read from git's index, as git does)."""
    root = write(tmp_path / "repo", {
        ".gitignore": "deploy/\n*.secret\nDockerfile\n",
        "deploy/fly.toml": 'app = "web"\n\n[http_service]\n  internal_port = 8080\n'
                           "  force_https = false\n",
        "deploy/Dockerfile": "FROM python:3.12\nENV SMTP_PASSWORD=summer-Rain-77\n",
        "Dockerfile": "FROM python:3.12\nENV STRIPE_SECRET=summer-Rain-77\n",  # not committed
    })  # fmt: skip
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run(
        [*git, "add", "-f", "deploy/fly.toml", "deploy/Dockerfile"], cwd=root, check=True
    )
    monkeypatch.chdir(root)
    code, lines = check(capsys, ".")
    assert code == 1
    assert [line.split(" ", 2)[:2] for line in lines] == [
        ["deploy/Dockerfile:2:5:", "FLY103"],
        ["deploy/fly.toml:3:1:", "FLY202"],
        ["deploy/fly.toml:5:3:", "FLY201"],
    ]


def test_a_secret_file_in_the_build_context_is_judged_as_the_directory_holds_it_now(
    repo: Path, capsys
) -> None:
    """FLY105 on ``COPY . .`` reads the build context as ``fly deploy`` sends it: an
    untracked, .gitignore'd .env file counts; the answer is the same in a walk and for the
    Dockerfile named alone (pre-commit), and a cached rerun sees what was added or
    excluded since."""
    dockerfile = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n"
    write(repo, {"fly.toml": WEB + HSTS, "Dockerfile": dockerfile, ".dockerignore": ".git\n"})
    write(repo, {".gitignore": ".env.prod\n"})
    assert check(capsys, ".") == (0, [])
    write(repo, {".env.prod": "DATABASE_URL=postgres://web:Vq8rLm2xTz4n@db.web-prod.net/web\n"})
    found = [
        "Dockerfile:3:6: FLY105 [high] COPY . copies .env.prod, a dotenv file with credentials "
        "(DATABASE_URL), into the image: .dockerignore does not exclude it; fly deploy sends "
        "the whole directory, untracked files too. Add /.env.prod to .dockerignore and pass "
        "its values with fly secrets set (run time) or fly deploy --build-secret (build time)"
    ]
    assert check(capsys, ".") == (1, found)
    assert check(capsys, "Dockerfile") == (1, found)
    assert check(capsys, ".") == (1, found)  # from the cache
    write(repo, {".dockerignore": ".git\n.env*\n"})
    assert check(capsys, ".") == (0, [])
    assert check(capsys, "Dockerfile") == (0, [])
