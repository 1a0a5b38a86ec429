"""Dockerfile forms that dockerfile-parse gets wrong or leaves unlocated, through the CLI:
each finding must land on the physical line and column of its ``key=value``."""

from __future__ import annotations

from pathlib import Path

import pytest

from flylint.cli import main
from flylint.diagnostics import Diagnostic, FileKind
from flylint.files import dockerfile, reading
from flylint.files.discovery import classify

PASSWORD = "summer-Rain-77"


def findings(tmp_path: Path, text: str, capsys, name: str = "Dockerfile") -> list[str]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    main(["check", str(tmp_path / name), "--format", "concise"])
    out = capsys.readouterr().out
    return [
        line.split(": ", 2)[0].split(":", 1)[1] + " " + line.split()[1] for line in out.splitlines()
    ]


def test_continuation_lines_with_comments_and_quotes(tmp_path: Path, capsys) -> None:
    text = (
        "FROM python:3.12\n"
        "ENV A=1 \\\n"
        "    # a comment line inside the instruction\n"
        "\n"
        f'    B="two words" SMTP_PASSWORD="{PASSWORD}" \\\n'
        f"    MAIL_PASSWORD='{PASSWORD}'\n"
    )
    assert findings(tmp_path, text, capsys) == ["5:19 FLY103", "6:5 FLY103"]


def test_legacy_env_form(tmp_path: Path, capsys) -> None:
    text = f"FROM python:3.12\nENV SMTP_PASSWORD {PASSWORD}\n"
    assert findings(tmp_path, text, capsys) == ["2:5 FLY103"]


def test_heredoc_bodies_are_not_instructions(tmp_path: Path, capsys) -> None:
    # dockerfile-parse 2.0.1 reports the body lines below as ENV and ECHO instructions.
    text = (
        "FROM python:3.12\n"
        "RUN <<EOF\n"
        f"ENV SMTP_PASSWORD={PASSWORD}\n"
        "EOF\n"
        "COPY <<-CONFIG /etc/app.env\n"
        f"\tENV SMTP_PASSWORD={PASSWORD}\n"
        "\tCONFIG\n"
        f"ENV MAIL_PASSWORD={PASSWORD}\n"
    )
    assert findings(tmp_path, text, capsys) == ["8:5 FLY103"]


def test_backtick_escape_directive(tmp_path: Path, capsys) -> None:
    text = (
        "# escape=`\n"
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "ENV A=C:\\app `\n"
        f"    SMTP_PASSWORD={PASSWORD}\n"
    )
    assert findings(tmp_path, text, capsys) == ["4:5 FLY103"]


def test_crlf_and_bom(tmp_path: Path, capsys) -> None:
    text = f"\ufeffFROM python:3.12\r\nENV A=1 \\\r\n    SMTP_PASSWORD={PASSWORD}\r\n"
    (tmp_path / "Dockerfile").write_bytes(text.encode("utf-8"))
    main(["check", str(tmp_path / "Dockerfile"), "--format", "concise"])
    assert capsys.readouterr().out.startswith(f"{tmp_path}/Dockerfile:3:5: FLY103 ")


def test_dockerfile_names_discovered(tmp_path: Path, capsys) -> None:
    bad = f"FROM python:3.12\nENV SMTP_PASSWORD={PASSWORD}\n"
    names = ["Dockerfile", "dockerfile", "Dockerfile.prod", "api.Dockerfile", "web.dockerfile",
             "Containerfile", "Dockerfile.d/notes.txt", "docker-compose.yml"]  # fmt: skip
    for name in names:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(bad, encoding="utf-8")
    main(["check", str(tmp_path), "--format", "concise"])
    linted = sorted(
        Path(line.split(":")[0]).relative_to(tmp_path).as_posix()
        for line in capsys.readouterr().out.splitlines()
    )
    assert linted == sorted(names[:6])


def test_fly_toml_names_the_dockerfile(tmp_path: Path, capsys) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "web.build").write_text(
        f"FROM python:3.12\nENV SMTP_PASSWORD={PASSWORD}\n", encoding="utf-8"
    )
    (tmp_path / "fly.toml").write_text(
        'app = "web"\n[build]\n  dockerfile = "deploy/web.build"\n', encoding="utf-8"
    )
    main(["check", str(tmp_path), "--format", "concise"])
    assert capsys.readouterr().out.startswith(f"{tmp_path}/deploy/web.build:2:5: FLY103 ")
    # Named explicitly, a fly.toml is linted alone: its Dockerfile is only consulted.
    main(["check", str(tmp_path / "fly.toml"), "--format", "concise"])
    assert "web.build" not in capsys.readouterr().out


def test_missing_dockerfile_named_by_fly_toml_is_a_warning(tmp_path: Path, capsys) -> None:
    (tmp_path / "fly.toml").write_text('[build]\n  dockerfile = "Nope"\n', encoding="utf-8")
    code = main(["check", str(tmp_path), "--format", "concise"])
    assert code == 0
    assert "fly.toml: [build] dockerfile names " in capsys.readouterr().err
    # Named explicitly (as pre-commit does), the fly.toml is linted alone and quietly.
    assert main(["check", str(tmp_path / "fly.toml"), "--format", "concise"]) == 0
    assert capsys.readouterr().err == ""


DOCKERFILES = sorted(
    path
    for root in (Path(__file__).parent / "fixtures", Path(__file__).parent.parent / "examples")
    for path in root.rglob("*")
    if path.is_file() and classify(path.name) is FileKind.DOCKERFILE
)


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name + ":" + p.parent.name)
def test_the_from_lines_give_the_final_image_the_parser_gives(path: Path) -> None:
    """The final image of a config's Dockerfile is read from its FROM lines alone (a
    fly.toml run need not parse the Dockerfile); it agrees with the full parse."""
    source = reading.decode(path, FileKind.DOCKERFILE, path.read_bytes())
    if isinstance(source, Diagnostic):
        pytest.skip("not text")
    parsed = dockerfile.parse(source)
    if isinstance(parsed, Diagnostic):
        pytest.skip("does not parse")
    assert dockerfile.final_image(dockerfile.stages_in(source.text)) == parsed.final_image


def test_from_lines_with_flags_stages_and_case() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"
        "ARG BASE=python:3.12\n"
        "from --platform=$BUILDPLATFORM node:20 AS assets\n"
        "FROM postgres:16-alpine as db\n"
        "  FROM db\n"
        "RUN echo FROM nothing\n"
    )
    assert dockerfile.final_image(dockerfile.stages_in(text)) == "postgres:16-alpine"


@pytest.mark.parametrize("end", ["\\\n", "\\", "\\\n\n\n"], ids=["newline", "eof", "blank-lines"])
def test_a_last_line_continued_into_nothing_keeps_its_secret(
    end: str, tmp_path: Path, capsys
) -> None:
    """BuildKit builds an instruction whose last line ends with the escape character at the
    end of the file; its secret must not be lost with it."""
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12\nENV A=1 \\\n    GITHUB_TOKEN=ghp_0FlyLint0FlyLint0FlyLint0FlyLint0Fly "
        + end,
        encoding="utf-8",
    )
    assert main(["check", "--no-cache", "--format", "concise", str(tmp_path / "Dockerfile")]) == 1
    assert ":3:5: FLY103 ENV GITHUB_TOKEN bakes a credential" in capsys.readouterr().out
