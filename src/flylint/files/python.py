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
import re
import warnings
from collections.abc import Callable, Iterator

from flylint.diagnostics import Diagnostic, Span
from flylint.files.reading import PARSE_ERROR, Source, Unreadable
from flylint.registry import rule_data
from flylint.support.lazy_regex import Regex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    import libcst as cst

# -- the pre-check --------------------------------------------------------------------------
# A Python file is parsed (~10x the cost of reading it) only when it holds a hint of what a
# rule reports, every hint derived from the rule data at first use:
#   FLY106: a token format's start or keyword, a URL with a password, a secret-named key
#           holding a string literal (rules/catalogs/secrets.toml);
#   FLY302: a database URL (databases.toml [url_schemes]), a database client's import
#           (python-calls.toml [database]) with an IPv4 literal, an APP.fly.dev host;
#   FLY401: an APP.fly.dev address;  FLY202, FLY203: an HSTS setting.
# A hint may admit a file no rule reports on; a file a rule reports on holds a hint.
# Speed: the hints are grouped into ~20 regexes, each led by one uncommon character all its
# hints hold (their anchor). The engine finds a regex's leading literal as fast as ``in``
# finds a substring and tries the hints only there: over the standard library's 1,800
# files, 0.6x the time of the ~35 ``in`` tests this replaced, where one ``in`` per hint
# would take ~2x and a single regex of all hints (tried at every position) 1.5x.

# A hint: a literal, a zero-width check right after it (the token's boundary), and the
# regex that must follow (shared by many hints: hints followed by the same one are merged).
_Hint = tuple[str, str, str]

# Another app's address, as flylint.detectors.addresses finds it (in any case).
_FLY_DEV = ".fly.dev"

# After a secret word: the rest of the key (an identifier or attribute, or a subscript or
# dict key, which may hold spaces) and a string literal it holds, as FLY106 names one:
# "=" (assignment, keyword argument), ":" (dict entry) or ": annotation =", then the
# literal itself, possibly parenthesised or after a line continuation.
_HOLDS_STRING = (
    r"[a-z0-9_.\-]{0,64}(?:[\"']\]?|[ ][a-z0-9_.\- ]{0,64}[\"']\]?)?[ \t]*"
    r"(?:=|:(?:[ \t]*[a-z_][a-z0-9_.\[\], |]{0,64}[ \t]*=)?)"
    r"\s{0,20}(?:\\\s{0,20})?(?:\(\s{0,20})?[rbuf]{0,2}[\"']"
)
# Between the two words of a secret compound in a key: API_KEY, api-key, apiKey.
_COMPOUND_SEPARATOR = r"[_.\- ]{0,3}"
# After "://": a password in the URL's userinfo, as flylint.detectors.secrets reads one.
_URL_PASSWORD = r"[^/?#@ \t\n\"':]{0,512}:[^/?#@ \t\n\"']{1,512}@"
# After a database URL scheme: a driver (postgresql+asyncpg) and "://".
_SCHEME_END = r"(?:\+[a-z0-9_.\-]{0,40})?://"
# After "import" or "from": one of the modules in {} (import os, x.y as z; from x.y import).
# Its group marks the hint that also needs a host: see worth_parsing.
_IMPORTS = (
    r"[ \t]+(?:[a-z0-9_.]{{1,100}}(?:[ \t]+as[ \t]+[a-z0-9_]{{1,100}})?[ \t]*,[ \t]*){{0,20}}"
    r"({})(?![a-z0-9_])"
)
_FROM = r"[ \t]+({})(?![a-z0-9_])"
# The host a database client may be given (addresses.database_host_target): an APP.fly.dev
# is a hint of its own, a public IP address is written as an IPv4 literal.
_IPV4_LITERAL = Regex(r"[\"']\s{0,10}\d{1,3}(?:\.\d{1,3}){3}")
# A token pattern's leading negative lookbehind on its own alphabet: (?<![A-Za-z0-9_-]).
_LOOKBEHIND = Regex(r"\(\?<!(\[(?:\\.|[^\]\\])+\])\)")
# Characters by how often they occur in Python source, per mille (the 3.11 standard
# library; the others less than 0.5): each occurrence of an anchor is a place to try hints.
_PER_MILLE = {
    282: " ", 67: "e", 46: "s", 45: "t", 35: "ar", 29: "oni", 28: "l", 27: "\n", 20: "f",
    18: "cd", 16: "._", 15: "()", 14: "pu", 13: ",'", 12: "m", 10: "h", 8: '"g', 7: "=b:",
    6: "0Exy", 5: "T", 4: "wk1-I#", 3: "vAN2RLS\\C", 2: "q][OPFD3>",
    1: "M45*UB/z86HGj97+W%V{}",
}  # fmt: skip


