"""Python source: a cheap pre-check, then the standard library's ``ast`` with positions
and qualified names.

A file is parsed only when it passes the pre-check (flylint.files.precheck). Names are
qualified through the module's imports (``import httpx as h``: ``h.get`` is
``httpx.get``). String values are resolved through module constants, f-strings,
concatenation, ``urljoin`` and ``os.environ.get(..., default)``. Positions are ``ast``'s,
its UTF-8 byte columns turned into code points; the tree is walked once, iteratively, and
every walk of flylint's over it is iterative or bounded, so no file's depth can raise
RecursionError.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import io
import operator
import re
import sys
import warnings
from collections.abc import Iterator

from flylint.diagnostics import Diagnostic, Span
from flylint.files.precheck import worth_parsing
from flylint.files.reading import PARSE_ERROR, Source, Unreadable
from flylint.registry import rule_data
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@functools.cache
def calls_catalog() -> dict[str, Any]:
    return rule_data.catalog("python-calls")


class PythonModule:
    """A parsed module: its syntax tree (the standard library's ``ast``), each node's
    position as a Span, and qualified names."""

    __slots__ = (
        "_by_type",
        "_lines",
        "_names",
        "_sorted",
        "_values",
        "constants",
        "imports",
        "source",
        "tree",
    )

    def __init__(
        self, source: Source, tree: ast.Module, by_type: dict[type, list[ast.AST]]
    ) -> None:
        self.source = source
        self.tree = tree
        self._by_type = by_type  # every node of the tree, by its type
        self._lines: list[str] | None = None
        self._sorted: dict[tuple[type, ...], list[Any]] = {}  # nodes(), per tuple of types
        self._names: dict[ast.AST, frozenset[str]] = {}  # names(), per node
        self.imports: dict[str, str] = {}  # bound name -> qualified name
        self.constants: dict[str, ast.expr] = {}  # module-level NAME = value
        # Names and attributes assigned one value anywhere in the module (a function's
        # local, a class attribute or settings field default, self.x in __init__), made
        # when first needed: ("name"|"attr", identifier) -> value, None when ambiguous.
        self._values: dict[tuple[str, str], ast.expr | None] | None = None

    # -- positions -------------------------------------------------------------------------
    def span(self, node: ast.AST) -> Span:
        """Where a node is, its columns counted in code points: ``ast`` counts UTF-8 bytes."""
        line, column, end_line, end_column = _position(node)
        return Span(line, self._column(line, column), end_line, self._column(end_line, end_column))

    def segment(self, node: ast.AST) -> str:
        """The source text of a node, as written."""
        span = self.span(node)
        lines = self.lines()
        if span.line == span.end_line:
            return lines[span.line - 1][span.column - 1 : span.end_column - 1]
        middle = lines[span.line : span.end_line - 1]
        last = lines[span.end_line - 1][: span.end_column - 1]
        return "\n".join([lines[span.line - 1][span.column - 1 :], *middle, last])

    def lines(self) -> list[str]:
        """The physical lines, as ``ast`` numbers them (the text's line endings are ``\\n``)."""
        if self._lines is None:
            self._lines = self.source.text.split("\n")
        return self._lines

    def _column(self, line: int, offset: int) -> int:
        """The 1-based code-point column of a UTF-8 byte offset on a line."""
        lines = self.lines()
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        if text.isascii():
            return offset + 1
        return len(text.encode("utf-8")[:offset].decode("utf-8", "replace")) + 1

    # -- the tree --------------------------------------------------------------------------
    def nodes(self, kind: type | tuple[type, ...]) -> list[Any]:
        """Every node of an ``ast`` type (or types), in source order (not to be changed:
        the list is shared by the checks)."""
        kinds = kind if isinstance(kind, tuple) else (kind,)
        found = self._sorted.get(kinds)
        if found is None:
            by_type = self._by_type
            found = [
                node for each in kinds if each is not ast.Module for node in by_type.get(each, ())
            ]
            found.sort(key=_START)  # the walk is breadth first
            if ast.Module in kinds:
                found.insert(0, self.tree)
            self._sorted[kinds] = found
        return found

    def names(self, node: ast.AST) -> frozenset[str]:
        """The qualified name of a name or attribute chain (``h.get`` -> {"httpx.get"})."""
        names = self._names.get(node)
        if names is None:
            names = self._names[node] = frozenset(self._qualified(node))
        return names

    def _qualified(self, node: ast.AST) -> list[str]:
        dotted = _dotted(node)
        if dotted is None:
            return []
        head, _, rest = dotted.partition(".")
        if head in self.imports:
            return [f"{self.imports[head]}.{rest}" if rest else self.imports[head]]
        return [dotted]

    # -- string values ---------------------------------------------------------------------
    def string(self, node: ast.AST | None, depth: int = 0) -> str | None:
        """The string an expression evaluates to, as far as the module shows it; unknown
        parts of an f-string or a concatenation read as empty."""
        if node is None or depth > 20:
            return None
        kind = type(node)
        if kind is ast.Constant:
            value = node.value  # type: ignore[attr-defined]
            return value if isinstance(value, str) else None
        if kind is ast.JoinedStr:
            out = []
            for part in node.values:  # type: ignore[attr-defined]
                if type(part) is ast.FormattedValue:
                    out.append(self.string(part.value, depth + 1) or "")
                elif type(part) is ast.Constant and isinstance(part.value, str):
                    out.append(part.value)
            return "".join(out)
        if kind is ast.BinOp and type(node.op) is ast.Add:  # type: ignore[attr-defined]
            parts = [self.string(node.left, depth + 1), self.string(node.right, depth + 1)]  # type: ignore[attr-defined]
            return "".join(p or "" for p in parts) if any(p is not None for p in parts) else None
        if kind is ast.Name:
            value = self.constants.get(node.id)  # type: ignore[attr-defined]
            if value is None:
                value = self.assigned("name", node.id)  # type: ignore[attr-defined]
            return self.string(value, depth + 1)
        if kind is ast.Attribute and self._holds_settings(node.value):  # type: ignore[attr-defined]
            # self.base_url, settings.billing_url, Settings().billing_url
            return self.string(self.assigned("attr", node.attr), depth + 1)  # type: ignore[attr-defined]
        if kind is ast.BoolOp and type(node.op) is ast.Or:  # type: ignore[attr-defined]
            # x or DEFAULT: the first operand the module tells the value of.
            for operand in node.values:  # type: ignore[attr-defined]
                text = self.string(operand, depth + 1)
                if text is not None:
                    return text
            return None
        if kind is ast.Call:
            return self._call_string(node, depth)  # type: ignore[arg-type]
        return None

    def _holds_settings(self, receiver: ast.expr) -> bool:
        """Whether an attribute's receiver is an object whose fields the module declares:
        ``self``/``cls``, a settings or config object, a class of the module or an
        instance made of one. Not any object: ``request.url`` is no field of ours."""
        if type(receiver) is ast.Call:
            receiver = receiver.func
        if type(receiver) is ast.Attribute:  # settings.services.billing_url
            return self._holds_settings(receiver.value)
        if type(receiver) is not ast.Name:
            return False
        name = receiver.id.lower()
        if name in ("self", "cls") or name.endswith(_SETTINGS_NAMES):
            return True
        return any(cls.name == receiver.id for cls in self.nodes(ast.ClassDef))

    def assigned(self, kind: str, name: str) -> ast.expr | None:
        """The one value the module assigns to a name or an attribute (``kind``), if one."""
        if self._values is None:
            self._values = self._assignments()
        return self._values.get((kind, name))

    def _assignments(self) -> dict[tuple[str, str], ast.expr | None]:
        found: dict[tuple[str, str], ast.expr | None] = {}

        def add(key: tuple[str, str], value: ast.expr | None) -> None:
            if value is None:
                return
            if key in found and found[key] is not value:
                found[key] = None  # two values: not known
            else:
                found[key] = value

        for node in self.nodes((ast.Assign, ast.AnnAssign)):
            targets = node.targets if type(node) is ast.Assign else [node.target]  # type: ignore[attr-defined]
            for target in targets:
                pairs: list[tuple[ast.expr, ast.expr | None]] = [(target, node.value)]
                value = node.value
                if (  # host, port = "203.0.113.9", 6379
                    type(target) is ast.Tuple
                    and type(value) is ast.Tuple
                    and len(target.elts) == len(value.elts)
                ):
                    pairs = list(zip(target.elts, value.elts, strict=True))
                for name, held in pairs:
                    if type(name) is ast.Name:
                        add(("name", name.id), held)
                    elif type(name) is ast.Attribute and self.names(name.value) == {"self"}:
                        add(("attr", name.attr), held)
        for cls in self.nodes(ast.ClassDef):
            for statement in cls.body:  # class attributes and settings fields
                if type(statement) is ast.Assign:
                    targets, value = statement.targets, statement.value
                elif type(statement) is ast.AnnAssign:
                    targets, value = [statement.target], statement.value
                else:
                    continue
                if type(value) is ast.Call:
                    value = self.field_default(value)
                for target in targets:
                    if type(target) is ast.Name:
                        add(("attr", target.id), value)
        return found

    def settings_fields(self) -> Iterator[tuple[str, str, ast.expr | None, ast.AnnAssign]]:
        """(class, name, default, statement) of each field of the module's settings classes
        (pydantic ``BaseSettings``, subclasses included): values the environment sets, the
        default applying when it does not (``Field(default=...)`` read through)."""
        classes = self.nodes(ast.ClassDef)
        settings: set[str] = set()
        grew = True
        while grew:
            grew = False
            for cls in classes:
                if cls.name not in settings and any(
                    self.names(base) & _SETTINGS_BASES
                    or (type(base) is ast.Name and base.id in settings)
                    for base in cls.bases
                ):
                    settings.add(cls.name)
                    grew = True
        for cls in classes:
            if cls.name not in settings:
                continue
            for statement in cls.body:
                if type(statement) is not ast.AnnAssign or type(statement.target) is not ast.Name:
                    continue
                default = statement.value
                if type(default) is ast.Call:
                    default = self.field_default(default)
                yield cls.name, statement.target.id, default, statement

    def field_default(self, call: ast.Call) -> ast.expr | None:
        """A class field's value: the default of ``Field(default=...)`` or ``Field("...")``
        (pydantic, dataclasses), else the call itself."""
        if not self.names(call.func) & _FIELD_FACTORIES:
            return call
        for keyword in call.keywords:
            if keyword.arg == "default":
                return keyword.value
        return call.args[0] if call.args and type(call.args[0]) is not ast.Starred else None

    def _call_string(self, node: ast.Call, depth: int) -> str | None:
        environment = calls_catalog()["environment"]
        names = self.names(node.func)
        if names & set(environment["readers"]):
            values = arguments(node)
            return self.string(values[1], depth + 1) if len(values) >= 2 else None  # the default
        if names & set(environment["url_types"]):
            values = arguments(node)
            return self.string(values[0], depth + 1) if values else None
        if names & set(environment["joiners"]):
            values = arguments(node)
            if len(values) < 2:
                return None
            base = self.string(values[0], depth + 1) or ""
            tail = self.string(values[1], depth + 1) or ""
            return tail if "://" in tail else base.rstrip("/") + "/" + tail.lstrip("/")
        return None

    def argument(self, call: ast.Call, keywords: list[str]) -> ast.expr | None:
        """The call's first positional argument, else its first keyword among ``keywords``."""
        for arg in call.args:
            if type(arg) is not ast.Starred:
                return arg
        for keyword in call.keywords:
            if keyword.arg is not None and keyword.arg in keywords:
                return keyword.value
        return None

    def concatenated(self, node: ast.JoinedStr) -> bool:
        """Whether an f-string is written as several literals (``"a" f"{b}"``), as opposed
        to a single f-string. Read from the source's tokens: ``ast`` joins them."""
        import tokenize

        text = "(" + self.segment(node) + ")"
        literals = depth = 0
        try:
            for token in tokenize.generate_tokens(io.StringIO(text).readline):
                name = tokenize.tok_name[token.type]
                if name == "FSTRING_START":  # Python 3.12+: an f-string is several tokens
                    literals += depth == 0
                    depth += 1
                elif name == "FSTRING_END":
                    depth -= 1
                elif name == "STRING":
                    literals += depth == 0
        except (tokenize.TokenError, SyntaxError):
            return False
        return literals > 1


# Objects of settings read as fields (settings.billing_url, app_config.api_url).
# Bases of classes whose fields are settings read from the environment.
_SETTINGS_BASES = frozenset(
    {"pydantic_settings.BaseSettings", "pydantic.BaseSettings", "BaseSettings"}
)
_SETTINGS_NAMES = ("settings", "config", "conf", "cfg", "configuration")
# Calls that declare a class field with a default: pydantic's and dataclasses'.
_FIELD_FACTORIES = frozenset(
    {"pydantic.Field", "pydantic.fields.Field", "dataclasses.field", "Field", "field"}
)


def arguments(call: ast.Call) -> list[ast.expr]:
    """A call's argument values as written, positional and keyword ones in source order
    (``f(x, *y, key=z, **w)``: x, y, z, w)."""
    values = [arg.value if type(arg) is ast.Starred else arg for arg in call.args]
    if not call.keywords:
        return values
    if values and _START(call.keywords[0]) < _START(call.args[-1]):  # f(a=1, *b)
        pairs = [(_START(arg), value) for arg, value in zip(call.args, values, strict=True)]
        pairs += [(_START(keyword), keyword.value) for keyword in call.keywords]
        pairs.sort(key=lambda pair: pair[0])
        return [value for _, value in pairs]
    return values + [keyword.value for keyword in call.keywords]


_START = operator.attrgetter("lineno", "col_offset")


def _position(node: ast.AST) -> tuple[int, int, int, int]:
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]


# Past this size a file is generated code (protobuf, API clients), and it should not
# stall an editor or a pre-commit run. Measured end to end (``flylint check --no-cache
# FILE``, process start included, Python 3.11, min-median of 7 runs on 2 busy cores): a
# 1 MB module lints in 0.44-0.58 s, where reading it and ``ast.parse`` alone take
# 0.35-0.39 s; 2 MB would take 0.9-1.0 s (alone: 0.8-0.9 s). 256 KB was libcst's bound.
MAX_PYTHON_CHARS = 1024 * 1024


# How deep a syntax tree flylint analyses may be. Real code stays under ~40; generated code
# far deeper (``1 + 1 + ...`` a thousand times) is skipped with a notice, before any walk
# of flylint's meets it. CPython's own parser refuses ~200 nested brackets, and its
# "too complex" verdicts (MemoryError, RecursionError) count as too deep.
MAX_NESTING = 200

_TOO_DEEP = f"skipped: nested more than {MAX_NESTING} levels deep, too deep for Python analysis"

# Fields that never hold a node to walk: operators and contexts (singletons with nothing
# below), identifiers, numbers, flags, and a Constant's value. (``name`` is an identifier
# but for ``type X = ...``, whose name is a Name node; a value that is no node is passed
# over by the walk.)
_LEAF_FIELDS = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "asname", "module", "level", "kind",
     "type_comment", "conversion", "is_async", "simple", "tag", "kwd_attrs"}
)  # fmt: skip


