"""Dockerfile forms that dockerfile-parse gets wrong or leaves unlocated, through the CLI:
each finding must land on the physical line and column of its ``key=value``."""

from __future__ import annotations

import time
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
    assert "fly.toml:1:1: [build] dockerfile names " in capsys.readouterr().out
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
    assert ":3:5: FLY103 [high] ENV GITHUB_TOKEN bakes a credential" in capsys.readouterr().out


# --- The parser itself ---------------------------------------------------------------------


def parse(text: str) -> dockerfile.Dockerfile:
    source = reading.Source(Path("Dockerfile"), FileKind.DOCKERFILE, reading.normalize(text))
    parsed = dockerfile.parse(source)
    assert isinstance(parsed, dockerfile.Dockerfile)
    return parsed


def outline(text: str) -> list[tuple[str, int, int]]:
    """Each instruction as (keyword, first line, last line)."""
    return [(i.keyword, i.span.line, i.span.end_line) for i in parse(text).instructions]


def located(instruction: dockerfile.Instruction) -> list[tuple[str, int, int, int, int]]:
    return [(w.text, *w.span) for w in instruction.words]


@pytest.mark.parametrize("line", ["ENV A=1 \\\n", "RUN echo \\\n"], ids=["env", "run"])
def test_a_long_continued_instruction_parses_in_linear_time(line: str) -> None:
    """200,000 continuation lines took dockerfile-parse 39 s (quadratic: it grew each
    instruction's text by string concatenation); the bound is generous, for slow CI."""
    lines = 200_000
    text = "FROM python:3.12\n" + line * lines + "    LAST=1\n"
    started = time.process_time()
    parsed = parse(text)
    elapsed = time.process_time() - started
    assert elapsed < 3, f"{elapsed:.1f} s"
    assert [(i.keyword, i.span.line, i.span.end_line) for i in parsed.instructions] == [
        ("FROM", 1, 1),
        (line.split()[0], 2, lines + 2),
    ]
    words = parsed.instructions[1].words
    assert len(words) == 2 * lines
    assert (words[-1].text, *words[-1].span) == ("LAST=1", lines + 2, 5, lines + 2, 11)


def test_heredoc_bodies_belong_to_their_instruction() -> None:
    text = (
        "FROM python:3.12\n"  # 1
        "RUN <<EOF\n"
        "ENV SMTP_PASSWORD=x\n"
        "  EOF\n"  # not the delimiter: not alone on its line
        "EOF\n"  # 5
        'COPY --chmod=600 <<-"CONF" /etc/app.env\n'
        "\tFROM alpine\n"
        "\tCONF\n"
        "RUN python3 - <<'PY' \\\n"
        "    && echo done\n"  # 10: the heredoc body starts after the continued line
        "print('RUN me')\n"
        "PY\n"
        "onbuild run <<EOF\n"
        "USER root\n"
        "EOF\n"  # 15
        "USER app\n"
    )
    assert outline(text) == [
        ("FROM", 1, 1), ("RUN", 2, 5), ("COPY", 6, 8), ("RUN", 9, 12), ("ONBUILD", 13, 15),
        ("USER", 16, 16),
    ]  # fmt: skip
    assert parse(text).stages == (dockerfile.Stage("python:3.12", None),)


def test_what_opens_no_heredoc() -> None:
    text = (
        'RUN ["sh", "-c", "cat <<EOF"]\n'  # the JSON form runs no shell
        "ENV A=<<EOF\n"  # only RUN, COPY and ADD have heredocs
        "RUN echo '<<EOF'\n"  # quoted
        "RUN cat<<EOF\n"  # BuildKit wants the word to start with <<
        "EOF\n"
    )
    assert [keyword for keyword, _, _ in outline(text)] == ["RUN", "ENV", "RUN", "RUN", "EOF"]


