"""Project configuration, as users write it, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from flylint.cli import main

APP = (
    'app = "shop"\n\n[env]\n  SMTP_PASSWORD = "summer-Rain-77"\n'
    '  BILLING_URL = "https://shop-staging.fly.dev"\n\n'
    "[http_service]\n  internal_port = 8080\n  force_https = false\n"
)


def lint(capsys, *args: str) -> tuple[int, list[str], str]:
    code = main(["check", "--format", "concise", *args])
    captured = capsys.readouterr()
    rules = [line.split()[1] for line in captured.out.splitlines()]
    return code, rules, captured.err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "fly.toml").write_text(APP, encoding="utf-8")
    return tmp_path


def test_without_configuration(project: Path, capsys) -> None:
    assert lint(capsys, str(project))[1] == ["FLY101", "FLY402", "FLY202", "FLY201"]


def test_pyproject_table_found_upward(project: Path, capsys) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n'
        '[tool.flylint]\nignore = ["FLY2"]\nown-apps = ["shop-staging"]\n',
        encoding="utf-8",
    )
    assert lint(capsys, str(project / "deploy"))[1] == ["FLY101"]


def test_flylint_toml_select_and_cli_ignore_add_up(project: Path, capsys) -> None:
    (project / "flylint.toml").write_text('select = ["FLY1", "FLY201"]\n', encoding="utf-8")
    assert lint(capsys, str(project))[1] == ["FLY101", "FLY201"]
    assert lint(capsys, str(project), "--ignore", "FLY101")[1] == ["FLY201"]
    assert lint(capsys, str(project), "--select", "FLY4")[1] == ["FLY402"]


def test_per_file_ignores_and_secret_allowlist(project: Path, capsys) -> None:
    (project / ".flylint.toml").write_text(
        '[per-file-ignores]\n"deploy/*.toml" = ["FLY20"]\n\n'
        '[secrets]\nallowlist = ["summer-Rain-77"]\n',
        encoding="utf-8",
    )
    assert lint(capsys, str(project))[1] == ["FLY402"]


def test_extra_secret_patterns(project: Path, capsys) -> None:
    (project / "deploy" / "fly.toml").write_text(
        '[env]\n  PARTNER = "acme_0123456789abcdef0123456789abcdef"\n', encoding="utf-8"
    )
    (project / "flylint.toml").write_text(
        '[[secrets.extra-patterns]]\nid = "acme"\ndescription = "ACME partner key"\n'
        "regex = 'acme_[0-9a-f]{32}'\n",
        encoding="utf-8",
    )
    code = main(["check", "--format", "concise", str(project)])
    out = capsys.readouterr().out
    assert code == 1
    assert "PARTNER holds a credential (ACME partner key)" in out
    assert "fly secrets set PARTNER=ac***" in out
    assert "0123456789abcdef" not in out


def test_an_extra_pattern_counts_only_what_it_matches(project: Path, capsys) -> None:
    """A zero-width match (a word boundary, a lookahead) is no credential: such a pattern
    must not turn every value into one."""
    (project / "deploy" / "fly.toml").write_text(
        '[env]\n  NODE_ENV = "production"\n  PARTNER = "acme_0123456789abcdef"\n',
        encoding="utf-8",
    )
    (project / "flylint.toml").write_text(
        '[[secrets.extra-patterns]]\nid = "acme"\ndescription = "ACME partner key"\n'
        "regex = '\\b(?=acme_[0-9a-f]{16})'\n",
        encoding="utf-8",
    )
    code, rules, err = lint(capsys, str(project))
    assert (code, err) == (0, "")
    assert rules == []


def test_explicit_config_file(project: Path, tmp_path: Path, capsys) -> None:
    other = tmp_path / "ci-flylint.toml"
    other.write_text('select = ["FLY201"]\n', encoding="utf-8")
    assert lint(capsys, str(project), "--config", str(other))[1] == ["FLY201"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('selectt = ["FLY1"]\n', "unknown configuration key selectt"),
        ('ignore = ["FLY999"]\n', "unknown rule selector 'FLY999'"),
        ('[per-file-ignores]\n"*.toml" = ["FLY2O1"]\n', "unknown rule selector 'FLY2O1'"),
        ("[secrets]\nallow = []\n", "unknown configuration key secrets.allow"),
        ('select = "FLY1"\n', "select must be a list of strings"),
        ("[[secrets.extra-patterns]]\nid = 'x'\ndescription = 'x'\nregex = '('\n", "bad regex"),
        ("[[secrets.extra-patterns]]\nid = 'x'\ndescription = 'x'\nregex = 1\n",
         "x: regex must be a string"),
        ("[[secrets.extra-patterns]]\nid = 'x'\ndescription = 'x'\nregex = 'a{99999999999}'\n",
         "x: bad regex: the repetition number is too large"),
        (f"[[secrets.extra-patterns]]\nid = 'x'\ndescription = 'x'\nregex = '{'(' * 3000}'\n",
         "x: bad regex: maximum recursion depth exceeded"),
        ("[[secrets.extra-patterns]]\nid = 'x'\ndescription = 'x'\nregex = '(acme_[a-z]{32})?'\n",
         "x: the regex matches an empty string, so it would match every value"),
        ("select = [\n", "invalid TOML"),
    ],
)  # fmt: skip
def test_configuration_errors_exit_2(project: Path, text: str, message: str, capsys) -> None:
    (project / "flylint.toml").write_text(text, encoding="utf-8")
    code, rules, err = lint(capsys, str(project))
    assert (code, rules) == (2, [])
    assert message in err
