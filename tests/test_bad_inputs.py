"""Inputs that try to break flylint: each gives a clear message and the right exit code,
and the rest of the run goes on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flylint.cli import main

KINDS = ["fly.toml", "Dockerfile", "app.py"]
INSECURE = b"[http_service]\n  internal_port = 8080\n  force_https = false\n"


def lint(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", "--format", "concise", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def with_witness(tmp_path: Path) -> Path:
    """A second app with a known finding, to show the run went on."""
    (tmp_path / "witness").mkdir()
    (tmp_path / "witness" / "fly.toml").write_bytes(INSECURE)
    return tmp_path


@pytest.mark.parametrize("name", KINDS)
def test_empty_file(name: str, tmp_path: Path, capsys) -> None:
    (tmp_path / name).write_bytes(b"")
    assert lint(capsys, str(tmp_path / name)) == (0, "", "")


@pytest.mark.parametrize("name", KINDS)
def test_invalid_utf8_is_fly000_at_its_line(name: str, tmp_path: Path, capsys) -> None:
    (tmp_path / name).write_bytes(b"# ok\n# ok\nx = '\xff\xfe'\n")
    code, out, _ = lint(capsys, str(with_witness(tmp_path)))
    assert code == 1
    assert f"{tmp_path / name}:3:1: FLY000 [high] file is not valid UTF-8" in out
    assert "witness/fly.toml:3:3: FLY201" in out


@pytest.mark.parametrize("name", KINDS)
def test_binary_file_is_fly000(name: str, tmp_path: Path, capsys) -> None:
    (tmp_path / name).write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    code, out, _ = lint(capsys, str(tmp_path / name))
    assert code == 1
    assert (
        out
        == f"{tmp_path / name}:1:1: FLY000 [high] binary file (contains NUL bytes); not linted\n"
    )


@pytest.mark.parametrize("ending", [b"\r\n", b"\r"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_bom_and_line_endings_are_accepted(ending: bytes, bom: bytes, tmp_path: Path, capsys):
    python = b"import requests\n\n\nrequests.get('https://billing.fly.dev')\n"
    (tmp_path / "app.py").write_bytes(bom + python.replace(b"\n", ending))
    (tmp_path / "fly.toml").write_bytes(bom + INSECURE.replace(b"\n", ending))
    code, out, _ = lint(capsys, str(tmp_path), "--select", "FLY201,FLY401")
    assert code == 1
    assert [line.split(": ")[0].rsplit("/", 1)[-1] for line in out.splitlines()] == [
        "app.py:4:1",
        "fly.toml:3:3",
    ]


def test_50_megabyte_file_is_skipped_with_a_notice(tmp_path: Path, capsys) -> None:
    with (tmp_path / "fly.toml").open("wb") as huge:
        huge.truncate(50 * 1024 * 1024)
    code, out, _ = lint(capsys, str(with_witness(tmp_path)))
    assert code == 1  # the witness's finding; a skip is not an error
    assert "fly.toml:1:1: skipped: 50.0 MB is over the 5 MB limit" in out
    assert "witness/fly.toml:3:3: FLY201" in out


@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 5000 + "]" * 5000 + "\n",
        "a = " + "{b = " * 2000 + "1" + "}" * 2000 + "\n",
        "".join(f"[{'t.' * 200}x{n}]\nk = 1\n" for n in range(50)),
    ],
    ids=["arrays", "inline-tables", "dotted-tables"],
)
def test_deeply_nested_toml(text: str, tmp_path: Path, capsys) -> None:
    (tmp_path / "fly.toml").write_text(text, encoding="utf-8")
    code, out, err = lint(capsys, str(tmp_path))
    assert code in (0, 1)
    assert "internal error" not in err
    assert out in (
        "",
        f"{tmp_path}/fly.toml:1:1: FLY000 [high] invalid TOML: nested too deeply\n",
        f"{tmp_path}/fly.toml:1:1: FLY001 [high] unknown table [t]: flyctl ignores it, so none of "
        "its settings apply\n",
    )


@pytest.mark.parametrize("name", ["fly.toml", "Dockerfile"])
def test_100000_lines(name: str, tmp_path: Path, capsys) -> None:
    line = {"fly.toml": "# comment\n", "Dockerfile": "RUN true\n"}[name]
    secret = {"fly.toml": '[env]\nSMTP_PASSWORD = "summer-Rain-77"\n',
              "Dockerfile": "ENV SMTP_PASSWORD=summer-Rain-77\n"}[name]  # fmt: skip
    start = "FROM python:3.12\n" if name == "Dockerfile" else ""
    (tmp_path / name).write_text(start + line * 100_000 + secret, encoding="utf-8")
    began = time.perf_counter()
    code, out, _ = lint(capsys, str(tmp_path / name))
    assert code == 1
    assert ":10000" in out.split(": ")[0]  # the line number, past 100,000
    assert time.perf_counter() - began < 30


def test_huge_python_file_is_skipped_with_a_notice(tmp_path: Path, capsys) -> None:
    body = 'SMTP_PASSWORD = "summer-Rain-77"\n' + "x = 1\n" * 200_000
    (tmp_path / "generated_pb2.py").write_text(body, encoding="utf-8")
    began = time.perf_counter()
    code, out, _ = lint(capsys, str(with_witness(tmp_path)))
    assert time.perf_counter() - began < 5
    assert code == 1
    assert "generated_pb2.py:1:1: skipped: 1171 KB is over the 1024 KB limit for Python" in out
    assert "witness/fly.toml:3:3: FLY201" in out


def test_directory_named_fly_toml(tmp_path: Path, capsys) -> None:
    (tmp_path / "fly.toml").mkdir()
    (tmp_path / "fly.toml" / "Dockerfile").write_text(
        "FROM python\nENV SMTP_PASSWORD=summer-Rain-77\n", encoding="utf-8"
    )
    code, out, err = lint(capsys, str(tmp_path))
    assert code == 1
    assert out.startswith(f"{tmp_path}/fly.toml/Dockerfile:2:5: FLY103 ")
    assert err == ""


def test_fifo_named_like_a_config_is_not_read(tmp_path: Path, capsys) -> None:
    os.mkfifo(tmp_path / "fly.toml")
    code, out, _ = lint(capsys, str(with_witness(tmp_path)))
    assert code == 2
    assert "fly.toml:1:1: not a regular file" in out
    assert "witness/fly.toml:3:3: FLY201" in out


def test_paths_with_spaces_and_non_ascii_names(tmp_path: Path, monkeypatch, capsys) -> None:
    app = tmp_path / "my apps" / "café"
    app.mkdir(parents=True)
    (app / "fly.toml").write_bytes(INSECURE)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    code, out, _ = lint(capsys, "my apps")
    assert code == 1
    assert "my apps/café/fly.toml:3:3: FLY201 " in out
    main(["check", "my apps", "--format", "sarif"])
    log = json.loads(capsys.readouterr().out)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]}  # fmt: skip
    assert uris == {"my%20apps/caf%C3%A9/fly.toml"}


def test_a_string_escape_python_rejects_but_libcst_reads(tmp_path: Path, capsys) -> None:
    # Found by the long fuzz profile: "\x." is no escape Python accepts.
    text = 'import httpx\nBASE = "https://\\x.fly.dev"\nhttpx.get(BASE)\n'
    (tmp_path / "settings.py").write_text(text, encoding="utf-8")
    code, _, err = lint(capsys, str(tmp_path))
    assert code in (0, 1)
    assert "internal error" not in err


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ('[[services]]\n  internal_port = 8080\n  [[services.ports]]\n    port = "²"\n',
         ':5:5: FLY002 [high] port must be a port number, not the string "²"'),
        (f'[http_service]\n  internal_port = "{"7" * 5000}"\n  force_https = true\n',
         ":3:3: FLY002 [high] internal_port must be an integer, not the string"),
    ],
)  # fmt: skip
def test_digits_int_cannot_read_are_not_a_port(text: str, finding: str, tmp_path, capsys):
    """``"²".isdigit()`` is true and ``int("²")`` fails; so does ``int`` of 5,000 digits."""
    (tmp_path / "fly.toml").write_text(f'app = "shop"\n{text}', encoding="utf-8")
    code, out, err = lint(capsys, str(tmp_path))
    assert (code, err) == (1, "")
    assert finding in out


@pytest.mark.parametrize(
    "setting",
    [f"SECURE_HSTS_SECONDS = {'9' * 5000}", 'SECURE_HSTS_SECONDS = int(os.environ.get("H", "²"))'],
)
def test_a_number_python_cannot_read_in_django_settings(setting: str, tmp_path, capsys) -> None:
    (tmp_path / "fly.toml").write_bytes(b'app = "shop"\n' + INSECURE)
    (tmp_path / "settings.py").write_text(f"import os\n{setting}\n", encoding="utf-8")
    code, out, err = lint(capsys, str(tmp_path))
    assert (code, err) == (1, "")
    assert "fly.toml:4:3: FLY201" in out


def test_an_escape_python_warns_about_is_not_flylints_to_print(tmp_path: Path) -> None:
    """Python warns on ``"\\e"`` (a SyntaxWarning shown by default since 3.12): linting the
    file must not print Python's warning about the user's code."""
    (tmp_path / "app.py").write_text(
        'import requests\nPATTERN = "\\e[0m"\nrequests.get("https://billing.fly.dev/x")\n',
        encoding="utf-8",
    )
    command = ["check", "--no-cache", "--format", "concise", "app.py"]
    result = subprocess.run(
        [sys.executable, "-W", "default", "-m", "flylint", *command],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (1, "")
    assert "app.py:3:1: FLY401" in result.stdout


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "sarif", "github"])
def test_a_file_name_that_is_not_utf8(fmt: str, tmp_path: Path, capsys) -> None:
    """Linux names are bytes: b"app\\xff" reaches Python as "app\\udcff", which no UTF-8
    output can hold. Every format prints valid UTF-8; JSON keeps the name (as an escape a
    JSON reader turns back into it), SARIF its bytes (percent-encoded)."""
    directory = os.fsdecode(os.fsencode(tmp_path) + b"/app\xff")
    try:
        Path(directory).mkdir()
    except (OSError, UnicodeError):
        pytest.skip("this filesystem takes only UTF-8 names")
    Path(directory, "Dockerfile").write_text(
        "FROM node:20\nENV STRIPE_SECRET_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc\n", "utf-8"
    )
    code = main(["check", "--no-cache", "--format", fmt, directory])
    out, err = capsys.readouterr()
    assert (code, err) == (1, "")
    out.encode("utf-8")  # strict: no lone surrogate
    if fmt == "json":
        (finding,) = json.loads(out)["findings"]
        assert os.fsencode(finding["path"]).endswith(b"/app\xff/Dockerfile")
    elif fmt == "sarif":
        (result,) = json.loads(out)["runs"][0]["results"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.endswith("/app%FF/Dockerfile")
    else:
        assert "app\\udcff" in out and "FLY103" in out


@pytest.mark.parametrize("named", ["app", "app/fly.toml"])
def test_a_dockerfile_path_no_file_can_have(named: str, tmp_path, monkeypatch, capsys) -> None:
    """TOML strings may hold a NUL or an escape sequence; a path with a NUL names no file,
    and the warning about it must not drive the terminal."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "fly.toml").write_bytes(
        b'app = "shop"\n[build]\n  dockerfile = "Docker\\u0000file\\u001b[2J"\n' + INSECURE
    )
    # No file has that name, so nothing deploys the config as it is: its findings are of
    # low confidence, and still made.
    code, out, err = lint(capsys, named, "--min-confidence", "low")
    assert code == 1
    assert "app/fly.toml:6:3: FLY201 [low]" in out
    assert err == ""
    if named == "app":
        assert (
            "app/fly.toml:1:1: [build] dockerfile names "
            "app/Docker\\x00file\\x1b[2J, which does not exist\n"
        ) in out


