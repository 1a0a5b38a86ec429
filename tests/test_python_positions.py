"""Findings in Python source are located exactly: the text at a finding's span (lines and
code-point columns) is the call or literal it reports, on every Python flylint runs on.
``ast`` gives UTF-8 byte columns, and before Python 3.12 it placed the parts of
f-strings differently; flylint's spans must not depend on either."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from flylint.cli import main

CASES = [
    pytest.param(
        'données = {"名前": requests.get("https://naive.fly.dev/é")}\n',
        [("FLY401", 'requests.get("https://naive.fly.dev/é")')],
        id="non-ascii-before",
    ),
    pytest.param(
        'x = "🚀"; httpx.post(url="https://rocket.fly.dev")\n',
        [("FLY401", 'httpx.post(url="https://rocket.fly.dev")')],
        id="astral-character-before",
    ),
    pytest.param(
        'if True:\n\tz = requests.get(\n\t\t"https://tab.fly.dev",  # é\n\t)\n',
        [("FLY401", 'requests.get(\n\t\t"https://tab.fly.dev",  # é\n\t)')],
        id="multi-line-call",
    ),
    pytest.param(
        '@app.get("/")\n@requests.get("https://deco.fly.dev")\ndef f():\n    pass\n',
        [("FLY401", 'requests.get("https://deco.fly.dev")')],
        id="decorator",
    ),
    pytest.param(
        "s = f\"é {requests.get('https://a.fly.dev').text}\"\n",
        [("FLY401", "requests.get('https://a.fly.dev')")],
        id="call-in-f-string",
    ),
    pytest.param(
        't = f"""ü\n  ß {requests.get("https://b.fly.dev")}"""\n',
        [("FLY401", 'requests.get("https://b.fly.dev")')],
        id="call-in-multi-line-f-string",
    ),
    pytest.param(
        'u = f"""é{f\'{requests.get("https://c.fly.dev")}\'}"""\n',
        [("FLY401", 'requests.get("https://c.fly.dev")')],
        id="call-in-nested-f-string",
    ),
    pytest.param(
        'KEY = ("sk_live_4eC39Hq"  # é\n       "LyjWDarjtT1zdp7dc")\n',
        [("FLY106", '"sk_live_4eC39Hq"  # é\n       "LyjWDarjtT1zdp7dc"')],
        id="implicit-concatenation",
    ),
    pytest.param(
        'TOKEN = "é" f"{x}" "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"\n',
        [("FLY106", '"é" f"{x}" "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"')],
        id="concatenation-with-an-f-string",
    ),
    pytest.param(
        "m = f\"é{'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789'}\"\n",
        [("FLY106", "'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789'")],
        id="literal-in-f-string",
    ),
    pytest.param(
        'TOKEN = f"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789{x}"\n',
        [],
        id="an-f-string-alone-is-no-literal",
    ),
    pytest.param(
        'v = f"{requests.get(f"https://{"g"}.fly.dev")}"\n',
        [("FLY401", 'requests.get(f"https://{"g"}.fly.dev")')],
        id="nested-quotes-3.12",
        marks=pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 701"),
    ),
    pytest.param(
        "w = f\"{\n  requests.get('https://h.fly.dev')  # é\n}\"\n",
        [("FLY401", "requests.get('https://h.fly.dev')")],
        id="multi-line-expression-3.12",
        marks=pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 701"),
    ),
]


def _text_at(lines: list[str], finding: dict) -> str:
    line, column = finding["line"], finding["column"]
    end_line, end_column = finding["end_line"], finding["end_column"]
    if line == end_line:
        return lines[line - 1][column - 1 : end_column - 1]
    middle = lines[line : end_line - 1]
    return "\n".join(
        [lines[line - 1][column - 1 :], *middle, lines[end_line - 1][: end_column - 1]]
    )


@pytest.mark.parametrize(("code", "expected"), CASES)
def test_the_text_at_a_python_finding_is_what_it_reports(
    code: str, expected: list[tuple[str, str]], tmp_path: Path, capsys
) -> None:
    text = f"import httpx\nimport requests\n{code}"
    path = tmp_path / "app.py"
    path.write_text(text, encoding="utf-8")
    main(["check", "--no-cache", "--format", "json", str(path)])
    findings = json.loads(capsys.readouterr().out)["findings"]
    lines = text.split("\n")
    assert sorted((f["rule"], _text_at(lines, f)) for f in findings) == sorted(expected)
