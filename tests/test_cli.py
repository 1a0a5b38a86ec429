"""The command line as users call it: discovery, selection, exit codes, bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flylint import __version__
from flylint.cli import main
from flylint.files.reading import MAX_FILE_BYTES

INSECURE = "[http_service]\n  internal_port = 8080\n  force_https = false\n"
SECURE = (
    "[http_service]\n  internal_port = 8080\n  force_https = true\n"
    "[http_service.http_options.response.headers]\n"
    '  Strict-Transport-Security = "max-age=63072000"\n'
)


def lint(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", "--format", "concise", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_exit_codes(tmp_path: Path, capsys) -> None:
    write(tmp_path / "clean" / "fly.toml", SECURE)
    write(tmp_path / "dirty" / "fly.toml", INSECURE)
    assert lint(capsys, str(tmp_path / "clean"))[0] == 0
    assert lint(capsys, str(tmp_path / "dirty"))[0] == 1
    assert lint(capsys, str(tmp_path / "dirty"), "--exit-zero")[0] == 0


def test_default_path_is_the_current_directory(tmp_path: Path, monkeypatch, capsys) -> None:
    write(tmp_path / "fly.toml", INSECURE)
    monkeypatch.chdir(tmp_path)
    code = main(["check", "--format", "concise"])
    assert code == 1
    assert "\nfly.toml:3:3: FLY201 " in capsys.readouterr().out


def test_discovers_fly_toml_variants_and_honours_gitignore(tmp_path: Path, capsys) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", "build/\n*.local.toml\n!keep/\n")
    write(tmp_path / "fly.toml", INSECURE)
    write(tmp_path / "fly.staging.toml", INSECURE)
    write(tmp_path / "deploy" / "fly.production.toml", INSECURE)
    write(tmp_path / "pyproject.toml", INSECURE)  # not a Fly config by name
    write(tmp_path / "build" / "fly.toml", INSECURE)  # ignored directory
    write(tmp_path / "fly.dev.local.toml", INSECURE)  # ignored by pattern
    write(tmp_path / "node_modules" / "pkg" / "fly.toml", INSECURE)  # never walked
    write(tmp_path / "sub" / ".gitignore", "fly.toml\n")
    write(tmp_path / "sub" / "fly.toml", INSECURE)  # ignored by a nested .gitignore
    _, out, _ = lint(capsys, str(tmp_path), "--select", "FLY201")
    linted = sorted(
        Path(line.split(":")[0]).relative_to(tmp_path).as_posix() for line in out.splitlines()
    )
    assert linted == ["deploy/fly.production.toml", "fly.staging.toml", "fly.toml"]


def test_gitignore_of_the_enclosing_repository_applies(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".gitignore", "generated/\n")
    write(tmp_path / "apps" / "generated" / "fly.toml", INSECURE)
    write(tmp_path / "apps" / "web" / "fly.toml", INSECURE)
    monkeypatch.chdir(tmp_path / "apps")
    _, out, _ = lint(capsys, ".", "--select", "FLY201")
    assert [line.split(":")[0] for line in out.splitlines()] == ["web/fly.toml"]


def test_an_explicit_file_is_linted_whatever_its_name(tmp_path: Path, capsys) -> None:
    config = write(tmp_path / "deploy" / "staging.toml", INSECURE)
    code, out, _ = lint(capsys, str(config), "--select", "FLY201")
    assert code == 1
    assert out.startswith(f"{config}:3:3: FLY201 ")


def test_select_and_ignore(tmp_path: Path, capsys) -> None:
    write(tmp_path / "fly.toml", INSECURE)
    _, out, _ = lint(capsys, str(tmp_path))
    assert {line.split()[1] for line in out.splitlines()} == {"FLY201", "FLY202"}
    _, out, _ = lint(capsys, str(tmp_path), "--select", "FLY2", "--ignore", "FLY202")
    assert {line.split()[1] for line in out.splitlines()} == {"FLY201"}
    code, out, _ = lint(capsys, str(tmp_path), "--select", "fly1")
    assert (code, out) == (0, "")


@pytest.mark.parametrize("selector", ["FLY999", "E501", "ALLX"])
def test_unknown_selector_is_a_usage_error(selector: str, tmp_path: Path, capsys) -> None:
    code, _, err = lint(capsys, str(tmp_path), "--select", selector)
    assert code == 2
    assert f"unknown rule selector '{selector}'" in err


def test_missing_path_is_an_error_but_the_rest_is_linted(tmp_path: Path, capsys) -> None:
    write(tmp_path / "fly.toml", INSECURE)
    code, out, err = lint(capsys, str(tmp_path / "nope"), str(tmp_path))
    assert code == 2
    assert "nope: no such file or directory" in err
    assert "FLY201" in out


@pytest.mark.parametrize("form", ["text", "concise", "json"])
def test_a_missing_path_is_no_clean_result_in_any_format(tmp_path: Path, capsys, form: str) -> None:
    code = main(["check", "--format", form, str(tmp_path / "nope")])
    out = capsys.readouterr().out
    assert code == 2
    assert "No problems found" not in out
    assert "nope" in out  # listed as a path not linted
    if form == "text":
        assert out.startswith("1 path could not be linted (below)")


def test_a_run_with_nothing_to_lint_warns(tmp_path: Path, capsys) -> None:
    write(tmp_path / "README.md", "# not an app\n")
    code, out, err = lint(capsys, str(tmp_path))
    assert (code, out) == (0, "")
    assert err == (
        f"flylint: warning: nothing to lint in {tmp_path}: no Fly config, Dockerfile or "
        "Python file\n"
    )


def test_unreadable_file_is_reported_and_the_run_goes_on(tmp_path: Path, capsys) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "fly.toml").symlink_to(tmp_path / "missing-target")
    write(tmp_path / "b" / "fly.toml", INSECURE)
    code, out, err = lint(capsys, str(tmp_path))
    assert code == 2
    assert "FLY201" in out
    assert "a/fly.toml" in out + err and "No such file or directory" in out + err


def test_symlink_loops_are_not_followed(tmp_path: Path, capsys) -> None:
    write(tmp_path / "app" / "fly.toml", INSECURE)
    (tmp_path / "app" / "loop").symlink_to(tmp_path / "app", target_is_directory=True)
    code, out, _ = lint(capsys, str(tmp_path), "--select", "FLY201")
    assert code == 1
    assert len(out.splitlines()) == 1


def test_oversized_file_is_skipped_with_a_notice(tmp_path: Path, capsys) -> None:
    big = tmp_path / "fly.toml"
    with big.open("w") as f:
        f.write(INSECURE)
        f.write("# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    code, out, err = lint(capsys, str(tmp_path))
    assert code == 0
    assert "FLY" not in out
    assert "skipped" in out + err and "MB limit" in out + err


def test_output_file(tmp_path: Path, capsys) -> None:
    write(tmp_path / "fly.toml", INSECURE)
    target = tmp_path / "out.txt"
    code, out, _ = lint(capsys, str(tmp_path / "fly.toml"), "--output", str(target))
    assert code == 1
    assert out == ""
    assert "FLY201" in target.read_text(encoding="utf-8")


def test_module_entry_point_and_version() -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "flylint", "--version"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"flylint {__version__}"


def test_bad_usage_exits_2(capsys) -> None:
    assert main(["check", "--format", "xml"]) == 2
    assert main([]) == 2


def test_statistics_count_each_rules_findings_most_first(tmp_path: Path, capsys) -> None:
    write(tmp_path / "fly.toml", 'app = "web"\n' + INSECURE + "  color = 1\n  colour = 2\n")
    code = main(["check", "--statistics", str(tmp_path)])
    assert code == 1
    assert capsys.readouterr().out == (
        "    2\tFLY001\t    unknown-key\n"
        "    1\tFLY201\t[-] https-not-forced\n"
        "    1\tFLY202\t[-] hsts-missing\n"
    )


def test_quiet_prints_the_findings_without_the_summary(tmp_path: Path, capsys) -> None:
    write(tmp_path / "fly.toml", 'app = "web"\n' + INSECURE)
    assert main(["check", "-q", "--select", "FLY201", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FLY201" in out and "Found" not in out and out.endswith("confidence]\n")
    assert main(["check", "-q", str(tmp_path / "fly.toml"), "--select", "FLY003"]) == 0
    assert capsys.readouterr().out == ""


def test_exit_non_zero_on_fix(tmp_path: Path, capsys) -> None:
    config = 'app = "web"\n[http_service]\n  internal_port = "8080"\n  force_https = true\n'
    write(tmp_path / "fly.toml", config)
    args = ["--fix", "--select", "FLY002", str(tmp_path)]
    assert lint(capsys, *args)[0] == 0  # fixed: nothing remains
    write(tmp_path / "fly.toml", config)
    assert lint(capsys, "--exit-non-zero-on-fix", *args)[0] == 1
    assert "internal_port = 8080" in (tmp_path / "fly.toml").read_text(encoding="utf-8")
    assert lint(capsys, "--exit-non-zero-on-fix", *args)[0] == 0  # nothing left to fix


@pytest.mark.parametrize(("choice", "coloured"), [("always", True), ("never", False)])
def test_color_always_and_never_win_over_the_environment(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch, choice: str, coloured: bool
) -> None:
    monkeypatch.setenv("NO_COLOR" if coloured else "FORCE_COLOR", "1")
    write(tmp_path / "fly.toml", 'app = "web"\n' + INSECURE)
    main(["check", "--color", choice, "--select", "FLY201", str(tmp_path)])
    assert ("\x1b[" in capsys.readouterr().out) is coloured


TOKEN_MODULE = 'TOKEN = "ghp_R7dXk2LmQ9vT4wZp8sYc1bNf6hJu3eAoKi0M"\n'


def test_exclude_keeps_files_a_walk_finds_from_being_linted(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "vendor" / "lib.py", TOKEN_MODULE)
    write(tmp_path / "app" / "schema_generated.py", TOKEN_MODULE)
    write(tmp_path / "app" / "views.py", TOKEN_MODULE)
    write(tmp_path / "flylint.toml", 'exclude = ["vendor/", "*_generated.py"]\n')
    code, out, _ = lint(capsys, ".", "--select", "FLY106")
    assert (code, [line.split(":")[0] for line in out.splitlines()]) == (1, ["app/views.py"])
    # Named on the command line, a file is linted unless --force-exclude (pre-commit's).
    assert lint(capsys, "vendor/lib.py", "--select", "FLY106")[0] == 1
    assert lint(capsys, "--force-exclude", "vendor/lib.py", "--select", "FLY106") == (0, "", "")
    # --extend-exclude adds to the configuration's; --exclude stands in for it.
    assert lint(capsys, "--extend-exclude", "app/", ".", "--select", "FLY106")[0] == 0
    code, out, _ = lint(capsys, "--exclude", "app/views.py", ".", "--select", "FLY106")
    assert sorted(line.split(":")[0] for line in out.splitlines()) == [
        "app/schema_generated.py",
        "vendor/lib.py",
    ]


def test_an_unknown_exclude_value_is_a_configuration_error(tmp_path: Path, capsys) -> None:
    write(tmp_path / "flylint.toml", 'exclude = "vendor/"\n')
    write(tmp_path / "app.py", "x = 1\n")
    code, _, err = lint(capsys, str(tmp_path))
    assert code == 2 and "exclude must be a list of strings" in err
