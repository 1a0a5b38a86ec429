"""Every finding's confidence: decided by the evidence, shown from medium up by default,
``--min-confidence`` and the ``min-confidence`` key to change that, in every format."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from flylint.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "fly-toml" / "FLY301"


@pytest.fixture
def stock_postgres(as_repository, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The config ``fly pg create`` writes, in a repository of its own."""
    repository = as_repository(FIXTURES / "good-stock-fly-postgres")
    monkeypatch.chdir(repository)
    return repository


def check(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_stock_fly_postgres_config_is_hidden_by_default_and_says_so(stock_postgres, capsys):
    code, out, _ = check(capsys, ".")
    assert code == 0
    assert out == (
        "No problems found (1 file checked).\n"
        "1 finding of lower confidence not shown (`--min-confidence low` shows them).\n"
    )


def test_low_confidence_findings_name_their_evidence(stock_postgres, capsys):
    code, out, _ = check(capsys, ".", "--min-confidence", "low", "--format", "concise")
    assert code == 1
    # One database app, one finding: its second public port (5433) listed with it.
    (finding,) = out.splitlines()
    assert finding.startswith("fly.toml:19:5: FLY301 [low] [[services]] serves PostgreSQL on port ")
    assert "stock Fly Postgres config (its /flycheck/ health checks)" in finding
    assert "if one was, release the app's public IPs (fly ips list -a billing-db" in finding
    assert finding.endswith(" (also at 32:5)")


def _sarif(out: str) -> list[str]:
    return [r["properties"]["confidence"] for r in json.loads(out)["runs"][0]["results"]]


@pytest.mark.parametrize(
    ("form", "confidences"),
    [
        ("json", lambda out: [f["confidence"] for f in json.loads(out)["findings"]]),
        ("sarif", _sarif),
        ("github", lambda out: [line.count("low confidence)") for line in out.splitlines()]),
        ("text", lambda out: [out.count("low confidence]")]),
    ],
)
def test_every_format_carries_the_confidence(stock_postgres, capsys, form, confidences):
    _, out, _ = check(capsys, ".", "--min-confidence", "low", "--format", form)
    assert confidences(out) == {"json": ["low"], "sarif": ["low"], "github": [1],
                                "text": [1]}[form]  # fmt: skip


def test_the_configuration_sets_the_confidence_shown(stock_postgres, capsys):
    (stock_postgres / "flylint.toml").write_text('min-confidence = "low"\n', encoding="utf-8")
    code, out, _ = check(capsys, ".", "--format", "concise")
    assert code == 1 and out.count("FLY301 [low]") == 1
    # The command line wins over the configuration.
    assert check(capsys, ".", "--min-confidence", "medium")[0] == 0


def test_an_unknown_confidence_in_the_configuration_is_an_error(stock_postgres, capsys):
    (stock_postgres / "flylint.toml").write_text('min-confidence = "sure"\n', encoding="utf-8")
    code, out, err = check(capsys, ".")
    assert code == 2 and out == ""
    assert "min-confidence must be one of high, medium, low" in err
    assert "sure" not in err  # configuration errors do not quote values


def test_a_bots_boilerplate_service_is_low_confidence_and_names_what_runs(
    as_repository, monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.chdir(as_repository(FIXTURES.parent / "FLY201" / "good-polling-bot"))
    args = ("--select", "FLY201,FLY202", "--min-confidence", "low", "--format", "concise")
    code, out, _ = check(capsys, ".", *args)
    assert code == 1
    evidence = (
        "looks like the service block fly launch writes, left in an app whose process "
        "serves no HTTP (it runs python bot.py (Dockerfile), a bot that polls "
        "(application.run_polling at bot.py:13) and starts no web server): remove it"
    )
    assert out.splitlines() == [
        f"fly.toml:10:1: FLY202 [low] [[services]] {evidence} if nothing listens on its port, "
        "or force HTTPS and send HSTS if something does",
        f"fly.toml:14:3: FLY201 [low] [[services]] port 80 {evidence} if nothing listens on "
        "its port, or force HTTPS and send HSTS if something does",
    ]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python parses PEP 695")
def test_syntax_newer_than_flylints_python_is_a_low_confidence_parse_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    (tmp_path / ".git").mkdir()
    (tmp_path / "types_.py").write_text(
        'URL = "https://billing.fly.dev"\ntype Pair = tuple[int, int]\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert check(capsys, ".", "--format", "concise")[:2] == (
        0,
        "",
    )
    code, out, _ = check(capsys, ".", "--format", "concise", "--min-confidence", "low")
    assert code == 1
    assert out == (
        "types_.py:2:6: FLY000 [low] invalid Python 3.11 (flylint's Python): invalid syntax; "
        "the line looks like a type statement (Python 3.12): run flylint on the project's "
        "Python to lint this file\n"
    )


def test_a_private_apps_evidence_names_the_deploy_flag_not_the_command_line(
    as_repository, monkeypatch: pytest.MonkeyPatch, capsys
):
    api = as_repository(FIXTURES.parent / "FLY201" / "good-flycast-internal-api")
    readme = api / "README.md"
    # A build secret on the same command line never reaches a message.
    readme.write_text(
        readme.read_text().replace(
            "fly deploy --no-public-ips",
            "fly deploy --build-secret LEDGER_KEY=plain-words-secret --no-public-ips",
        )
    )
    monkeypatch.chdir(api)
    code, out, _ = check(capsys, ".", "--min-confidence", "low", "--format", "concise")
    assert code == 1
    assert out.splitlines()[1] == (
        "fly.toml:8:3: FLY201 [low] [http_service] serves plain HTTP, but it is deployed "
        "private: fly deploy --no-public-ips (README.md:5): Flycast is plain HTTP and its "
        "callers need it, keep force_https off; force it only if the app gets a public IP"
    )
    assert "plain-words-secret" not in out


def test_a_config_whose_dockerfile_is_gone_is_low_confidence_and_says_so(
    as_repository, monkeypatch: pytest.MonkeyPatch, capsys
):
    """A stale config (its [build] dockerfile deleted) cannot be deployed as it is: its
    plain-HTTP service is no finding to act on, shown at low confidence only."""
    stale = Path(__file__).parent / "fixtures" / "fly-toml" / "FLY202" / "good-stale-config"
    monkeypatch.chdir(as_repository(stale))
    code, out, _ = check(capsys, ".", "--format", "concise")
    assert code == 0
    assert out == "fly.toml:1:1: [build] dockerfile names Dockerfile.legacy, which does not exist\n"
    code, out, _ = check(capsys, ".", "--format", "concise", "--min-confidence", "low")
    assert code == 1
    why = (
        "but this config builds with Dockerfile.legacy ([build] dockerfile), which is not in "
        "the repository: nothing deploys it as it is"
    )
    assert [line.split(" ", 2)[1:2] for line in out.splitlines()[:2]] == [["FLY202"], ["FLY201"]]
    assert all(why in line and "[low]" in line for line in out.splitlines()[:2])