class _Shape(Record):
    """What the walk needs of a node type: the fields that may hold nodes, whether it has a
    ``ctx`` (a Load or Store node: one level deeper, never walked), whether it is a node."""

    __slots__ = ("ctx", "fields", "node")

    def __init__(self, fields: tuple[str, ...], ctx: bool, node: bool) -> None:
        self.fields = fields
        self.ctx = ctx
        self.node = node


_SHAPES: dict[type, _Shape] = {}


def _shape(kind: type) -> _Shape:
    if not issubclass(kind, ast.AST):  # None: a dict's ``**`` entry has no key
        return _Shape((), False, False)
    fields = kind._fields
    if kind is ast.Constant or kind is ast.MatchSingleton:
        walked: tuple[str, ...] = ()
    elif kind is ast.Global or kind is ast.Nonlocal:
        walked = ()  # names as strings
    else:
        walked = tuple(field for field in fields if field not in _LEAF_FIELDS)
    return _Shape(walked, "ctx" in fields, True)


def _index(tree: ast.Module) -> dict[type, list[ast.AST]]:
    """Every node of the tree by its type, from one iterative walk, breadth first; raises
    Unreadable when the tree is more than MAX_NESTING levels deep (a node's ``ctx`` counts
    as a level, as ``ast.iter_child_nodes`` gives it)."""
    by_type: dict[type, list[ast.AST]] = {}
    shapes = _SHAPES
    layer: list[Any] = [tree]
    level = 0
    while layer:
        level += 1
        below: list[Any] = []
        deepest = level
        for node in layer:
            kind = type(node)
            shape = shapes.get(kind)
            if shape is None:
                shape = shapes[kind] = _shape(kind)
            if not shape.node:
                continue
            found = by_type.get(kind)
            if found is None:
                found = by_type[kind] = []
            found.append(node)
            if shape.ctx:
                deepest = level + 1
            for field in shape.fields:
                value = getattr(node, field)
                if type(value) is list:
                    below += value
                elif value is not None:
                    below.append(value)
        if deepest > MAX_NESTING:
            raise Unreadable(_TOO_DEEP, error=False)
        layer = below
    return by_type