def test_an_unterminated_heredoc_runs_to_the_end() -> None:
    # BuildKit refuses the file; its lines are a body, not instructions.
    assert outline("RUN <<EOF\nENV SMTP_PASSWORD=x\n" + "echo\n" * 1000) == [("RUN", 1, 1002)]


def test_comment_and_blank_lines_inside_a_continuation_are_skipped() -> None:
    text = (
        "ENV A=1 \\\n"
        "  # SMTP_PASSWORD=commented-out\n"
        "\n"
        "    \t\n"
        "# another\n"
        '    B="two words" \\\n'
        "    C=3\n"
        "# after the instruction\n"
        "USER app\n"
    )
    env, user = parse(text).instructions
    assert (env.keyword, env.span.line, env.span.end_line) == ("ENV", 1, 7)
    assert located(env) == [("A=1", 1, 5, 1, 8), ("B=two words", 6, 5, 6, 18), ("C=3", 7, 5, 7, 8)]
    assert (user.keyword, user.span.line) == ("USER", 9)


def test_positions_of_instructions_and_words() -> None:
    text = (
        "# syntax=docker/dockerfile:1\n"  # 1
        "\n"
        "  from python:3.12 AS base\n"
        "Env KEY=value\\\n"
        "CONTINUED=yes\n"  # 5: no space: one word with the line above
        "RUN echo \\\\\n"  # an escaped escape: not a continuation
        "USER app\n"
        "ARG A=1 \\\n"
        "    B=2 \\"  # 9: continued into the end of the file, still an instruction
    )
    instructions = parse(text).instructions
    assert [(i.keyword, *i.span) for i in instructions] == [
        ("FROM", 3, 1, 3, 27), ("ENV", 4, 1, 5, 14), ("RUN", 6, 1, 6, 12), ("USER", 7, 1, 7, 9),
        ("ARG", 8, 1, 9, 10),
    ]  # fmt: skip
    assert [i.stage for i in instructions] == [0, 0, 0, 0, 0]
    assert located(instructions[0]) == [
        ("python:3.12", 3, 8, 3, 19), ("AS", 3, 20, 3, 22), ("base", 3, 23, 3, 27),
    ]  # fmt: skip
    assert located(instructions[1]) == [("KEY=valueCONTINUED=yes", 4, 5, 5, 14)]
    assert located(instructions[2]) == [("echo", 6, 5, 6, 9), ("\\", 6, 10, 6, 12)]
    assert located(instructions[4]) == [("A=1", 8, 5, 8, 8), ("B=2", 9, 5, 9, 8)]


def test_escape_directive() -> None:
    text = '# syntax=docker/dockerfile:1\n# escape=`\nENV A=C:\\dir `\n    B=`"x`"\n'
    (env,) = parse(text).instructions
    assert located(env) == [("A=C:\\dir", 3, 5, 3, 13), ('B="x"', 4, 5, 4, 12)]
    # Directives end at the first line that is not one: an unknown key ends them too.
    text = "# foo=bar\n# escape=`\nENV A=1 \\\n    B=2\n"
    assert [len(i.words) for i in parse(text).instructions] == [2]


@pytest.mark.parametrize(
    "text",
    [
        "\\\n" * 100_000,
        "\\" * 1_000_001,
        "RUN " + "\\" * 1_000_001,
        'ENV A="' + 'x \\" ' * 200_000,
        "RUN " + "<<A " * 100_000 + "\n" + "A\n" * 10,
        "RUN " + "[" * 100_000 + " <<EOF\nEOF\n",
        "# escape=" + " " * 1_000_000 + "`\nRUN x\n",
        "ENV A=1 \\\n" + "# c\n\n" * 100_000 + "B=2\n",
    ],
    ids=[
        "backslash-lines", "backslashes", "escaped-backslashes", "quotes-and-escapes",
        "many-heredocs", "nested-brackets", "long-directive", "comments-in-continuation",
    ],
)  # fmt: skip
def test_hostile_input_parses_quickly(text: str) -> None:
    started = time.process_time()
    parse(text)
    assert time.process_time() - started < 3