def worth_parsing(text: str) -> bool:
    exact, folded = _hints()
    if any(regex.search(text) for regex in exact):
        return True
    lower = text.lower()
    host = None
    for regex in folded:
        at = 0
        while (match := regex.search(lower, at)) is not None:
            if match.lastindex is None:
                return True
            if host is None:  # a database client's import: only with a host to connect to
                host = _IPV4_LITERAL.search(text) is not None
            if host:
                return True
            at = match.start() + 1  # another hint may start inside the import
    return any(regex.search(text) for regex in _unprefixed_patterns())


@functools.cache
def _hints() -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
    """The hints' regexes: (for the text as written, for the lower-cased text)."""
    secrets, databases = rule_data.catalog("secrets"), rule_data.catalog("databases")
    exact: list[_Hint] = []
    folded: list[_Hint] = [("://", "", _URL_PASSWORD)]
    for pattern in secrets["patterns"]:
        as_written, any_case = _token_hints(pattern)
        exact += as_written
        folded += any_case
    folded += _secret_name_hints(secrets["keys"])
    # The scheme before any "+" (mongodb+srv is mongodb's), as database_target reads it.
    schemes = {scheme.lower().split("+")[0] for scheme in databases["url_schemes"]}
    folded += [(scheme, "", _SCHEME_END) for scheme in sorted(schemes)]
    folded += [(_FLY_DEV, "", "")] + [(hint, "", "") for hint in _fact_hints()]
    functions = calls_catalog()["database"]["functions"]
    modules = "|".join(sorted({re.escape(name.split(".")[0]) for name in functions}))
    folded += [("import", "", _IMPORTS.format(modules)), ("from", "", _FROM.format(modules))]
    return _anchored(exact, _per_mille), _anchored(folded, _folded_per_mille)


@functools.cache
def _unprefixed_patterns() -> tuple[re.Pattern[str], ...]:
    """Token patterns no hint stands for (no keywords, no literal start, no key_regex):
    run as they are. None in the catalog today."""
    return tuple(
        re.compile(pattern["regex"])
        for pattern in rule_data.catalog("secrets")["patterns"]
        if not pattern.get("keywords")
        and "key_regex" not in pattern
        and "" in _starts(_body(pattern["regex"])[0])
    )


def _token_hints(pattern: dict[str, Any]) -> tuple[list[_Hint], list[_Hint]]:
    """What a file holding a match of a [[patterns]] entry contains: (hints in the case
    written, hints in any case).

    The detector tries a pattern only on a value holding one of its keywords in any case.
    When every match starts with a keyword (what _starts reads of the regex), the hint is
    that start as the regex writes it ("AKIA", not "akia": "Asia/Tokyo" is no hint), up to
    the keyword's length, and only where the token can start: not after a character of the
    alphabet of the pattern's leading lookbehind ("sk-" in "sk-proj-...", not in "risk-").
    Otherwise (Telegram's ":aa" follows digits, Discord's "discord" follows "https://"):
    the keywords anywhere, in any case.

    A pattern without keywords is tried on every value: its hint is the literal text its
    matches start with. With none and a key_regex (AWS secret keys, Twilio tokens) it has
    no hint here: it is only tried under a key the key_regex accepts, and those name a
    secret (AWS_SECRET, TWILIO_*_TOKEN), which the secret-name hints admit; the tests try
    every example under its example_key. With neither, its regex is run
    (_unprefixed_patterns)."""
    body, alphabet = _body(pattern["regex"])
    starts = _starts(body)
    keywords = [word.lower() for word in pattern.get("keywords", ())]
    hints = set()
    for start in starts:
        covering = [word for word in keywords if start.lower().startswith(word)]
        if not start or (keywords and not covering):
            return [], [(word, "", "") for word in keywords]  # a match may start anywhere
        hints.add(start[: min(map(len, covering))] if covering else start)
    if alphabet is None:
        return [(hint, "", "") for hint in sorted(hints)], []
    # Not after a character of the alphabet, unless that is the letter of an escape
    # ("\nghp_..." holds a newline, then the token).
    return [
        (hint, rf"(?:(?<!{alphabet}{re.escape(hint)})|(?<=\\[abfnrtv]{re.escape(hint)}))", "")
        for hint in sorted(hints)
    ], []


