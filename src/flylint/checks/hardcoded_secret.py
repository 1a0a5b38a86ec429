"""FLY106: a credential written as a string literal in Python source."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from flylint.checks.context import PythonContext
from flylint.detectors.secrets import (
    SecretMatch,
    find_secret,
    signing_functions,
    signing_key,
    signing_key_names,
)
from flylint.diagnostics import Diagnostic
from flylint.files.python import arguments, calls_catalog
from flylint.support.lazy_regex import Regex

_NAME = Regex(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
# A dict with one of these keys and none of the next describes a user account.
_ACCOUNT_KEYS = frozenset({"email", "username", "user_name", "login", "full_name", "role"})
_SERVICE_KEYS = frozenset(
    {"host", "hostname", "server", "url", "uri", "dsn", "endpoint", "port", "database", "db"}
)
# What find_secret calls a password-looking value under a password name (a token's
# format is a credential in any record).
_PASSWORD_KIND = "password"
_TEST_DIRECTORIES = frozenset({"test", "tests", "testing"})
# A default signing key that says it is for development only.
_DEVELOPMENT = Regex(
    r"insecure|(?<![a-z])(?:dev|development|local|debug|test|testing)(?![a-z])", re.I
)


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

    mappings = set(calls_catalog()["environment"]["mappings"])
    # os.environ["SECRET_KEY"] = "...": set for a script or a test run, not the app's key
    # (a credential there is still one).
    environment_written: set[ast.AST] = set()
    for node in module.nodes(ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Subscript) and module.names(target.value) & mappings:
                environment_written.add(node.value)
            if (name := name_of(target)) is not None:
                named[node.value] = name
    for node in module.nodes(ast.AnnAssign):
        if node.value is not None and (name := name_of(node.target)) is not None:
            named[node.value] = name
    for node in module.nodes(ast.keyword):
        if node.arg is not None:
            named[node.value] = node.arg
    # The literals of records of a user account ({"email": ..., "password": ...}): a seed
    # or test user a script creates or logs in as, not a credential of a service.
    accounts: set[ast.AST] = set()
    for node in module.nodes(ast.Dict):
        keys = set()
        for key, value in zip(node.keys, node.values, strict=True):
            if key is not None and (text := module.string(key)) is not None:
                named[value] = text
                keys.add(text.lower())
        if keys & _ACCOUNT_KEYS and not keys & _SERVICE_KEYS:
            accounts.update(node.values)
    readers = set(calls_catalog()["environment"]["readers"])
    signing_names, signing_calls = signing_key_names(), signing_functions()
    # A signing key's literal -> (what holds it, whether it is an environment read's
    # default, which production may override).
    signing: dict[ast.AST, tuple[str, bool]] = {}
    # A settings class's field is read from the environment: its default is one too.
    for _, field, default, _ in module.settings_fields():
        if default is not None and field.upper() in signing_names:
            signing[default] = (field, True)
    for node in module.nodes(ast.Call):
        names = module.names(node.func)
        if names & readers:
            values = arguments(node)
            skipped.update(values)
            variable = module.string(values[0]) if values else None
            if variable is not None and variable.upper() in signing_names:
                for default in values[1:2]:
                    signing[default] = (variable, True)
        for called in names & signing_calls.keys():
            position, keyword = signing_calls[called]
            given = [k.value for k in node.keywords if k.arg == keyword]
            positional = [a for a in node.args if not isinstance(a, ast.Starred)]
            key = given[0] if given else None
            if key is None and len(positional) > position:
                key = positional[position]
            if key is not None:
                signing[key] = (f"{called}(...)'s key", False)
    for node in module.nodes((ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        first = node.body[0] if node.body else None
        if isinstance(first, ast.Expr):
            skipped.add(first.value)
    for node in module.nodes(ast.JoinedStr):
        skipped.update(node.values)
    for node in module.nodes(ast.FormattedValue):
        if node.format_spec is not None:
            skipped.add(node.format_spec)

    for literal, (holder, default) in signing.items():
        value = module.string(literal) if isinstance(literal, ast.Constant) else None
        if value and find_secret(None, value) is None and (match := signing_key(value)):
            yield _signing_finding(ctx, literal, holder, default, match, value)
    for literal in module.nodes((ast.Constant, ast.JoinedStr)):
        if literal in skipped or literal in signing:
            continue
        value = module.string(literal)
        if not value:
            continue
        name = named.get(literal)
        match = find_secret(name, value)
        if (
            match is None
            and name is not None
            and name.upper() in signing_names
            and literal not in environment_written
        ):
            if isinstance(literal, ast.Constant) and (signed := signing_key(value)):
                yield _signing_finding(ctx, literal, name, False, signed, value)
            continue
        if match is None:
            continue
        if isinstance(literal, ast.JoinedStr) and not module.concatenated(literal):
            continue  # an f-string alone is code, not a literal; "a" f"{b}" is literals
        if name is not None and (not _NAME.match(name) or find_secret(None, name)):
            name = None  # a dict key or subscript that is no name: a sentence, a token
        holder = f"{name} holds" if name else "this string is"
        account = literal in accounts and match.kind == _PASSWORD_KIND
        yield ctx.diagnostic(
            "FLY106",
            module.span(literal),
            f"{holder} a hardcoded credential ({match.kind}, {match.masked})"
            + (", the password of a user account the code creates or signs in as (a seed "
               "or test user?)" if account else "")
            + f": read it from the environment and set it with fly secrets set "
            f"{(name or 'NAME').upper()}=...",
            f"{name or match.kind}:{match.masked}",
            "low" if account else None,
        )  # fmt: skip


def _signing_finding(
    ctx: PythonContext,
    literal: object,
    holder: str,
    default: bool,
    match: SecretMatch,
    value: str,
) -> Diagnostic:
    """A framework's signing key written in the code: outright (high), or as the default
    of an environment read, which production may override (medium; low when the value
    calls itself a development key, django-insecure-... or dev-only)."""
    confidence = "high"
    if default:
        development = _DEVELOPMENT.search(value) is not None
        confidence = "low" if development else "medium"
        marked = " (its value marks it for development)" if development else ""
        message = (
            f"{holder} falls back to a signing key written in the code ({match.masked}) when "
            f"the environment has none{marked}: a deployment without the secret signs with a "
            f"key anyone with the code has; drop the default and set it with fly secrets set "
            f"{holder.upper()}=..."
        )
    else:
        secret = holder.upper() if _NAME.match(holder) else "SECRET_KEY"
        message = (
            f"{holder} is a signing key written in the code ({match.masked}): anyone who can "
            "read the code can forge what it signs (sessions, cookies, tokens); read it from "
            f"the environment and set it with fly secrets set {secret}=..."
        )
    return ctx.diagnostic(
        "FLY106",
        ctx.module.span(literal),  # type: ignore[arg-type]
        message,
        f"{holder}:{match.masked}",
        confidence,
    )
