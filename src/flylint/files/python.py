"""Python source: a cheap pre-check, then the standard library's ``ast`` with positions
and qualified names.

A file is parsed only when it passes the pre-check. Names are qualified through the
module's imports (``import httpx as h``: ``h.get`` is ``httpx.get``). String values are
resolved through module constants, f-strings, concatenation, ``urljoin`` and
``os.environ.get(..., default)``. Positions are ``ast``'s, its UTF-8 byte columns turned
into code points; the tree is walked once, iteratively, and every walk of flylint's over
it is iterative or bounded, so no file's depth can raise RecursionError.
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
from collections.abc import Callable, Iterator

from flylint.diagnostics import Diagnostic, Span
from flylint.files.reading import PARSE_ERROR, Source, Unreadable
from flylint.registry import rule_data
from flylint.support.lazy_regex import Regex
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# -- the pre-check --------------------------------------------------------------------------
# A Python file is parsed (~10x the cost of reading it) only when it holds a hint of what a
# rule reports, every hint derived from the rule data at first use:
#   FLY106: a token format's start or keyword, a URL with a password, a secret-named key
#           holding a string literal (rules/catalogs/secrets.toml);
#   FLY302: a database URL (databases.toml [url_schemes]), a database client's import
#           (python-calls.toml [database]) with an IPv4 literal, an APP.fly.dev host;
#   FLY401: an APP.fly.dev address;  the configs' rules (FLY2xx, FLY3xx): what the app
#           facts read, as their producers declare (HSTS, a server or bot, a domain).
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
# After a setting's name in an environment read: the quote that closes it, then a literal
# default (os.environ.get("SECRET_KEY", "...")).
_DEFAULTED = r"[\"']\s{0,20},\s{0,20}(?:default\s{0,5}=\s{0,5})?[rbuf]{0,2}[\"']"
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
    return admission(text) is not None


def admission(text: str) -> str | None:
    """Why the pre-check admits ``text`` (the kind of hint it holds: see ADMISSIONS); None
    when no rule can report on it."""
    exact, folded = _hints()
    for regex in exact:
        if regex.search(text):
            return TOKEN
    lower = text.lower()
    host = None
    for regex in folded:
        at = 0
        while (match := regex.search(lower, at)) is not None:
            if match.lastindex is None:
                return _folded_kind(lower, match)
            if host is None:  # a database client's import: only with a host to connect to
                host = _IPV4_LITERAL.search(text) is not None
            if host:
                return DATABASE_IMPORT
            at = match.start() + 1  # another hint may start inside the import
    return TOKEN if any(regex.search(text) for regex in _unprefixed_patterns()) else None


# The kinds of hint, as ``admission`` names them (the benchmark counts files by kind).
TOKEN = "a token format"
DATABASE_IMPORT = "a database client's import and an IPv4 literal"
FLY_DEV = "an APP.fly.dev address"
URL = "a database URL or a URL with a password"
APP_FACT = "what an app fact reads (HSTS, a server or bot it runs, a domain)"
SECRET_NAME = "a secret-named key holding a string"
ADMISSIONS = (TOKEN, SECRET_NAME, URL, DATABASE_IMPORT, FLY_DEV, APP_FACT)


def _folded_kind(lower: str, match: re.Match[str]) -> str:
    """The kind of the hint a case-folded regex matched: the hint's literal may start before
    the match (behind its anchor), so the line up to the match's end is read."""
    line = lower[lower.rfind("\n", 0, match.start()) + 1 : match.end()]
    if _FLY_DEV in line:
        return FLY_DEV
    if "://" in match.group():
        return URL
    if any(hint in line for hint in _fact_hints()):
        return APP_FACT
    return SECRET_NAME


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
    # FLY106's signing keys: a signing setting read with a literal default
    # (environ.get("SECRET_KEY", "...")), and the calls that sign with a key.
    signing = secrets["signing_keys"]
    folded += [(name.lower(), "", _DEFAULTED) for name in signing["names"]]
    folded += [(_call_hint(f["name"]), "", "") for f in signing["functions"]]
    # The scheme before any "+" (mongodb+srv is mongodb's), as database_target reads it.
    schemes = {scheme.lower().split("+")[0] for scheme in databases["url_schemes"]}
    folded += [(scheme, "", _SCHEME_END) for scheme in sorted(schemes)]
    folded += [(_FLY_DEV, "", "")] + [(hint, "", "") for hint in _fact_hints()]
    functions = calls_catalog()["database"]["functions"]
    modules = "|".join(sorted({re.escape(name.split(".")[0]) for name in functions}))
    folded += [("import", "", _IMPORTS.format(modules)), ("from", "", _FROM.format(modules))]
    return _anchored(exact, _per_mille), _anchored(folded, _folded_per_mille)


def _call_hint(name: str) -> str:
    """What a call of ``name`` holds, lower-cased: a class by its name
    (``urlsafetimedserializer(``), a function with its module (``jwt.encode(``), its
    name alone being too common a word."""
    parts = name.split(".")
    tail = parts[-1] if parts[-1] != parts[-1].lower() else ".".join(parts[-2:])
    return tail.lower() + "("


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


@functools.cache
def _fact_hints() -> tuple[str, ...]:
    """What the facts gathered from Python look for (the HSTS code sends: the header's
    name, Django's setting, Flask-Talisman), as their rule modules declare it."""
    from flylint.diagnostics import FileKind
    from flylint.registry import selection
    from flylint.repository.facts import PYTHON

    producers = selection.producers_for(FileKind.FLY_TOML)
    return tuple(sorted({hint for p in producers if p.reads == PYTHON for hint in p.hints}))


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
