"""Every output format, through the real CLI: SARIF against the official 2.1.0 schema."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from flylint import __version__
from flylint.cli import main
from flylint.files.python import MAX_PYTHON_CHARS
from flylint.registry import rule_data

ROOT = Path(__file__).parent.parent
APP = ROOT / "tests" / "fixtures" / "output" / "app"
SCHEMA = json.loads((ROOT / "tests" / "schemas" / "sarif-2.1.0.json").read_text("utf-8"))


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(["check", *args])
    return code, capsys.readouterr().out


def sarif(capsys, *paths: str) -> dict:
    code, out = run(capsys, *paths, "--format", "sarif")
    assert code == 1
    return json.loads(out)


def test_sarif_of_the_example_is_valid_and_repository_relative(
    monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(ROOT / "examples")  # not the repository root: URIs still start there
    log = sarif(capsys, "storefront")
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert list(validator.iter_errors(log)) == []
    run_ = log["runs"][0]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run_["results"]
    }
    assert uris == {
        "examples/storefront/fly.toml",
        "examples/storefront/Dockerfile",
        "examples/storefront/app.py",
    }
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.resolve().as_uri() + "/"
    for result in run_["results"]:
        assert (
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"]
            == "%SRCROOT%"
        )


def test_sarif_driver_describes_every_rule(capsys) -> None:
    run_ = sarif(capsys, str(APP))["runs"][0]
    assert run_["automationDetails"] == {"id": "flylint/"}
    driver = run_["tool"]["driver"]
    assert driver["name"] == "flylint"
    assert driver["semanticVersion"] == __version__
    assert [rule["id"] for rule in driver["rules"]] == list(rule_data.rules())
    for rule in driver["rules"]:
        assert "security" in rule["properties"]["tags"]
        assert float(rule["properties"]["security-severity"]) > 0
        assert rule["helpUri"].endswith(f"/docs/rules/{rule['id']}.md")
        assert rule["help"]["markdown"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")


def test_sarif_results_point_at_the_finding(capsys) -> None:
    log = sarif(capsys, str(APP))
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    by_rule = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert set(by_rule) == {"FLY101", "FLY201", "FLY202", "FLY402"}
    force_https = by_rule["FLY201"]
    assert rules[force_https["ruleIndex"]]["id"] == "FLY201"
    assert force_https["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 9,
        "startColumn": 3,
        "endLine": 9,
        "endColumn": 22,
    }


def test_sarif_parse_errors_are_also_tool_notifications(tmp_path: Path, capsys) -> None:
    (tmp_path / "fly.toml").write_text('app = "x"\n<<<<<<< HEAD\n', encoding="utf-8")
    log = sarif(capsys, str(tmp_path))
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["FLY000"]
    assert notes[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(log)) == []


def test_fingerprints_survive_lines_moving(tmp_path: Path, capsys) -> None:
    shutil.copy(APP / "fly.toml", tmp_path / "fly.toml")

    def prints() -> dict[str, str]:
        results = sarif(capsys, str(tmp_path))["runs"][0]["results"]
        return {
            (r["ruleId"], r["message"]["text"]): r["partialFingerprints"]["flylintFingerprint/v1"]
            for r in results
        }

    before = prints()
    text = (tmp_path / "fly.toml").read_text(encoding="utf-8")
    (tmp_path / "fly.toml").write_text("# deployed by CI\n\n" + text, encoding="utf-8")
    after = prints()
    assert before == after
    assert len(set(before.values())) == len(before)


def test_concise(capsys) -> None:
    code, out = run(capsys, str(APP), "--format", "concise")
    assert code == 1
    lines = out.splitlines()
    pattern = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<rule>FLY\d{3}) .+$")
    assert all(pattern.match(line) for line in lines)
    assert [line.split(": ")[0] + " " + line.split(" ")[1] for line in lines] == [
        f"{APP}/fly.toml:4:3 FLY101",
        f"{APP}/fly.toml:5:3 FLY402",
        f"{APP}/fly.toml:7:1 FLY202",
        f"{APP}/fly.toml:9:3 FLY201",
    ]


def test_json_schema(capsys) -> None:
    code, out = run(capsys, str(APP), "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["schema_version"] == 1
    assert document["flylint_version"] == __version__
    first = document["findings"][0]
    assert list(first) == [
        "rule", "name", "level", "path", "line", "column", "end_line", "end_column",
        "message", "docs_url", "fingerprint", "precision", "confidence", "related",
    ]  # fmt: skip
    assert (first["rule"], first["line"], first["column"]) == ("FLY101", 4, 3)
    assert document["summary"] == {
        "files_checked": 1,
        "findings": 4,
        "by_rule": {"FLY101": 1, "FLY201": 1, "FLY202": 1, "FLY402": 1},
        "by_level": {"error": 1, "warning": 3},
    }


def test_github_annotations_escape_properties_and_data(tmp_path: Path, capsys) -> None:
    app = tmp_path / "a,b:c"
    app.mkdir()
    shutil.copy(APP / "fly.toml", app / "fly.toml")
    code, out = run(capsys, str(app), "--format", "github")
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("::error file=")
    assert "a%2Cb%3Ac/fly.toml,line=4,col=3,endLine=4,endColumn=" in first
    assert "title=FLY101 (secret-in-fly-env%2C high confidence)::" in first
    assert "::warning " in out  # FLY402 is a warning


def test_github_data_escaping(tmp_path: Path, capsys) -> None:
    # A quoted TOML key can hold "%" and a newline, and the message names the key.
    (tmp_path / "fly.toml").write_text(
        '[env]\n  "SMTP%\\nPASSWORD" = "summer-Rain-77"\n', encoding="utf-8"
    )
    _, out = run(capsys, str(tmp_path), "--format", "github")
    assert out.count("\n") == 1
    assert "::[env] SMTP%25%0APASSWORD holds a credential" in out


def test_text_has_no_colour_when_not_a_terminal(capsys) -> None:
    code, out = run(capsys, str(APP))
    assert code == 1
    assert "\x1b[" not in out
    assert out.splitlines()[-1] == (
        "Found 4 problems (1 error, 3 warnings) in 1 file (1 file checked)."
    )


def test_text_names_each_findings_rule_and_level(capsys) -> None:
    _, out = run(capsys, str(APP))
    lines = out.splitlines()
    assert lines[0] == f"{APP.as_posix()}/fly.toml"
    assert lines[1].startswith("  4:3  FLY101  [env] STRIPE_SECRET_KEY holds a credential")
    assert lines[1].endswith("  [secret-in-fly-env, error, high confidence]")
    assert lines[4].endswith("  [https-not-forced, warning, high confidence]")


def test_control_characters_never_reach_the_terminal(tmp_path: Path, capsys) -> None:
    # A quoted TOML key can hold a terminal escape and a newline; so can a directory name.
    app = tmp_path / "odd\nname"
    app.mkdir()
    (app / "fly.toml").write_text(
        '[env]\n  "SMTP\\u001b[2J\\nPASSWORD" = "summer-Rain-77"\n', encoding="utf-8"
    )
    code, out = run(capsys, str(app), "--format", "concise")
    assert code == 1
    assert out.count("\n") == 1
    assert out.startswith(f"{tmp_path.as_posix()}/odd\\nname/fly.toml:2:3: FLY101 ")
    assert "SMTP\\x1b[2J\\nPASSWORD" in out
    _, out = run(capsys, str(app))
    assert "\x1b" not in out
    assert "odd\\nname/fly.toml\n  2:3  FLY101  [env] SMTP\\x1b[2J\\nPASSWORD" in out


def test_notices_are_reported_but_are_not_findings(tmp_path: Path, capsys) -> None:
    (tmp_path / "big.py").write_text(
        'URL = "https://billing.fly.dev"\n' + "x = 1\n" * (MAX_PYTHON_CHARS // 6 + 1),
        encoding="utf-8",
    )
    assert main(["check", str(tmp_path), "--format", "concise"]) == 0
    captured = capsys.readouterr()
    skipped = "skipped: 1024 KB is over the 1024 KB limit for Python analysis"
    assert captured.out == f"{tmp_path / 'big.py'}:1:1: {skipped}\n"
    assert captured.err == ""
    _, out = run(capsys, str(tmp_path), "--format", "json")
    [notice] = json.loads(out)["notices"]
    assert notice["path"] == (tmp_path / "big.py").as_posix() and notice["error"] is False
    _, out = run(capsys, str(tmp_path))
    assert out.endswith(f"\n1 path not linted:\n  {tmp_path / 'big.py'}: {skipped}\n")
    _, out = run(capsys, str(tmp_path), "--format", "github")
    assert out.startswith(
        f"::warning file={tmp_path / 'big.py'},title=flylint%3A not linted::skipped"
    )
    # --fail-on makes a file not linted fail the run, as a warning.
    assert main(["check", str(tmp_path), "--fail-on", "warning"]) == 1
    assert main(["check", str(tmp_path), "--fail-on", "error"]) == 0
    capsys.readouterr()
    _, out = run(capsys, str(tmp_path), "--format", "sarif")
    log = json.loads(out)
    [note] = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning" and note["message"]["text"].startswith("skipped")
    location = note["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (tmp_path / "big.py").resolve().as_uri()}  # outside the repo
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(log)) == []


def test_text_colour_can_be_forced(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    _, out = run(capsys, str(APP))
    assert "\x1b[31mFLY101\x1b[0m" in out


def test_clean_text_summary(tmp_path: Path, capsys) -> None:
    code, out = run(capsys, str(tmp_path))
    assert (code, out) == (0, "No problems found (0 files checked).\n")


def test_a_call_to_an_app_of_the_same_repository_is_surer(capsys, as_repository) -> None:
    fixtures = ROOT / "tests" / "fixtures" / "python"
    _, out = run(capsys, str(as_repository(fixtures / "monorepo")), "--format", "json")
    assert {f["confidence"] for f in json.loads(out)["findings"]} == {"high"}
    called = as_repository(fixtures / "FLY401" / "bad")
    _, out = run(capsys, str(called), "--format", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    assert {r["properties"]["confidence"] for r in results} == {"medium"}
    assert all("not your app" in r["message"]["text"] for r in results)
    # Only findings of high confidence, when asked.
    code, out = run(capsys, str(called), "--min-confidence", "high")
    assert code == 0
    assert out.endswith(
        "10 findings of lower confidence not shown (`--min-confidence low` shows them).\n"
    )


def test_suppressed_findings_leave_the_exit_code_but_stay_in_sarif(tmp_path: Path, capsys) -> None:
    (tmp_path / "fly.toml").write_text(
        "[http_service]  # flylint: ignore[FLY202]\n"
        "  internal_port = 8080\n"
        "  force_https = false  # flylint: ignore[FLY201] -- internal tool behind fly proxy\n",
        encoding="utf-8",
    )
    code, out = run(capsys, str(tmp_path), "--format", "json")
    assert code == 0
    assert json.loads(out)["findings"] == []
    code, out = run(capsys, str(tmp_path), "--format", "sarif")
    assert code == 0
    log = json.loads(out)
    results = log["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["FLY201", "FLY202"]
    assert all(
        r["suppressions"] == [{"kind": "inSource", "justification": "flylint: ignore"}]
        for r in results
    )
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(log)) == []


def test_the_other_places_of_a_problem_are_listed_in_every_format(
    monkeypatch: pytest.MonkeyPatch, capsys, as_repository
) -> None:
    """Two public PostgreSQL services of one app are one FLY301, the second port listed:
    under the finding in text, after it in concise, in JSON's related and SARIF's
    relatedLocations (which the schema accepts)."""
    case = ROOT / "tests" / "fixtures" / "fly-toml" / "FLY301" / "bad-postgres-two-services"
    monkeypatch.chdir(as_repository(case))
    code, text = run(capsys, "fly.toml")
    assert code == 1
    assert "\n        also 22:5  [[services]] also exposes this database here\n" in text
    _, concise = run(capsys, "fly.toml", "--format", "concise")
    assert concise.count("FLY301") == 1 and concise.endswith(" (also at 22:5)\n")
    _, raw = run(capsys, "fly.toml", "--format", "json")
    (finding,) = json.loads(raw)["findings"]
    assert finding["line"] == 14
    assert finding["related"] == [
        {
            "line": 22,
            "column": 5,
            "end_line": 22,
            "end_column": 16,
            "message": "[[services]] also exposes this database here",
        }
    ]
    log = sarif(capsys, "fly.toml")
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(log)) == []
    (result,) = log["runs"][0]["results"]
    (related,) = result["relatedLocations"]
    assert related["id"] == 1
    assert related["physicalLocation"]["region"]["startLine"] == 22
    assert related["message"]["text"] == "[[services]] also exposes this database here"
