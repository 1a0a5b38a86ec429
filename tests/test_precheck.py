"""The Python pre-check (flylint.files.precheck.worth_parsing): every catalog token format,
secret-name word and the other rules' hints admit a file, end to end for FLY106; look-alikes
that are no token start (risk-, disk-, mask-) do not."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from flylint.cli import main
from flylint.detectors.secrets import find_secret, is_secret_name
from flylint.files import precheck, precheck_hints
from flylint.files.precheck import worth_parsing
from flylint.registry import rule_data

SECRETS = rule_data.catalog("secrets")
# A name that is no secret word, for the patterns without an example_key.
NEUTRAL = "value"
# A line of code rather than a value ("aws_access_key_id = ASIA..."): written as it is.
_LINE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]* = ")


def _literal(value: str) -> str:
    """A Python string literal for ``value`` (JSON's escapes are Python's)."""
    return json.dumps(value)


def _assignment(pattern: dict, example: str) -> str:
    return f"{pattern.get('example_key', NEUTRAL)} = {_literal(example)}\n"


def _examples() -> list:
    return [
        pytest.param(pattern, example, id=f"{pattern['id']}-{i}")
        for pattern in SECRETS["patterns"]
        for i, example in enumerate(pattern["examples"])
    ] + _keyword_variants()


def _keyword_variants() -> list:
    """A token for each keyword no example holds (ghu_, ghr_, fm1a_, rk_test_, ...): an
    example with its keyword swapped for that one, in the same case, and the prefix one
    character longer where the keyword is shorter (A3T for AKIA)."""
    variants = []
    for pattern in SECRETS["patterns"]:
        keywords = pattern.get("keywords", [])
        for keyword in keywords:
            if any(keyword in example.lower() for example in pattern["examples"]):
                continue
            example = next(e for e in pattern["examples"] if any(k in e.lower() for k in keywords))
            other = next(k for k in keywords if k in example.lower())
            at = example.lower().index(other)
            written = example[at : at + len(other)]
            swapped = keyword.upper() if written.isupper() else keyword
            head, rest = example[:at] + swapped, example[at + len(other) :]
            tokens = [head + rest, head + rest[:1] + rest]
            token = next((t for t in tokens if _kind(pattern, t) == pattern["description"]), None)
            param_id = f"{pattern['id']}-{keyword}"
            if token is None:
                reason = "swapping the keyword into an example gives no token of the format"
                mark = pytest.mark.skip(reason=reason)
                variants.append(
                    pytest.param(pattern, tokens[0], id=f"{param_id}-skipped-{reason}", marks=mark)
                )
            else:
                variants.append(pytest.param(pattern, token, id=param_id))
    return variants


def _kind(pattern: dict, value: str) -> str | None:
    found = find_secret(pattern.get("example_key", NEUTRAL), value)
    return found.kind if found else None


@pytest.mark.parametrize(("pattern", "example"), _examples())
def test_every_token_example_passes(pattern: dict, example: str) -> None:
    assert worth_parsing(_assignment(pattern, example))
    if _LINE.match(example):
        assert worth_parsing(example + "\n")


def _vocabulary() -> list[str]:
    keys = SECRETS["keys"]
    groups = ("password_words", "secret_words", "secret_word_endings", "secret_compounds")
    return sorted({word for group in groups for word in keys[group]})


def _camel(name: str) -> str:
    first, *rest = name.lower().split("_")
    return first + "".join(part.capitalize() for part in rest)


# Each way FLY106 names a literal: assignment, annotated assignment, attribute, keyword
# argument, dict entry, subscript; in the cases keys are written in.
_FORMS = {
    "assignment": "{name} = {value}\n",
    "lower": "{lower} = {value}\n",
    "prefixed": "APP_{name} = {value}\n",
    "annotated": "{lower}: str = {value}\n",
    "attribute": "settings.{camel} = {value}\n",
    "keyword": "connect({lower}={value})\n",
    "dict": "CONFIG = {{{key}: {value}}}\n",
    "dict-dashed": "HEADERS = {{{dashed}: {value}}}\n",
    "subscript": "os.environ[{key}] = {value}\n",
    "parenthesised": "{name} = (\n    {value}\n)\n",
}


@pytest.mark.parametrize("form", _FORMS)
@pytest.mark.parametrize("word", _vocabulary())
def test_every_secret_word_passes(word: str, form: str) -> None:
    value = "value-Like-99"
    assert is_secret_name(word) and find_secret(word, value) is not None  # the premise
    code = _FORMS[form].format(
        name=word,
        lower=word.lower(),
        camel=_camel(word),
        key=_literal(word.lower()),
        dashed=_literal(word.lower().replace("_", "-")),
        value=_literal(value),
    )
    assert worth_parsing(code), code


@pytest.mark.parametrize("ending", SECRETS["keys"]["secret_word_endings"])
def test_every_secret_word_ending_passes(ending: str) -> None:
    name = f"SMTP{ending}"  # one word that ends with the ending: SMTPPASSWORD
    assert is_secret_name(name)  # the premise
    assert worth_parsing(f'{name} = "value-Like-99"\n')
    assert worth_parsing(f'config = {{"smtp{ending.lower()}": "value-Like-99"}}\n')


def _lint_json(path: Path, capsys) -> dict:
    code = main(["check", str(path), "--format", "json", "--no-cache"])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    return json.loads(out)


@pytest.mark.parametrize(("pattern", "example"), _examples())
def test_every_token_example_is_fly106_in_python(
    pattern: dict, example: str, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "app.py"
    path.write_text(_assignment(pattern, example), encoding="utf-8")
    report = _lint_json(path, capsys)
    found = [(f["rule"], f["line"]) for f in report["findings"]]
    assert ("FLY106", 1) in found, found


def test_a_database_client_with_a_public_ip_is_fly302_in_python(tmp_path: Path, capsys) -> None:
    path = tmp_path / "db.py"
    path.write_text('import redis\n\ncache = redis.Redis(host="34.120.54.55")\n', encoding="utf-8")
    report = _lint_json(path, capsys)
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [("FLY302", 3)]


TOKEN_TAIL = "0FlyLint0FlyLint0FlyLint0FlyLint0FlyLint0FlyLint"
LOOK_ALIKES = {
    "risk-adjusted": f'metric = "risk-adjusted-{TOKEN_TAIL}"\n',
    "disk-usage": f'path = "/var/lib/disk-usage-{TOKEN_TAIL}"\n',
    "task_id": f'task_id = "task-{TOKEN_TAIL}"\n',
    "mask-image": 'style = "mask-image: linear-gradient(black, transparent)"\n',
    "other-case": 'zone = "Asia/Tokyo"\nMSG.format(msg)\nflags = "a3t akia eyj sg.x"\n',
    "plain-module": "def add(a, b):\n    return a + b\n\n\nclass Task:\n    pass\n",
    "secret-names-no-literal": 'TOKEN = os.environ["TOKEN"]\npassword = get_password()\n',
    "secret-names-in-code": "for token in tokens:\n    pass\nif password:\n    print(password)\n",
    "plain-urls": 'URL = "https://example.com/docs"\nREDIS = "localhost:6379"\n',
    "client-no-host": 'import redis\ncache = redis.Redis(host=HOST)\nVERSION = "1.2.3"\n',
    "ip-no-client": 'ADDRESS = "34.120.54.55"\n',
}


@pytest.mark.parametrize("code", LOOK_ALIKES.values(), ids=LOOK_ALIKES)
def test_look_alikes_are_not_admitted(code: str) -> None:
    assert not worth_parsing(code)


HINTS = {
    "after-a-space": f'AUTH = "Bearer sk-{TOKEN_TAIL}"\n',
    "after-an-escape": f'KEYS = "x\\nsk-{TOKEN_TAIL}"\n',
    "after-a-replacement": 'KEY = f"{prefix}ghr_0FlyLint0FlyLint0FlyLint0FlyLint0Fly"\n',
    "database-url": 'DSN = "postgres://app@10.0.0.5/app"\n',
    "database-url-driver": 'DSN = "mongodb+srv://reports@cluster0.example.net/db"\n',
    "fly-dev": 'API = "https://billing.fly.dev/charge"\n',
    "url-password": 'URL = "https://user:hunter22@git.internal/repo"\n',
    "import-and-ip": 'import os, redis\ncache = redis.Redis(host="34.120.54.55")\n',
    "from-import-and-ip": 'from psycopg2 import connect\nconnect(host="34.120.54.55")\n',
    "django-hsts": "SECURE_HSTS_SECONDS = 0\n",
    "talisman": "from flask_talisman import Talisman\n",
    "talisman-in-a-client-import": "import flask_talisman, redis\n",
    "hsts-header": 'headers["Strict-Transport-Security"] = hsts\n',
    "spaced-dict-key": 'SMTP = {"Client Secret": "value-Like-99"}\n',
    "line-continuation": 'DB_PASSWORD = \\\n    "value-Like-99"\n',
}


@pytest.mark.parametrize("code", HINTS.values(), ids=HINTS)
def test_hints_are_admitted(code: str) -> None:
    assert worth_parsing(code)


ADVERSARIAL = [
    "pass" * 250_000,
    "secret_" * 142_857,
    "api_key" * 142_857,
    "token a " * 125_000,
    "password: a " * 83_333,
    "://a:" * 200_000,
    "import " + "a, " * 300_000,
    "xghp_" * 200_000,
    '"1.1.1' * 166_666,
    "postgres+" * 111_111,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:12]))
def test_adversarial_megabyte_is_fast(text: str) -> None:
    # Every continuation after a hint is bounded: ~1 s for a megabyte of hints at worst.
    start = time.perf_counter()
    worth_parsing(text)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ('token = "ghp_' + "A1b2" * 9 + '"\n', precheck.TOKEN),
        ('SMTP_PASSWORD = "value-Like-99"\n', precheck.SECRET_NAME),
        ('DSN = "postgres://app:pw@db.example.com/app"\n', precheck.URL),
        (
            'import psycopg2\nconn = psycopg2.connect(host="203.0.113.9")\n',
            precheck.DATABASE_IMPORT,
        ),
        ('API = "https://billing-api.fly.dev/v1"\n', precheck.FLY_DEV),
        ("SECURE_HSTS_SECONDS = 31536000\n", precheck.APP_FACT),
        ("import psycopg2\nconn = psycopg2.connect(host=HOST)\n", None),
        ("def add(a, b):\n    return a + b\n", None),
    ],
)
def test_admission_names_the_kind_of_hint(code: str, kind: str | None) -> None:
    assert precheck.admission(code) == kind
    assert worth_parsing(code) is (kind is not None)


def test_the_generated_hints_are_what_the_rule_data_builds() -> None:
    # Run `python -m flylint.files.precheck` after editing a catalog or a producer's hints.
    generated = Path(precheck_hints.__file__).read_text(encoding="utf-8")
    assert generated == precheck.generated_module()
