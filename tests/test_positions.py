"""Every value of a fly.toml is located exactly: the text at a value's span parses back to
that very value. Findings' lines and columns come from these spans."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from flylint.files.reading import normalize
from flylint.files.toml_locations import KeyPath, Located, locate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TRICKY = '''\
# comment with "quotes" and [brackets]
app = 'literal' # trailing comment
"quoted key" = "esc \\" \\\\ \\u00e9 ]"
dotted.key.path = 1979-05-27T07:32:00Z
multi = """
one "" two
three""\""
lit_multi = \'\'\'
raw \\ text ]\'\'\'
arr = [ 1, # one
  [2, 3], { a = "}" , b = [ "]" ] },
  ]
empty = []
nested = { inner = { deep = 0x1F }, list = [ { x = 1 } ] }

[ http_service . "http_options" ]
  response.headers = { "Strict-Transport-Security" = "max-age=1" }

[[services]]
  internal_port = 8080
  [[services.ports]]
    handlers = ["http"]
  [[services.ports]]
    port = 443
[[services]]
  [services.concurrency]
    type = "connections"
  [[services.ports]]
    port = 80
[env]
  KEY = "value"  # comment ]
'''

FIXTURES = Path(__file__).parent / "fixtures"


def _text_at(lines: list[str], span) -> str:
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1 : span.end_column - 1]
    middle = lines[span.line : span.end_line - 1]
    first = lines[span.line - 1][span.column - 1 :]
    return "\n".join([first, *middle, lines[span.end_line - 1][: span.end_column - 1]])


def _check(text: str) -> int:
    data = tomllib.loads(text)
    located = locate(text)
    lines = text.split("\n")
    checked = 0

    def walk(node: Any, path: KeyPath) -> None:
        nonlocal checked
        if path:
            assert path in located, f"no position for {path}"
            where: Located = located[path]
            if where.value is not None:
                source = _text_at(lines, where.value)
                assert tomllib.loads(f"v = {source}")["v"] == node, path
                checked += 1
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, (*path, key))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, (*path, index))

    walk(data, ())
    return checked


def test_tricky_document_values_are_located_exactly() -> None:
    assert _check(TRICKY) > 20


def test_headers_and_keys() -> None:
    located = locate(TRICKY)
    lines = TRICKY.split("\n")
    assert _text_at(lines, located[("http_service",)].key) == '[ http_service . "http_options" ]'
    assert _text_at(lines, located[("services", 0, "ports", 1)].key) == "[[services.ports]]"
    assert located[("services", 0, "ports", 1)].key.line == 23
    assert located[("services", 1, "ports", 0)].key.line == 28
    assert _text_at(lines, located[("env", "KEY")].entry) == 'KEY = "value"'
    assert _text_at(lines, located[("quoted key",)].key) == '"quoted key"'


@pytest.mark.parametrize(
    "path", sorted(FIXTURES.rglob("*.toml")), ids=lambda p: p.relative_to(FIXTURES).as_posix()
)
def test_fixture_values_are_located_exactly(path: Path) -> None:
    try:
        text = normalize(path.read_bytes().decode("utf-8"))
        tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        pytest.skip("not valid TOML (a FLY000 fixture)")
    _check(text)
