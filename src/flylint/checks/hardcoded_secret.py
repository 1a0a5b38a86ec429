"""FLY106: a credential written as a string literal in Python source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flylint.checks.context import PythonContext
from flylint.detectors.secrets import find_secret
from flylint.diagnostics import Diagnostic
from flylint.files.python import calls_catalog
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
    import libcst as cst

    module = ctx.module
    if _is_test_file(module.source.path):
        return
    named: dict[cst.CSTNode, str] = {}  # literal -> the name that holds it
    skipped: set[cst.CSTNode] = set()  # docstrings and environment-read defaults

    def name_of(target: cst.BaseExpression) -> str | None:
        if isinstance(target, cst.Name):
            return target.value
        if isinstance(target, cst.Attribute):
            return target.attr.value
        if isinstance(target, cst.Subscript) and len(target.slice) == 1:
            index = target.slice[0].slice
            if isinstance(index, cst.Index):
                return module.string(index.value)
        return None

    for node in module.nodes(cst.Assign):
        for target in node.targets:
            if (name := name_of(target.target)) is not None:
                named[node.value] = name
    for node in module.nodes(cst.AnnAssign):
        if node.value is not None and (name := name_of(node.target)) is not None:
            named[node.value] = name
    for node in module.nodes(cst.Arg):
        if node.keyword is not None:
            named[node.value] = node.keyword.value
    for node in module.nodes(cst.DictElement):
        if (key := module.string(node.key)) is not None:
            named[node.value] = key
    readers = set(calls_catalog()["environment"]["readers"])
    for node in module.nodes(cst.Call):
        if module.names(node.func) & readers:
            skipped.update(arg.value for arg in node.args)
    for node in module.nodes((cst.Module, cst.ClassDef, cst.FunctionDef)):
        body = node.body if isinstance(node, cst.Module) else node.body.body
        first = body[0] if body else None
        if isinstance(first, cst.SimpleStatementLine) and isinstance(first.body[0], cst.Expr):
            skipped.add(first.body[0].value)

    for literal in module.nodes((cst.SimpleString, cst.ConcatenatedString)):
        if literal in skipped or isinstance(module.parent(literal), cst.ConcatenatedString):
            continue
        value = module.string(literal)
        if not value:
            continue
        name = named.get(literal)
        match = find_secret(name, value)
        if match is None:
            continue
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
