"""Generated and mutated inputs thrown at the whole CLI: never a traceback or an internal
error, every unparsable file a FLY000, exit codes always 0, 1 or 2.

The CI profile runs a few hundred inputs; ``FLYLINT_FUZZ_EXAMPLES=100000`` runs the
long profile.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flylint.cli import main

EXAMPLES = int(os.environ.get("FLYLINT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=EXAMPLES <= 1000,  # CI stays reproducible; long runs explore
)

SEEDS = {
    "fly.toml": (
        'app = "shop"\n[build]\n  dockerfile = "Dockerfile"\n[build.args]\n  NPM_TOKEN = "x"\n'
        '[env]\n  DATABASE_URL = "postgres://u:Vq8rT2mLx9Fw@db.fly.dev:5432/d"\n'
        '  API_URL = "https://billing.fly.dev"\n[http_service]\n  internal_port = 8080\n'
        "  force_https = false\n[http_service.http_options.response.headers]\n"
        '  Strict-Transport-Security = "max-age=1"\n[[services]]\n  internal_port = 5432\n'
        '  [[services.ports]]\n    port = 5432\n    handlers = ["pg_tls"]\n'
    ),
    "Dockerfile": (
        "# syntax=docker/dockerfile:1\nARG NPM_TOKEN\nFROM node:20 AS build\n"
        "ENV A=1 \\\n    SMTP_PASSWORD=summer-Rain-77\nRUN <<EOF\necho hi\nEOF\n"
        "COPY .env ./\nFROM postgres:16\n"
    ),
    "app.py": (
        'import httpx as h\nimport os\nBASE = os.environ.get("B", "https://x.fly.dev")\n'
        'KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\nh.get(f"{BASE}/a")\n'
        "SECURE_HSTS_SECONDS = 0\n# flylint: ignore\n"
    ),
}
ALPHABET = st.sampled_from([*list("[]{}\"'=\\\n\r\t #.,:$<>@/"), "\x00", "\ufeff", "é", "\ud7ff"])


def _mutate(data: st.DataObject, seed: str) -> bytes:
    """The seed with a few characters inserted, deleted or duplicated, and its line
    endings perhaps changed."""
    text = seed
    for _ in range(data.draw(st.integers(0, 6))):
        at = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if action == "insert":
            text = text[:at] + data.draw(st.text(ALPHABET, max_size=5)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 10)) :]
        else:
            text = text[:at] + text[at : at + 40] * 2 + text[at + 40 :]
    raw = text.encode("utf-8", "surrogatepass")
    if data.draw(st.booleans()):
        raw = raw.replace(b"\n", data.draw(st.sampled_from([b"\r\n", b"\r", b"\n"])))
    return raw


def _run(tmp_path: Path, name: str, content: bytes, capsys) -> None:
    """Lint the file in two formats, then again from what the first runs cached."""
    target = tmp_path / name
    target.write_bytes(content)
    printed = []
    for fmt in ("concise", "sarif", "concise"):
        code = main(["check", str(tmp_path), "--format", fmt])
        captured = capsys.readouterr()
        assert code in (0, 1, 2)
        assert "internal error" not in captured.err, captured.err
        assert "Traceback" not in captured.out + captured.err
        printed.append((code, captured.out, captured.err))
    assert printed[2] == printed[0]
    target.unlink()


@pytest.mark.parametrize("name", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_mutated_inputs_never_crash(name: str, data: st.DataObject, tmp_path: Path, capsys):
    content = _mutate(data, SEEDS[name])
    _run(tmp_path, name, content, capsys)


@pytest.mark.parametrize("name", sorted(SEEDS))
@FUZZ
@given(content=st.binary(max_size=300))
def test_random_bytes_never_crash(name: str, content: bytes, tmp_path: Path, capsys):
    _run(tmp_path, name, content, capsys)


# Names fly.toml tables and keys really use, so that generated documents reach deep into
# the schema walk (FLY001/FLY002) and the service rules with values of every wrong type.
NAMES = st.sampled_from(
    [
        "app", "http_service", "services", "ports", "port", "internal_port", "handlers",
        "force_https", "tls_options", "versions", "http_options", "response", "headers",
        "Strict-Transport-Security", "env", "build", "args", "dockerfile", "image", "checks",
        "http_checks", "concurrency", "mounts", "vm", "compute", "experimental", "processes",
        "start_port", "end_port", "x-y", "Force_HTTPS",
    ]
)  # fmt: skip
SCALARS = (
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.sampled_from(["http", "tls", "https", "true", "80", "TLSv1.1", "max-age=1", ""])
    # Digits str.isdigit takes and int does not: a superscript, more than int converts.
    | st.sampled_from(["²", "٣", "8" * 5000, f"max-age={'9' * 5000}"])
    | st.text(max_size=8)
)
DOCUMENTS = st.dictionaries(
    NAMES,
    st.recursive(
        SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=4),
        max_leaves=12,
    ),
    max_size=6,
)


@FUZZ
@given(document=DOCUMENTS)
def test_generated_fly_toml_never_crashes(document: dict, tmp_path: Path, capsys) -> None:
    import tomlkit

    _run(tmp_path, "fly.toml", tomlkit.dumps(document).encode("utf-8", "surrogatepass"), capsys)