def _body(regex: str) -> tuple[str, str | None]:
    """A token regex without its leading lookbehind, and that lookbehind's character class
    (None without one, or when the lookbehind holds for the first of several alternatives
    only: (?<![a-z])abc|def)."""
    lookbehind = _LOOKBEHIND.match(regex)
    if lookbehind is None:
        return regex, None
    body = regex[lookbehind.end() :]
    at = 0
    try:
        while at < len(body):
            if body[at] == "|":
                return body, None
            at = _atom_end(body, at)
    except IndexError:  # an unbalanced regex: assume the worst
        return body, None
    return body, lookbehind.group(1)


def _secret_name_hints(keys: dict[str, Any]) -> list[_Hint]:
    """The secret-name vocabulary as the key classifier (detectors.secrets._secret_named)
    reads it: a word of password_words or secret_words, a word ending with one of
    secret_word_endings (the ending is enough), two words of secret_compounds; each then
    followed by a string the key holds. Without a left boundary: "dbpassword" and
    "smtpPassword" are secret-named, so "bypass" is a hint too. A word holding another is
    left out (pass covers passwd, secret covers secret_key). The exemptions (exempt_keys,
    exempt_last_words, the public names) are not applied: the token formats are still
    tried under such keys (TOKEN_URL may hold a token), key_regex patterns included."""
    groups = ("password_words", "secret_words", "secret_word_endings")
    words = {word.lower() for group in groups for word in keys[group]}
    words = {word for word in words if not any(other in word for other in words - {word})}
    hints = [(word, "", _HOLDS_STRING) for word in sorted(words)]
    for compound in keys["secret_compounds"]:
        first, second = compound.lower().split("_", 1)
        if not any(word in first for word in words):
            after = _COMPOUND_SEPARATOR + re.escape(second) + _HOLDS_STRING
            hints.append((first, "", after))
    return hints


def _anchored(hints: list[_Hint], per_mille: Callable[[str], int]) -> tuple[re.Pattern[str], ...]:
    """Hints as a few regexes, each led by one character (its anchor) that every literal in
    it holds: the anchor, the rest of the literal, the whole literal behind (when the
    anchor is not its first character) and its check, then what follows; literals that
    share what follows are merged into a prefix tree, followed by it once.

    Anchors are chosen greedily: the most literals for the least expected work, which is
    a scan of the text, and at each occurrence of the anchor a try of the literals it
    starts and of each literal it is inside of (one lookbehind each)."""
    groups: dict[str, dict[str, list[tuple[str, str]]]] = {}
    uncovered = {literal for literal, _, _ in hints}
    while uncovered:
        chars = sorted({char for literal in uncovered for char in literal})
        anchor = max(chars, key=lambda char: _anchor_value(char, uncovered, per_mille))
        for literal, check, after in hints:
            if literal in uncovered and anchor in literal:
                at = literal.index(anchor)
                behind = f"(?<={re.escape(literal)})" if at else ""
                rest = (literal[at + 1 :], behind + check)
                groups.setdefault(anchor, {}).setdefault(after, []).append(rest)
        uncovered = {literal for literal in uncovered if anchor not in literal}
    regexes = []
    for anchor, by_after in groups.items():
        # Hints that need more than the regex (a group marks them) are tried last.
        afters = sorted(by_after, key=lambda after: (re.compile(after).groups, after))
        parts = [f"(?:{_prefix_tree(by_after[after])}){after}" for after in afters]
        regexes.append(re.compile(f"{re.escape(anchor)}(?:{'|'.join(parts)})"))
    return tuple(regexes)