@pytest.mark.parametrize(
    ("expression", "outcome"),
    [
        ("+".join(["1"] * 600), ":1:1: skipped: nested more than 200 levels deep"),
        (" ".join(['"a"'] * 600), ":4:1: FLY401 [medium] requests.get calls billing"),
    ],
)
def test_python_nested_deeper_than_a_recursive_walk_goes(
    expression: str, outcome: str, tmp_path, capsys
) -> None:
    """Valid Python (CPython compiles it) that a recursive walk of its tree would take past
    Python's limit, and the run goes on. 600 operands of ``+`` nest 600 levels deep: the
    file is skipped with a notice. 600 literals side by side are one string to ``ast``
    (libcst, which flylint once used, nested them 600 deep): the file is linted."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "fly.toml").write_text('app = "shop"\n', encoding="utf-8")  # it ships the module
    (app / "generated.py").write_text(
        f'import requests\nURL = "https://billing.fly.dev"\nX = {expression}\nrequests.get(URL)\n',
        encoding="utf-8",
    )
    code, out, err = lint(capsys, str(with_witness(tmp_path)))
    assert code == 1
    assert "witness/fly.toml:3:3: FLY201" in out
    assert err == ""
    assert f"{app / 'generated.py'}{outcome}" in out


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        (
            "import requests\nclass A\n    pass\n",
            "app.py:2:8: FLY000 [high] invalid Python: expected ':'",
        ),
        # Columns count code points: "é" is two bytes in UTF-8, one column.
        (
            "import requests\ndef f():\n    prénom = 'é'; return = 1\n",
            "app.py:3:26: FLY000 [high] invalid Python: invalid syntax",
        ),
    ],
)
def test_invalid_python_is_reported_where_the_parser_stops(
    text: str, finding: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    """FLY000 is at the line and column CPython's parser gives, however many lines follow
    (libcst, which flylint once used, put an error that is not on the last line one line
    further down)."""
    (tmp_path / "app.py").write_text(
        text + 'requests.get("https://billing.fly.dev")\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    code = main(["check", "--no-cache", "--format", "concise", "app.py"])
    assert (code, capsys.readouterr().out) == (1, finding + "\n")
