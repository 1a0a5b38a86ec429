"""Python source: a cheap pre-check, then libcst with positions and qualified names.

libcst is imported only when a Python file passes the pre-check, so a run without such
files never pays for it. Names are qualified through the module's imports
(``import httpx as h``: ``h.get`` is ``httpx.get``) by flylint itself: libcst's
QualifiedNameProvider resolves every scope of the file and costs 4x the parse. String
values are resolved through module constants, f-strings, concatenation, ``urljoin`` and
``os.environ.get(..., default)``.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator

from flylint.diagnostics import Diagnostic, Span
from flylint.files.reading import PARSE_ERROR, Source, Unreadable
from flylint.registry import rule_data
from flylint.support.lazy_regex import Regex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    import libcst as cst

# What makes a Python file worth parsing: another app's address, a database URL, a
# token-looking literal, a secret-named assignment or keyword, or an HSTS setting.
# Plain substring tests first (fast); a regex only where a cheap test has found a hint.
_ANY_CASE = (".fly.dev", "strict-transport-security", "secure_hsts_seconds", "talisman")
_TOKEN_HINTS = (
    "sk_live_", "sk_test_", "rk_live_", "ghp_", "gho_", "ghs_", "github_pat_", "glpat-", "xoxb-",
    "xoxp-", "xapp-", "AKIA", "ASIA", "sk-ant-", "sk-proj-", "AIza", "npm_", "pypi-AgE",
    "FlyV1", "fm2_", "fo1_", "-----BEGIN", "hooks.slack.com", "GOCSPX-", "whsec_",
    "sb_secret_", "eyJ", "SG.", "sk-", "hf_",
)  # fmt: skip
_SECRET_WORDS = ("pass", "secret", "token", "api_key", "apikey", "private_key", "access_key",
                 "credential")  # fmt: skip
_SECRET_ASSIGNMENT = Regex(r"[a-z0-9_]{0,40}\s{0,5}[:=]\s{0,5}[rbu]{0,2}[\"']")
_CREDENTIAL_URL = Regex(r"://[^\s/'\"@]{1,256}@")


def worth_parsing(text: str) -> bool:
    lower = text.lower()
    if any(hint in lower for hint in _ANY_CASE) or any(hint in text for hint in _TOKEN_HINTS):
        return True
    if "://" in text and _CREDENTIAL_URL.search(text):
        return True
    for word in _SECRET_WORDS:
        at = lower.find(word)
        while at != -1:
            if _SECRET_ASSIGNMENT.match(lower, at + len(word)):
                return True
            at = lower.find(word, at + 1)
    return False


@functools.cache
def calls_catalog() -> dict[str, Any]:
    return rule_data.catalog("python-calls")


class PythonModule:
    """A parsed module: its tree, each node's position and qualified names."""

    __slots__ = ("constants", "imports", "module", "positions", "source", "walk")

    def __init__(self, source: Source, module: cst.Module, positions: Any) -> None:
        self.source = source
        self.module = module
        self.positions = positions  # node -> CodeRange
        self.imports: dict[str, str] = {}  # bound name -> qualified name
        self.constants: dict[str, cst.BaseExpression] = {}
        self.walk: tuple[list[cst.CSTNode], dict[cst.CSTNode, cst.CSTNode]] | None = None

    def span(self, node: cst.CSTNode) -> Span:
        where = self.positions[node]
        return Span(where.start.line, where.start.column + 1, where.end.line, where.end.column + 1)

    def names(self, node: cst.CSTNode) -> set[str]:
        """The qualified name of a name or attribute chain (``h.get`` -> {"httpx.get"})."""
        dotted = _dotted(node)
        if dotted is None:
            return set()
        head, _, rest = dotted.partition(".")
        if head in self.imports:
            return {f"{self.imports[head]}.{rest}" if rest else self.imports[head]}
        return {dotted}

    def nodes(self, kind: type | tuple[type, ...]) -> Iterator[Any]:
        """Every node of a libcst type (or types), in source order."""
        return (node for node in self._tree()[0] if isinstance(node, kind))

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._tree()[1].get(node)

    def _tree(self) -> tuple[list[cst.CSTNode], dict[cst.CSTNode, cst.CSTNode]]:
        """All nodes in source order and each one's parent, from one walk of the tree."""
        if self.walk is None:
            import libcst as cst

            order: list[cst.CSTNode] = []
            parents: dict[cst.CSTNode, cst.CSTNode] = {}
            stack: list[cst.CSTNode] = []

            class Walk(cst.CSTVisitor):
                def on_visit(self, node: cst.CSTNode) -> bool:
                    order.append(node)
                    if stack:
                        parents[node] = stack[-1]
                    stack.append(node)
                    return True

                def on_leave(self, original_node: cst.CSTNode) -> None:
                    stack.pop()

            self.module.visit(Walk())
            self.walk = (order, parents)
        return self.walk

    # -- string values ---------------------------------------------------------------------
    def string(self, node: cst.BaseExpression | None, depth: int = 0) -> str | None:
        """The string an expression evaluates to, as far as the module shows it; unknown
        parts of an f-string or a concatenation read as empty."""
        import libcst as cst

        if node is None or depth > 20:
            return None
        if isinstance(node, cst.SimpleString):
            value = literal(node)
            return value if isinstance(value, str) else None
        if isinstance(node, cst.ConcatenatedString):
            parts = [self.string(node.left, depth + 1), self.string(node.right, depth + 1)]
            return "".join(p or "" for p in parts) if any(p is not None for p in parts) else None
        if isinstance(node, cst.FormattedString):
            out = []
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    out.append(part.value)
                else:
                    out.append(self.string(part.expression, depth + 1) or "")
            return "".join(out)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            parts = [self.string(node.left, depth + 1), self.string(node.right, depth + 1)]
            return "".join(p or "" for p in parts) if any(p is not None for p in parts) else None
        if isinstance(node, cst.Name):
            return self.string(self.constants.get(node.value), depth + 1)
        if isinstance(node, cst.Call):
            return self._call_string(node, depth)
        return None

    def _call_string(self, node: cst.Call, depth: int) -> str | None:
        environment = calls_catalog()["environment"]
        names = self.names(node.func)
        if names & set(environment["readers"]) and len(node.args) >= 2:
            return self.string(node.args[1].value, depth + 1)  # the default
        if names & set(environment["joiners"]) and len(node.args) >= 2:
            base = self.string(node.args[0].value, depth + 1) or ""
            tail = self.string(node.args[1].value, depth + 1) or ""
            return tail if "://" in tail else base.rstrip("/") + "/" + tail.lstrip("/")
        return None

    def argument(self, call: cst.Call, keywords: list[str]) -> cst.BaseExpression | None:
        """The call's first positional argument, else its first keyword among ``keywords``."""
        for arg in call.args:
            if arg.keyword is None and arg.star == "":
                return arg.value
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value in keywords:
                return arg.value
        return None