def _bracket_depth(text: str) -> int:
    """The deepest nesting of brackets, strings not told apart: an upper bound."""
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth = max(depth - 1, 0)
    return deepest


def parse(source: Source, precheck: bool = True) -> PythonModule | Diagnostic | None:
    """Parse a Python file that passes the pre-check (``precheck`` False: a caller that
    checked its own hints); None when it cannot matter. A file Python cannot parse is a
    FLY000 at the parser's own line and column; one too large or too deeply nested to
    analyse raises Unreadable (a notice)."""
    if precheck and not worth_parsing(source.text):
        return None
    if len(source.text) > MAX_PYTHON_CHARS:
        raise Unreadable(
            f"skipped: {len(source.text) // 1024} KB is over the {MAX_PYTHON_CHARS // 1024} KB "
            "limit for Python analysis",
            error=False,
        )
    with collection_paused():
        tree = _parse(source)
        if isinstance(tree, Diagnostic):
            return tree
        parsed = PythonModule(source, tree, _index(tree))
    for node in parsed.nodes((ast.Import, ast.ImportFrom)):
        parsed.imports.update(_bindings(node))
    for statement in tree.body:
        if type(statement) is ast.Assign and len(statement.targets) == 1:
            target = statement.targets[0]
            if type(target) is ast.Name:
                parsed.constants.setdefault(target.id, statement.value)
    return parsed


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a tree is built and analysed. A tree is ~50
    objects per line and holds no cycle (freed as soon as it is dropped), yet each of the
    collector's passes would scan it all: unpaused, a 2 MB module's parse and analysis
    take twice as long. Callers drop the tree before the block ends."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# Syntax of Pythons newer than the one flylint may run on, by the version that brought it:
# a file using it is valid for its project, only not for flylint's parser.
_NEWER_SYNTAX = (
    ((3, 12), "a type statement (Python 3.12)", r"^\s*type\s+[A-Za-z_]\w*\s*(?:\[[^\]]*\])?\s*="),
    ((3, 12), "a generic def or class (Python 3.12)", r"^\s*(?:async\s+)?(?:def|class)\s+\w+\s*\["),
    ((3, 12), "an f-string nesting its own quotes (Python 3.12)", r"""f(["']).*\{[^}]*\1"""),
    ((3, 14), "except without parentheses (Python 3.14)", r"^\s*except\*?\s+\w+(?:\.\w+)*\s*,"),
)  # fmt: skip


def _newer_syntax(text: str, line: int) -> str | None:
    """What newer syntax the line an error was found at seems to use, if any."""
    lines = text.split("\n")
    written = lines[line - 1] if 0 < line <= len(lines) else ""
    for version, what, pattern in _NEWER_SYNTAX:
        if sys.version_info < version and re.search(pattern, written):
            return what
    return None


def _parse(source: Source) -> ast.Module | Diagnostic:
    with warnings.catch_warnings():
        # An unknown escape warns (a SyntaxWarning since Python 3.12), and the code is the
        # user's to warn about, not flylint's.
        warnings.simplefilter("ignore")
        try:
            return ast.parse(source.text)
        except (MemoryError, RecursionError):  # CPython's "too complex" verdicts
            raise Unreadable(_TOO_DEEP, error=False) from None
        except SyntaxError as exc:
            if _bracket_depth(source.text) > MAX_NESTING // 2:
                raise Unreadable(_TOO_DEEP, error=False) from None
            line, column = max(exc.lineno or 1, 1), max(exc.offset or 1, 1)
            newer = _newer_syntax(source.text, line)
            if newer is not None:
                return Diagnostic(
                    PARSE_ERROR, source.path, Span(line, column, line, column),
                    f"invalid Python {sys.version_info[0]}.{sys.version_info[1]} (flylint's "
                    f"Python): {exc.msg}; the line looks like {newer}: run flylint on the "
                    "project's Python to lint this file",
                    confidence="low",
                )  # fmt: skip
            return Diagnostic(
                PARSE_ERROR, source.path, Span(line, column, line, column),
                f"invalid Python: {exc.msg}",
            )  # fmt: skip
        except ValueError as exc:  # a NUL byte (Python 3.11 and older): decode refuses those
            return Diagnostic(PARSE_ERROR, source.path, Span.at_line(1), f"invalid Python: {exc}")


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` of a name or a chain of attributes; None for anything else."""
    parts = []
    while type(node) is ast.Attribute:
        parts.append(node.attr)  # type: ignore[attr-defined]
        node = node.value  # type: ignore[attr-defined]
    if type(node) is not ast.Name:
        return None
    parts.append(node.id)  # type: ignore[attr-defined]
    return ".".join(reversed(parts))


def _bindings(node: ast.Import | ast.ImportFrom) -> dict[str, str]:
    """The names an import statement binds, with what they stand for."""
    found: dict[str, str] = {}
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname is not None:
                found[alias.asname] = alias.name
            else:
                head = alias.name.split(".", 1)[0]
                found[head] = head
        return found
    if node.level or node.module is None:
        return found
    for alias in node.names:
        if alias.name == "*":
            return {}
        found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found
