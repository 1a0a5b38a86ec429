"""The Python pre-check: whether a file holds a hint of anything a rule reports, read
from its text before any parse (most files of a repository hold none), and which kind of
hint admitted it (the benchmark counts files by kind)."""

from __future__ import annotations

import functools
import re

from flylint.files import precheck_hints
from flylint.support.lazy_regex import Regex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def worth_parsing(text: str) -> bool:
    return admission(text) is not None


def admission(text: str) -> str | None:
    """Why the pre-check admits ``text`` (the kind of hint it holds: see ADMISSIONS); None
    when no rule can report on it."""
    exact, folded, unprefixed = _compiled()
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
    return TOKEN if any(regex.search(text) for regex in unprefixed) else None


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
    if any(hint in line for hint in precheck_hints.FACT_HINTS):
        return APP_FACT
    return SECRET_NAME


@functools.cache
def _compiled() -> tuple[tuple[re.Pattern[str], ...], ...]:
    """The generated hints' regexes: (for the text as written, for the lower-cased text,
    token formats run whole)."""
    groups = (precheck_hints.EXACT, precheck_hints.FOLDED, precheck_hints.UNPREFIXED)
    return tuple(tuple(re.compile(source) for source in group) for group in groups)


# -- the hints, built from the rule data at development time ----------------------------------
# A Python file is parsed (~10x the cost of reading it) only when it holds a hint of what a
# rule reports, every hint derived from the rule data and the facts' producers:
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
# Building them costs ~20 ms (the catalogs, the producers' imports, choosing anchors, a
# compile per continuation): more than the rest of a one-file run on save. So they are
# built by `python -m flylint.files.precheck` into flylint/files/precheck_hints.py, and a
# run only compiles the ~20 regexes (~7 ms); a test fails when that file is out of date.

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


def hints() -> dict[str, tuple[str, ...]]:
    """What precheck_hints holds: the hints' regexes (EXACT for the text as written,
    FOLDED for the lower-cased text), the token formats no hint stands for (UNPREFIXED),
    and the literals the facts gathered from Python look for (FACT_HINTS)."""
    from flylint.registry import rule_data

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
    facts = _fact_hints()
    folded += [(_FLY_DEV, "", "")] + [(hint, "", "") for hint in facts]
    functions = rule_data.catalog("python-calls")["database"]["functions"]
    modules = "|".join(sorted({re.escape(name.split(".")[0]) for name in functions}))
    folded += [("import", "", _IMPORTS.format(modules)), ("from", "", _FROM.format(modules))]
    return {
        "EXACT": _anchored(exact, _per_mille),
        "FOLDED": _anchored(folded, _folded_per_mille),
        "UNPREFIXED": _unprefixed_patterns(secrets["patterns"]),
        "FACT_HINTS": facts,
    }


def _call_hint(name: str) -> str:
    """What a call of ``name`` holds, lower-cased: a class by its name
    (``urlsafetimedserializer(``), a function with its module (``jwt.encode(``), its
    name alone being too common a word."""
    parts = name.split(".")
    tail = parts[-1] if parts[-1] != parts[-1].lower() else ".".join(parts[-2:])
    return tail.lower() + "("


def _unprefixed_patterns(patterns: list[dict[str, Any]]) -> tuple[str, ...]:
    """Token patterns no hint stands for (no keywords, no literal start, no key_regex):
    run as they are. None in the catalog today."""
    return tuple(
        pattern["regex"]
        for pattern in patterns
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


def _anchored(hints: list[_Hint], per_mille: Callable[[str], int]) -> tuple[str, ...]:
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
        regexes.append(f"{re.escape(anchor)}(?:{'|'.join(parts)})")
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


def _fact_hints() -> tuple[str, ...]:
    """What the facts gathered from Python look for (the HSTS code sends: the header's
    name, Django's setting, Flask-Talisman), as their rule modules declare it."""
    from flylint.diagnostics import FileKind
    from flylint.registry import selection
    from flylint.repository.facts import PYTHON

    producers = selection.producers_for(FileKind.FLY_TOML)
    return tuple(sorted({hint for p in producers if p.reads == PYTHON for hint in p.hints}))


def generated_module() -> str:
    """The text of flylint/files/precheck_hints.py, as ``hints()`` builds it."""
    lines = [
        '"""The pre-check\'s hints, generated by `python -m flylint.files.precheck` from the',
        'rule data and the facts\' producers: do not edit."""',
        "",
        "# fmt: off",
    ]
    for name, values in hints().items():
        lines.append(f"{name} = (")
        lines += [f"    {value!r}," for value in values]
        lines.append(")")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from pathlib import Path

    target = Path(__file__).with_name("precheck_hints.py")
    target.write_text(generated_module(), encoding="utf-8")
    print(f"wrote {target}")
