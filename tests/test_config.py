"""Project configuration, as users write it, through the CLI; and its resolution per file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from flylint.cli import main
from flylint.registry.selection import UsageError
from flylint.repository import settings

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
    """A zero-width match (a word boundary before an optional group) is no credential:
    such a pattern must not turn every value into one."""
    (project / "deploy" / "fly.toml").write_text(
        '[env]\n  NODE_ENV = "production"\n  PARTNER = "acme_0123456789abcdef"\n',
        encoding="utf-8",
    )
    (project / "flylint.toml").write_text(
        '[[secrets.extra-patterns]]\nid = "acme"\ndescription = "ACME partner key"\n'
        "regex = '\\b(?:acme_[0-9a-f]{32})?'\n",
        encoding="utf-8",
    )
    code, rules, err = lint(capsys, str(project))
    assert (code, err) == (0, "")
    assert rules == []


def test_an_extra_pattern_is_matched_in_linear_time(project: Path, capsys) -> None:
    """``^(a+)+$`` backtracks in Python's ``re``: 7-17 s on a 28-character value,
    doubling with each character more (a value no longer, so that a regression fails the
    test within a minute rather than hang it). RE2 matches it at once."""
    (project / "deploy" / "fly.toml").write_text(
        f'[env]\n  PARTNER = "{"a" * 29}b"\n  OTHER = "{"a" * 40}"\n', encoding="utf-8"
    )
    (project / "flylint.toml").write_text(
        "[[secrets.extra-patterns]]\nid = 'evil'\ndescription = 'all a'\nregex = '^(a+)+$'\n",
        encoding="utf-8",
    )
    started = time.perf_counter()
    code = main(["check", "--no-cache", "--format", "concise", str(project)])
    assert time.perf_counter() - started < 1
    out = capsys.readouterr().out
    assert code == 1
    assert "OTHER holds a credential (all a)" in out
    assert "PARTNER" not in out


@pytest.mark.parametrize(
    ("regex", "reason"),
    [
        ("(tok)_\\1", "invalid escape sequence: \\1"),
        ("(?=acme_)[a-z_0-9]+", "invalid perl operator: (?="),
        ("(?P<k>x)(?P=k)", "invalid perl operator: (?P"),
    ],
)
def test_an_extra_pattern_re2_cannot_run_is_an_error(
    project: Path, capsys, regex: str, reason: str
) -> None:
    (project / "flylint.toml").write_text(
        "[[secrets.extra-patterns]]\nid = 'partner-token'\ndescription = 'Partner'\n"
        f"regex = '{regex}'\n",
        encoding="utf-8",
    )
    code, rules, err = lint(capsys, str(project))
    assert (code, rules) == (2, [])
    assert f"secrets.extra-patterns partner-token: regex not supported: {reason}" in err
    assert "no backreferences, lookahead or lookbehind" in err
    assert "summer-Rain-77" not in err  # the project's values are not quoted
    assert "re2.cc" not in err  # nor is RE2's own log


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
        ("[[secrets.extra-patterns]]\nid = 'x'\ndescription = 'x'\nregex = 'a{1001}'\n",
         "x: regex not supported: invalid repetition size: {1001}"),
        (f"[[secrets.extra-patterns]]\nid = 'x'\ndescription = 'x'\nregex = '{'(' * 3000}'\n",
         "x: bad regex: missing ): (((("),
        ("[[secrets.extra-patterns]]\nid = 'x'\ndescription = 'x'\nregex = '(?<=k)v'\n",
         "x: regex not supported: invalid perl operator: (?<"),
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


# The configuration of each file: settings.Resolver.


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def file_in(root: Path, relative: str) -> str:
    """The resolved absolute path str the Resolver is asked about (the file need not exist)."""
    return str(root.resolve() / relative)


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """Two sub-projects: ``a`` ignores FLY201 in its pyproject.toml, ``b`` has none."""
    root = tmp_path / "repo"
    write(
        root / "a" / "pyproject.toml",
        '[project]\nname = "a"\n\n[tool.flylint]\nignore = ["FLY201"]\n',
    )
    write(root / "a" / "fly.toml", APP)
    write(root / "b" / "fly.toml", APP)
    return root


@pytest.mark.parametrize("order", [("a", "b"), ("b", "a")])
def test_each_file_gets_its_nearest_configuration(monorepo: Path, order: tuple[str, str]) -> None:
    resolver = settings.Resolver(str(monorepo.resolve()))
    got = {name: resolver.for_file(file_in(monorepo, f"{name}/fly.toml")) for name in order}
    assert got["a"].path == monorepo.resolve() / "a" / "pyproject.toml"
    assert got["a"].ignore == ["FLY201"]
    assert got["b"] == settings.Config()
    deeper = resolver.for_file(file_in(monorepo, "a/src/app/main.py"))
    assert deeper is got["a"]
    assert resolver.for_file(file_in(monorepo, "top.py")) == settings.Config()
    assert resolver.configs() == [got["a"]]


def test_a_configuration_at_the_root_serves_the_sub_project_without_one(monorepo: Path) -> None:
    write(monorepo / "flylint.toml", 'ignore = ["FLY4"]\n')
    resolver = settings.Resolver(str(monorepo.resolve()))
    assert resolver.for_file(file_in(monorepo, "b/fly.toml")).ignore == ["FLY4"]
    assert resolver.for_file(file_in(monorepo, "a/fly.toml")).ignore == ["FLY201"]  # not merged
    assert resolver.for_file(file_in(monorepo, "fly.toml")).ignore == ["FLY4"]
    assert [c.ignore for c in resolver.configs()] == [["FLY4"], ["FLY201"]]


def test_the_search_stops_at_the_root(tmp_path: Path) -> None:
    write(tmp_path / "flylint.toml", 'ignore = ["FLY2"]\n')
    root = tmp_path / "repo"
    (root / "deploy").mkdir(parents=True)
    resolver = settings.Resolver(str(root.resolve()))
    assert resolver.for_file(file_in(root, "deploy/fly.toml")) == settings.Config()
    assert resolver.for_file(file_in(root, "fly.toml")) == settings.Config()
    assert resolver.configs() == []


def test_a_file_outside_the_root_gets_only_its_own_directory(tmp_path: Path) -> None:
    write(tmp_path / "flylint.toml", 'ignore = ["FLY2"]\n')
    write(tmp_path / "elsewhere" / ".flylint.toml", 'ignore = ["FLY1"]\n')
    (tmp_path / "repo").mkdir()
    resolver = settings.Resolver(str((tmp_path / "repo").resolve()))
    assert resolver.for_file(file_in(tmp_path, "elsewhere/x.py")).ignore == ["FLY1"]
    assert resolver.for_file(file_in(tmp_path, "other/x.py")) == settings.Config()


def test_a_pyproject_without_a_flylint_table_is_passed_over(tmp_path: Path) -> None:
    write(tmp_path / ".flylint.toml", 'select = ["FLY1"]\n')
    write(tmp_path / "svc" / "pyproject.toml", '[project]\nname = "svc"\n')
    write(
        tmp_path / "lib" / "pyproject.toml",
        '[project]\nname = "lib"\ndependencies = ["flylint>=1"]\n\n[tool.ruff]\nline-length = 99\n',
    )
    resolver = settings.Resolver(str(tmp_path.resolve()))
    for name in ("svc", "lib"):
        config = resolver.for_file(file_in(tmp_path, f"{name}/fly.toml"))
        assert config.path == tmp_path.resolve() / ".flylint.toml"
    assert len(resolver.configs()) == 1


def test_in_one_directory_flylint_toml_comes_first(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.flylint]\nignore = ["FLY3"]\n')
    write(tmp_path / ".flylint.toml", 'ignore = ["FLY2"]\n')
    resolver = settings.Resolver(str(tmp_path.resolve()))
    assert resolver.for_file(file_in(tmp_path, "x.py")).ignore == ["FLY2"]
    write(tmp_path / "flylint.toml", 'ignore = ["FLY1"]\n')
    resolver = settings.Resolver(str(tmp_path.resolve()))
    assert resolver.for_file(file_in(tmp_path, "x.py")).ignore == ["FLY1"]


def test_a_forced_configuration_serves_every_file(monorepo: Path, tmp_path: Path) -> None:
    forced = write(tmp_path / "ci-flylint.toml", 'select = ["FLY201"]\n')
    resolver = settings.Resolver(str(monorepo.resolve()), forced)
    configs = [resolver.for_file(file_in(monorepo, f"{n}/fly.toml")) for n in ("a", "b", "c")]
    assert configs == [settings.load(forced)] * 3
    assert resolver.configs() == [settings.load(forced)]


def test_a_bad_configuration_is_an_error_every_time_it_is_needed(monorepo: Path) -> None:
    write(monorepo / "b" / "flylint.toml", 'selectt = ["FLY1"]\n')
    resolver = settings.Resolver(str(monorepo.resolve()))
    assert resolver.for_file(file_in(monorepo, "a/fly.toml")).ignore == ["FLY201"]
    for _ in range(2):
        with pytest.raises(UsageError, match="unknown configuration key selectt"):
            resolver.for_file(file_in(monorepo, "b/fly.toml"))
    with pytest.raises(UsageError, match="unknown configuration key selectt"):
        settings.Resolver(str(monorepo.resolve()), monorepo / "b" / "flylint.toml")


def test_each_directory_is_looked_at_once_and_each_file_loaded_once(
    monorepo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(monorepo / "flylint.toml", 'ignore = ["FLY4"]\n')
    loads: list[Path] = []
    looks: list[str] = []
    real_load, real_declared_in = settings.load, settings._declared_in

    def counting_load(path: Path) -> settings.Config:
        loads.append(path)
        return real_load(path)

    def counting_declared_in(directory: str) -> Path | None:
        looks.append(directory)
        return real_declared_in(directory)

    monkeypatch.setattr(settings, "load", counting_load)
    monkeypatch.setattr(settings, "_declared_in", counting_declared_in)
    resolver = settings.Resolver(str(monorepo.resolve()))
    names = [f"{p}/{d}/f{i}.py" for p in ("a", "b") for d in ("x", "y/z") for i in range(50)]
    for _ in range(2):
        for name in [*names, *reversed(names)]:
            resolver.for_file(file_in(monorepo, name))
    assert sorted(loads) == sorted(
        [monorepo.resolve() / "flylint.toml", monorepo.resolve() / "a" / "pyproject.toml"]
    )
    assert len(looks) == len(set(looks))
    assert len(resolver.configs()) == 2


PER_FILE = """
[per-file-ignores]
"**/gen/**" = ["FLY101"]
"scripts/" = ["FLY102"]
"/top.py" = ["FLY103"]
"*.py" = ["FLY104"]
"deploy/*.toml" = ["FLY105"]
"!src/**" = ["FLY106"]
"""


@pytest.mark.parametrize(
    ("relative", "ignored"),
    [
        ("svc/gen/x.toml", ["FLY101", "FLY106"]),  # **/gen/** matches a top-level gen/
        ("svc/a/b/gen/x.toml", ["FLY101", "FLY106"]),
        ("svc/scripts/deep/run.sh", ["FLY102", "FLY106"]),  # a directory: all under it
        ("svc/lib/scripts/run.sh", ["FLY102", "FLY106"]),  # at any depth
        ("svc/top.py", ["FLY103", "FLY104", "FLY106"]),
        ("svc/lib/top.py", ["FLY104", "FLY106"]),  # /top.py: only at the config's directory
        ("svc/src/pkg/deep/app.py", ["FLY104"]),  # *.py at any depth; !src/** not
        ("svc/deploy/fly.toml", ["FLY105", "FLY106"]),
        ("svc/x/deploy/fly.toml", ["FLY106"]),  # a pattern with a "/" is anchored
        ("svc/src/fly.toml", []),
        ("svc/generated.toml", ["FLY106"]),
        # Outside the declaring config's directory: only the patterns that match at any
        # depth can match (and the negated anchored one, which matches nothing there).
        ("top.py", ["FLY104", "FLY106"]),
        ("gen/x.toml", ["FLY101", "FLY106"]),
        ("deploy/fly.toml", ["FLY106"]),
        ("scripts/run.sh", ["FLY102", "FLY106"]),
    ],
)
def test_per_file_ignores_have_gitignore_semantics(
    tmp_path: Path, relative: str, ignored: list[str]
) -> None:
    write(tmp_path / "svc" / "flylint.toml", PER_FILE)
    config = settings.Resolver(str(tmp_path.resolve())).for_file(file_in(tmp_path, "svc/x.py"))
    assert sorted(config.ignored_for(file_in(tmp_path, relative))) == ignored


def test_per_file_ignores_are_relative_to_the_declaring_configuration(tmp_path: Path) -> None:
    write(tmp_path / "flylint.toml", '[per-file-ignores]\n"deploy/*.toml" = ["FLY2"]\n')
    write(tmp_path / "svc" / ".flylint.toml", '[per-file-ignores]\n"deploy/*.toml" = ["FLY4"]\n')
    resolver = settings.Resolver(str(tmp_path.resolve()))
    for relative, ignored in [("deploy/fly.toml", ["FLY2"]), ("svc/deploy/fly.toml", ["FLY4"])]:
        resolved = file_in(tmp_path, relative)
        assert resolver.for_file(resolved).ignored_for(resolved) == ignored
    root_config = resolver.for_file(file_in(tmp_path, "deploy/fly.toml"))
    assert root_config.ignored_for(file_in(tmp_path, "svc/deploy/fly.toml")) == []
    assert root_config.ignored_for(tmp_path / "deploy" / "fly.toml") == ["FLY2"]  # a Path too


def test_a_config_without_globs_or_regexes_never_imports_their_matchers(tmp_path: Path) -> None:
    import subprocess
    import sys

    write(tmp_path / "flylint.toml", 'ignore = ["FLY2"]\n')
    code = (
        "import sys\nfrom flylint.repository import settings\n"
        f"r = settings.Resolver({str(tmp_path.resolve())!r})\n"
        f"c = r.for_file({file_in(tmp_path, 'x.py')!r})\n"
        f"assert c.ignored_for({file_in(tmp_path, 'x.py')!r}) == []\n"
        "assert 'flylint.support.gitignore' not in sys.modules\n"
        "assert 're2' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


FINGERPRINTED = {
    "select": 'select = ["FLY1"]\n',
    "select-other": 'select = ["FLY2"]\n',
    "select-empty": "select = []\n",
    "ignore": 'ignore = ["FLY201"]\n',
    "per-file-ignores": '[per-file-ignores]\n"*.py" = ["FLY201"]\n',
    "per-file-ignores-rules": '[per-file-ignores]\n"*.py" = ["FLY202"]\n',
    "own-apps": 'own-apps = ["shop-staging"]\n',
    "allowlist": '[secrets]\nallowlist = ["demo-Pass-2024"]\n',
    "extra-patterns": "[[secrets.extra-patterns]]\nid = 'acme'\ndescription = 'ACME'\n"
    "regex = 'acme_[a-z]{8}'\n",
    "extra-patterns-id": "[[secrets.extra-patterns]]\nid = 'acmf'\ndescription = 'ACME'\n"
    "regex = 'acme_[a-z]{8}'\n",
    "extra-patterns-description": "[[secrets.extra-patterns]]\nid = 'acme'\n"
    "description = 'ACME key'\nregex = 'acme_[a-z]{8}'\n",
    "extra-patterns-regex": "[[secrets.extra-patterns]]\nid = 'acme'\ndescription = 'ACME'\n"
    "regex = 'acme_[a-z]{9}'\n",
}


def test_the_fingerprint_changes_with_every_option(tmp_path: Path) -> None:
    prints = {"defaults": settings.Config().fingerprint()}
    for name, text in FINGERPRINTED.items():
        prints[name] = settings.load(write(tmp_path / name / "flylint.toml", text)).fingerprint()
    prints["empty-file"] = settings.load(write(tmp_path / "e" / "flylint.toml", "")).fingerprint()
    assert len(set(prints.values())) == len(prints), prints
    assert all(len(p) == 40 and int(p, 16) >= 0 for p in prints.values())


def test_the_fingerprint_is_equal_for_equal_configurations(tmp_path: Path) -> None:
    text = FINGERPRINTED["per-file-ignores"] + 'select = ["FLY1", "FLY2"]\n'
    one = write(tmp_path / "flylint.toml", text)
    same_directory = write(
        tmp_path / ".flylint.toml", text.replace('"FLY1", "FLY2"', '"FLY2", "FLY1"')
    )
    other_directory = write(tmp_path / "sub" / "flylint.toml", text)
    fingerprint = settings.load(one).fingerprint()
    assert settings.load(one).fingerprint() == fingerprint
    assert settings.load(same_directory).fingerprint() == fingerprint
    # per-file-ignores are relative to the configuration's directory: another one differs
    assert settings.load(other_directory).fingerprint() != fingerprint
    assert settings.Config().fingerprint() == settings.Config().fingerprint()


def test_fail_on_in_the_configuration_sets_the_exit_code(tmp_path: Path, monkeypatch, capsys):
    """A finding below the configured fail-on level is shown and does not fail the run;
    the command line wins over the configuration."""
    (tmp_path / ".git").mkdir()
    # FLY202 is a warning: its file's fail-on = "error" lets the run pass.
    (tmp_path / "fly.toml").write_text(
        'app = "acme-docs"\n[http_service]\n  internal_port = 8080\n  force_https = true\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "concise", "."]) == 1
    (tmp_path / "flylint.toml").write_text('fail-on = "error"\n', encoding="utf-8")
    assert main(["check", "--format", "concise", "."]) == 0
    assert "FLY202" in capsys.readouterr().out
    assert main(["check", "--format", "concise", "--fail-on", "warning", "."]) == 1
    (tmp_path / "flylint.toml").write_text('fail-on = "severe"\n', encoding="utf-8")
    assert main(["check", "."]) == 2
    assert "fail-on must be one of error, warning, note" in capsys.readouterr().err
