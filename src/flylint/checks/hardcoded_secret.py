"""FLY106: a credential written as a string literal in Python source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flylint.checks.context import PythonContext
from flylint.detectors.secrets import find_secret
from flylint.diagnostics import Diagnostic
from flylint.files.python import arguments, calls_catalog
from flylint.support.lazy_regex import Regex

_NAME = Regex(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_TEST_DIRECTORIES = frozenset({"test", "tests", "testing"})


def _is_test_file(path: Path) -> bool:
    """Test code holds fixture keys and tokens by design (``test_*.py``, ``tests/``)."""
    name = path.name
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or not _TEST_DIRECTORIES.isdisjoint(path.parts[:-1])
    )


def check_python(ctx: PythonContext) -> Iterator[Diagnostic]:
    import ast

    module = ctx.module
    if _is_test_file(module.source.path):
        return
    named: dict[ast.AST, str] = {}  # literal -> the name that holds it
    # Docstrings, environment-read defaults, and the parts of f-strings (their literal
    # text, their format specs): the f-string is the literal.
    skipped: set[ast.AST] = set()

    def name_of(target: ast.expr) -> str | None:
        if isinstance(target, ast.Name):
            return target.id
        if isinstance(target, ast.Attribute):
            return target.attr
        if isinstance(target, ast.Subscript):
            return module.string(target.slice)
        return None

    for node in module.nodes(ast.Assign):
        for target in node.targets:
            if (name := name_of(target)) is not None:
                named[node.value] = name
    for node in module.nodes(ast.AnnAssign):
        if node.value is not None and (name := name_of(node.target)) is not None:
            named[node.value] = name
    for node in module.nodes(ast.keyword):
        if node.arg is not None:
            named[node.value] = node.arg
    for node in module.nodes(ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if key is not None and (text := module.string(key)) is not None:
                named[value] = text
    readers = set(calls_catalog()["environment"]["readers"])
    for node in module.nodes(ast.Call):
        if module.names(node.func) & readers:
            skipped.update(arguments(node))
    for node in module.nodes((ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        first = node.body[0] if node.body else None
        if isinstance(first, ast.Expr):
            skipped.add(first.value)
    for node in module.nodes(ast.JoinedStr):
        skipped.update(node.values)
    for node in module.nodes(ast.FormattedValue):
        if node.format_spec is not None:
            skipped.add(node.format_spec)

    for literal in module.nodes((ast.Constant, ast.JoinedStr)):
        if literal in skipped:
            continue
        value = module.string(literal)
        if not value:
            continue
        name = named.get(literal)
        match = find_secret(name, value)
        if match is None:
            continue
        if isinstance(literal, ast.JoinedStr) and not module.concatenated(literal):
            continue  # an f-string alone is code, not a literal; "a" f"{b}" is literals
        if name is not None and (not _NAME.match(name) or find_secret(None, name)):
            name = None  # a dict key or subscript that is no name: a sentence, a token
        holder = f"{name} holds" if name else "this string is"
        yield ctx.diagnostic(
            "FLY106",
            module.span(literal),
            f"{holder} a hardcoded credential ({match.kind}, {match.masked}): read it from "
            f"the environment and set it with fly secrets set {(name or 'NAME').upper()}=...",
            f"{name or match.kind}:{match.masked}",
        )