def _anchor_value(char: str, literals: set[str], per_mille: Callable[[str], int]) -> float:
    """How many of ``literals`` an anchor covers, per unit of the work it costs: measured,
    a scan as much as trying a literal at 24 occurrences per mille, a lookbehind 0.4 of a
    try."""
    held = [literal for literal in literals if char in literal]
    inside = sum(not literal.startswith(char) for literal in held)
    return len(held) / (24 + per_mille(char) * (1 + 0.4 * inside))


def _per_mille(char: str) -> int:
    return next((n for n, chars in _PER_MILLE.items() if char in chars), 0)


def _folded_per_mille(char: str) -> int:
    """In lower-cased text: the character and its upper case."""
    return _per_mille(char) + (_per_mille(char.upper()) if char.upper() != char else 0)


def _prefix_tree(hints: list[tuple[str, str]]) -> str:
    """One regex for (literal, zero-width check) pairs, literals sharing a prefix merged:
    ("hp_", A), ("ho_", B) -> h(?:o_B|p_A)."""
    root: dict[str, Any] = {}
    for literal, after in hints:
        node = root
        for char in literal:
            node = node.setdefault(char, {})
        node.setdefault("", set()).add(after)
    return _tree_regex(root)


def _tree_regex(node: dict[str, Any]) -> str:
    after = node.get("", set())
    if "" in after:
        return ""  # the literal alone is a hint: what else may follow no longer matters
    parts = sorted(after) + [re.escape(c) + _tree_regex(node[c]) for c in sorted(node) if c]
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


def _starts(regex: str, limit: int = 24) -> set[str]:
    """The literal texts a match of ``regex`` starts with, each as far as the regex fixes
    it (up to ``limit`` characters): gh[pousr]_[A-Za-z0-9]{36} -> ghp_, gho_, ghu_, ghs_,
    ghr_. An empty text: a match may start with anything. Literals, escaped punctuation,
    classes of characters and ranges, and groups of alternatives are read; anything else
    (a repeated or optional atom, \\d, a flag, a lookaround) ends a text where it stands,
    which is safe: a shorter text is fewer characters the pre-check relies on."""
    done: set[str] = set()
    try:
        ends, _ = _alternatives(regex, 0, {""}, done, limit)
    except IndexError:  # an unbalanced regex: assume the worst
        return {""}
    return done | ends


def _alternatives(
    regex: str, at: int, starts: set[str], done: set[str], limit: int
) -> tuple[set[str], int]:
    ends: set[str] = set()
    while True:
        found, at = _sequence(regex, at, starts, done, limit)
        ends |= found
        if at >= len(regex) or regex[at] != "|":
            return ends, at
        at += 1


def _sequence(
    regex: str, at: int, starts: set[str], done: set[str], limit: int
) -> tuple[set[str], int]:
    """``starts`` extended along one alternative, up to its "|" or ")"; texts that end
    early go to ``done``."""
    while at < len(regex) and regex[at] not in "|)":
        end = _atom_end(regex, at)
        char = regex[at]
        chars: set[str] | None = None
        if (end < len(regex) and regex[end] in "*+?{") or len(starts) > 256:
            pass  # repeated or optional, or too many texts: they end here
        elif regex.startswith("(?:", at) or (char == "(" and regex[at + 1] != "?"):
            starts, _ = _alternatives(
                regex, at + (3 if regex[at + 1] == "?" else 1), starts, done, limit
            )
            at = end
            continue
        elif char == "[":
            chars = _class_chars(regex[at + 1 : end - 1])
        elif char == "\\":
            chars = None if regex[at + 1].isalnum() else {regex[at + 1]}
        elif char not in ".^$(":
            chars = {char}
        if chars is None:
            done |= starts
            starts = set()
        else:
            starts = {start + c for start in starts for c in chars}
            done |= {start for start in starts if len(start) >= limit}
            starts = {start for start in starts if len(start) < limit}
        if not starts:
            while at < len(regex) and regex[at] not in "|)":
                at = _atom_end(regex, at)
            return set(), at
        at = end
    return starts, at