def literal(node: cst.SimpleString | cst.Integer) -> object:
    """The value of a string or integer literal; None where Python refuses it (an escape
    libcst accepts and Python does not, more digits than ``int`` converts). Quietly: an
    unknown escape warns on standard error (a SyntaxWarning since Python 3.12), and the
    code is the user's to warn about, not flylint's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return node.evaluated_value
        except (SyntaxError, ValueError):
            return None


# libcst needs ~50 µs per line: past this size a file is generated code, and parsing it
# would stall an editor or a pre-commit run for tens of seconds.
MAX_PYTHON_CHARS = 256 * 1024


def parse(source: Source) -> PythonModule | Diagnostic | None:
    """Parse a Python file that passes the pre-check; None when it cannot matter."""
    if not worth_parsing(source.text):
        return None
    if len(source.text) > MAX_PYTHON_CHARS:
        raise Unreadable(
            f"skipped: {len(source.text) // 1024} KB is over the {MAX_PYTHON_CHARS // 1024} KB "
            "limit for Python analysis",
            error=False,
        )
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        wrapper = MetadataWrapper(cst.parse_module(source.text), unsafe_skip_copy=True)
    except cst.ParserSyntaxError as exc:
        line = max(exc.raw_line, 1)
        return Diagnostic(
            PARSE_ERROR, source.path, Span(line, exc.raw_column + 1, line, exc.raw_column + 1),
            f"invalid Python: {exc.message}",
        )  # fmt: skip
    except RecursionError:
        return Diagnostic(PARSE_ERROR, source.path, Span.at_line(1), "Python nested too deeply")
    parsed = PythonModule(source, wrapper.module, wrapper.resolve(PositionProvider))
    for node in parsed.nodes((cst.Import, cst.ImportFrom)):
        parsed.imports.update(_bindings(node))
    for statement in wrapper.module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target = small.targets[0].target
                if isinstance(target, cst.Name):
                    parsed.constants.setdefault(target.value, small.value)
    return parsed


def _dotted(node: Any) -> str | None:
    import libcst as cst

    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _bindings(node: Any) -> dict[str, str]:
    """The names an import statement binds, with what they stand for."""
    import libcst as cst

    found: dict[str, str] = {}
    if isinstance(node, cst.Import):
        for alias in node.names:
            name = _dotted(alias.name) or ""
            if alias.asname is not None:
                found[_dotted(alias.asname.name) or name] = name
            else:
                head = name.split(".", 1)[0]
                found[head] = head
        return found
    if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
        return found
    module = _dotted(node.module) or ""
    for alias in node.names:
        name = _dotted(alias.name) or ""
        bound = _dotted(alias.asname.name) if alias.asname is not None else name
        found[bound or name] = f"{module}.{name}"
    return found