def _atom_end(regex: str, at: int) -> int:
    """Where the atom starting at ``at`` ends: an escape, a class, a group, a character."""
    if regex[at] == "\\":
        return at + 2
    if regex[at] == "[":
        at += 2 if regex.startswith("[^", at) else 1
        at += regex[at] == "]"  # a leading "]" is a member
        while regex[at] != "]":
            at += 2 if regex[at] == "\\" else 1
        return at + 1
    if regex[at] == "(":
        depth, at = 1, at + 1
        while depth:
            if regex[at] in "\\[":
                at = _atom_end(regex, at)
                continue
            depth += {"(": 1, ")": -1}.get(regex[at], 0)
            at += 1
        return at
    return at + 1


def _class_chars(members: str) -> set[str] | None:
    """The characters of a class's members (``A-Za-z0-9_-``); None for a negated class or
    an escape that stands for a set (\\d, \\w)."""
    if members.startswith("^"):
        return None
    chars: set[str] = set()
    at = 0
    while at < len(members):
        char = members[at]
        if char == "\\":
            if members[at + 1].isalnum():
                return None
            at += 1
            char = members[at]
        if members[at + 1 : at + 2] == "-" and at + 2 < len(members):
            last = members[at + 2]
            if last == "\\":
                return None
            chars.update(map(chr, range(ord(char), ord(last) + 1)))
            at += 3
        else:
            chars.add(char)
            at += 1
    return chars


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


def _fact_hints() -> list[str]:
    """What the facts gathered from Python look for (the HSTS code sends: the header's
    name, Django's setting, Flask-Talisman), as their rule modules declare it."""
    from flylint.diagnostics import FileKind
    from flylint.registry import selection
    from flylint.repository.facts import PYTHON

    producers = selection.producers_for(FileKind.FLY_TOML)
    return sorted({hint for p in producers if p.reads == PYTHON for hint in p.hints})


# How deep the syntax tree of a file libcst is given may be. libcst's native parser
# overflows the C stack on ~1,300 nested brackets (the process dies), and its conversion
# and position walk take superlinear time and then raise RecursionError at ~500 levels;
# real code stays under ~40.
MAX_NESTING = 200


def _check_nesting(source: Source) -> None:
    """Raise Unreadable for a file too deeply nested to hand to libcst. CPython's own
    parser (C, linear, with its own limits) judges first; where it refuses the file as
    invalid, libcst still gets it (it reads syntax newer than the running Python) unless
    its brackets nest too deep."""
    import ast

    too_deep = Unreadable(
        f"skipped: nested more than {MAX_NESTING} levels deep, too deep for Python analysis",
        error=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(source.text)
        except (MemoryError, RecursionError):  # CPython's "too complex" verdicts
            raise too_deep from None
        except (SyntaxError, ValueError):
            if _bracket_depth(source.text) > MAX_NESTING // 2:
                raise too_deep from None
            return
    stack = [(tree, 1)]
    children = ast.iter_child_nodes
    while stack:
        node, level = stack.pop()
        if level > MAX_NESTING:
            raise too_deep
        stack.extend((child, level + 1) for child in children(node))


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
    checked its own hints); None when it cannot matter."""
    if precheck and not worth_parsing(source.text):
        return None
    if len(source.text) > MAX_PYTHON_CHARS:
        raise Unreadable(
            f"skipped: {len(source.text) // 1024} KB is over the {MAX_PYTHON_CHARS // 1024} KB "
            "limit for Python analysis",
            error=False,
        )
    _check_nesting(source)
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
    except cst.CSTValidationError as exc:  # parsed, then refused as a tree: invalid Python
        return Diagnostic(PARSE_ERROR, source.path, Span.at_line(1), f"invalid Python: {exc}")
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
