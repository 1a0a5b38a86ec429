"""``.gitignore`` patterns matched as git matches them, in time bounded by the length of
the pattern times the length of the path.

A regex translation of a pattern backtracks: ``*a*a*a*a*a*a*b`` (15 bytes of a
.gitignore) against a 255-character directory name hung a walk. Git itself
compiles no regex, and neither does this module. A pattern is cut at its slashes into
segments; a segment's glob is cut at its stars into fixed-width parts, the first matched
at the segment's start, the last at its end and each other at its leftmost place (where
it leaves the most room to the rest), so a segment is matched in at most
len(glob) * len(name) steps. ``**`` is a set of reachable path positions, advanced one
pattern segment at a time: at most segments(pattern) * segments(path) glob matches.

Patterns and paths are compared as bytes (UTF-8, a path's undecodable bytes as they are on
disk), as git compares them: ``?`` and ``[...]`` stand for one byte; case matters (git's
default ``core.ignoreCase=false``). See ``man gitignore``; what git does that the manual
leaves out follows git's dir.c and wildmatch.c (and tests/test_gitignore.py checks it
against git): only one leading and one trailing slash are special, a ``[`` never closed
or naming an unknown ``[:class:]`` makes its pattern match nothing, ``**\\/`` (an escaped
slash) stands for at least one directory, and a ``**/`` right after the literal start of
an anchored pattern is one even after a name (``c**/x`` matches ``cx``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeAlias

    # One byte of a fixed-width part: a byte, any byte ("?"), or one of a set ("[...]").
    _Element: TypeAlias = "int | frozenset[int] | None"
    # A run of fixed-width elements: bytes when it holds only literal bytes (matched by
    # bytes methods in C), else a tuple of elements; either way its length is its width.
    _Part: TypeAlias = "bytes | tuple[_Element, ...]"
    # A segment's glob: its parts between stars (one part: no star).
    _Glob: TypeAlias = "tuple[_Part, ...]"
    _Token: TypeAlias = "int | frozenset[int] | _Star | _Separator | None"

_SLASH, _BACKSLASH, _STAR, _QUESTION = ord("/"), ord("\\"), ord("*"), ord("?")
_OPEN, _CLOSE, _COLON, _DASH = ord("["), ord("]"), ord(":"), ord("-")
_ALL_BYTES = frozenset(range(256))


def _ascii(predicate: Callable[[str], bool]) -> frozenset[int]:
    return frozenset(c for c in range(128) if predicate(chr(c)))


# POSIX classes in the C locale, as git's ctype defines them (its space has no \v, \f).
_CLASSES = {
    b"alnum": _ascii(str.isalnum),
    b"alpha": _ascii(str.isalpha),
    b"blank": frozenset(b" \t"),
    b"cntrl": frozenset([*range(32), 127]),
    b"digit": _ascii(str.isdigit),
    b"graph": frozenset(range(33, 127)),
    b"lower": _ascii(str.islower),
    b"print": frozenset(range(32, 127)),
    b"punct": frozenset(b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    b"space": frozenset(b" \t\n\r"),
    b"upper": _ascii(str.isupper),
    b"xdigit": frozenset(b"0123456789abcdefABCDEF"),
}


class _Star:
    """A run of unescaped stars; ``**`` when it has two or more."""

    __slots__ = ("double",)

    def __init__(self, double: bool) -> None:
        self.double = double


class _Separator:
    """A slash, written plainly or escaped (``\\/``)."""

    __slots__ = ("escaped",)

    def __init__(self, escaped: bool) -> None:
        self.escaped = escaped


class _Unmatchable(Exception):
    """The pattern can match no path: git's wildmatch aborts wherever it reaches it."""


def _escaped(pattern: bytes, i: int, end: int) -> tuple[int, int]:
    """The byte at ``i``, or the one after it when it is a backslash; and its index."""
    if pattern[i] == _BACKSLASH:
        i += 1
        if i >= end:
            raise _Unmatchable
    return pattern[i], i


def _bracket(pattern: bytes, start: int) -> tuple[frozenset[int], int]:
    """The set of bytes ``[...]`` at ``start`` stands for, and the index after its ``]``;
    parsed as wildmatch parses it: a ``]`` first is a member, ``!`` or ``^`` first negates,
    ``a-z`` is a range and ``[:alpha:]`` a class."""
    end = len(pattern)
    i = start + 1
    negated = i < end and pattern[i] in b"!^"
    if negated:
        i += 1
    members: set[int] = set()
    previous = 0  # the byte a "-" after it starts a range from; 0 after a range or class
    while True:
        if i >= end:
            raise _Unmatchable
        byte = pattern[i]
        if byte == _BACKSLASH:
            byte, i = _escaped(pattern, i, end)
            members.add(byte)
        elif byte == _DASH and previous and i + 1 < end and pattern[i + 1] != _CLOSE:
            last, i = _escaped(pattern, i + 1, end)
            members.update(range(previous, last + 1))
            byte = 0
        elif byte == _OPEN and i + 1 < end and pattern[i + 1] == _COLON:
            close = pattern.find(b"]", i + 2)
            if close < 0:
                raise _Unmatchable
            if close - (i + 2) < 1 or pattern[close - 1] != _COLON:
                members.add(byte)  # no ":]" before the "]": a plain "[", then ":"...
            else:
                name = pattern[i + 2 : close - 1]
                if name not in _CLASSES:
                    raise _Unmatchable
                members.update(_CLASSES[name])
                byte = 0
                i = close
        else:
            members.add(byte)
        previous = byte
        i += 1
        if i < end and pattern[i] == _CLOSE:
            break
    chosen = _ALL_BYTES - members if negated else members
    return frozenset(chosen), i + 1


def _tokens(pattern: bytes) -> list[_Token]:
    tokens: list[_Token] = []
    i, end = 0, len(pattern)
    while i < end:
        byte = pattern[i]
        if byte == _BACKSLASH:
            if i + 1 == end:
                raise _Unmatchable  # a trailing backslash escapes nothing
            escaped = pattern[i + 1]
            tokens.append(_Separator(True) if escaped == _SLASH else escaped)
            i += 2
        elif byte == _SLASH:
            tokens.append(_Separator(False))
            i += 1
        elif byte == _STAR:
            run = i
            while i < end and pattern[i] == _STAR:
                i += 1
            tokens.append(_Star(i - run > 1))
        elif byte == _QUESTION:
            tokens.append(None)
            i += 1
        elif byte == _OPEN:
            members, i = _bracket(pattern, i)
            tokens.append(members)
        else:
            tokens.append(byte)
            i += 1
    return tokens


def _glob(tokens: list[_Token]) -> _Glob:
    """The parts between the stars of one segment's tokens."""
    parts: list[_Part] = []
    current: list[_Element] = []
    for token in tokens:
        if isinstance(token, _Star):
            parts.append(_part(current))
            current = []
        else:
            current.append(token)  # type: ignore[arg-type]
    parts.append(_part(current))
    return tuple(parts)


def _part(elements: list[_Element]) -> _Part:
    if all(isinstance(e, int) for e in elements):
        return bytes(elements)  # type: ignore[arg-type]
    return tuple(elements)


def _part_at(part: _Part, text: bytes, position: int) -> bool:
    if type(part) is bytes:
        return text.startswith(part, position)
    for offset, element in enumerate(part):
        byte = text[position + offset]
        if element is None:
            continue
        if type(element) is int:
            if byte != element:
                return False
        elif byte not in element:  # type: ignore[operator]
            return False
    return True


def _find(part: _Part, text: bytes, start: int, end: int) -> int:
    """The leftmost place in ``text[start:end]`` where ``part`` matches, or -1."""
    if type(part) is bytes:
        return text.find(part, start, end)
    for position in range(start, end - len(part) + 1):
        if _part_at(part, text, position):
            return position
    return -1


def _matches(glob: _Glob, text: bytes) -> bool:
    """Whether one segment's glob matches ``text``, a name without a slash."""
    first = glob[0]
    if len(glob) == 1:
        return len(text) == len(first) and _part_at(first, text, 0)
    last = glob[-1]
    position, end = len(first), len(text) - len(last)
    if end < position or not _part_at(first, text, 0) or not _part_at(last, text, end):
        return False
    # Each middle part at its leftmost place: placing one earlier never hinders the next.
    for part in glob[1:-1]:
        found = _find(part, text, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


class _Anchored:
    """A pattern anchored at the .gitignore's directory, as its segments: each a glob or,
    for ``**``, the fewest path segments it stands for."""

    __slots__ = ("minimums", "names", "rigid", "segments")

    def __init__(self, pattern: bytes) -> None:
        pieces: list[list[_Token]] = [[]]
        escaped: list[bool] = []  # whether the separator after each piece is escaped
        for token in _tokens(pattern):
            if isinstance(token, _Separator):
                pieces.append([])
                escaped.append(token.escaped)
            else:
                pieces[-1].append(token)
        self.segments: list[_Glob | int] = []
        for index, piece in enumerate(pieces):
            if len(piece) == 1 and isinstance(piece[0], _Star) and piece[0].double:
                # "**/" may stand for no directory; a trailing "/**" for at least one
                # name (a directory is not inside itself), and so does "**\/".
                last = index == len(pieces) - 1
                self.segments.append(1 if last or escaped[index] else 0)
            else:
                self.segments.append(_glob(piece))
        # The names without a wildcard: a path without one of them cannot match.
        self.names = [
            s[0]
            for s in self.segments
            if not isinstance(s, int) and len(s) == 1 and type(s[0]) is bytes
        ]
        # From each segment on: the fewest path segments the rest of the pattern needs,
        # and whether it needs exactly that many (it has no "**").
        count = len(self.segments)
        self.minimums = [0] * (count + 1)
        self.rigid = [True] * (count + 1)
        for index in range(count - 1, -1, -1):
            segment = self.segments[index]
            globstar = isinstance(segment, int)
            self.minimums[index] = self.minimums[index + 1] + (segment if globstar else 1)
            self.rigid[index] = self.rigid[index + 1] and not globstar

    def ends(self, names: list[bytes], exact: bool) -> list[int]:
        """Each number of leading ``names`` the pattern matches, in increasing order;
        ``exact``: only whether it matches all of them (other numbers may be left out)."""
        count = len(names)
        if count < self.minimums[0] or not all(name in names for name in self.names):
            return []
        reach = [0]
        for index, segment in enumerate(self.segments):
            if isinstance(segment, int):
                reach = list(range(reach[0] + segment, count + 1))
            else:
                # Only where the rest of the pattern still fits: exactly so, to match all
                # the names with no "**" left.
                room = count - self.minimums[index]
                exactly = exact and self.rigid[index]
                reach = [
                    j + 1
                    for j in reach
                    if (j == room if exactly else j <= room) and _matches(segment, names[j])
                ]
            if not reach:
                break
        return reach


def _spellings(pattern: bytes) -> list[bytes]:
    """An anchored pattern as patterns of plain segments, one of which matches a path
    when it does. Git compares the literal start of a pattern before wildmatch sees the
    rest, to which a ``**`` right after that start is then at the start, so a ``**/``
    even after a name: ``c**/x`` matches ``cx``, ``c/x`` and ``cy/z/x``."""
    first = min(
        (found for found in map(pattern.find, (b"*", b"?", b"[", b"\\")) if found >= 0),
        default=-1,
    )
    if first <= 0 or pattern[first - 1] == _SLASH:
        return [pattern]
    return _after(pattern[:first], pattern[first:])


def _after(literal: bytes, rest: bytes) -> list[bytes]:
    """The spellings of ``literal`` followed by ``rest``, which wildmatch matches as a
    pattern of its own (a ``**`` at its start is one)."""
    if not rest.startswith(b"**"):
        return [literal + rest]
    after = rest.lstrip(b"*")
    anything = literal + b"*/**"  # "**" but "/": the rest of the name and whole ones
    if not after:
        return [literal + b"*", anything]
    if after.startswith(b"/"):
        rest = after[1:]
        while rest.startswith(b"**") and rest.lstrip(b"*").startswith(b"/"):
            rest = rest.lstrip(b"*")[1:]  # "**/**/" is "**/": one spelling for all
        return [*_after(literal, rest), anything + after]  # no directory, or some
    if after.startswith(b"\\/"):
        return [anything + after[1:]]  # no shortcut to "no directory" for an escaped "/"
    return [literal + rest]  # "**x": one star


class _Pattern:
    """One pattern line: ``basename``, a pattern without a slash matched against the last
    name of a path at any depth; else ``anchored``, at the .gitignore's directory."""

    __slots__ = ("anchored", "basename", "directory_only", "negated")

    def __init__(self, line: bytes) -> None:
        self.negated = line.startswith(b"!")
        if self.negated:
            line = line[1:]
        self.directory_only = line.endswith(b"/")
        if self.directory_only:
            line = line[:-1]
        if not line:
            raise _Unmatchable
        self.basename: _Glob | None = None
        self.anchored: list[_Anchored] = []
        if b"/" not in line:
            self.basename = _glob(_tokens(line))
            return
        if line.startswith(b"/"):
            line = line[1:]
        for spelling in _spellings(line):
            try:
                self.anchored.append(_Anchored(spelling))
            except _Unmatchable:
                continue
        if not self.anchored:
            raise _Unmatchable

    def matches(self, names: list[bytes], is_dir: bool) -> bool:
        """Whether the pattern matches the path of ``names`` (its segments)."""
        if self.directory_only and not is_dir:
            return False
        if self.basename is not None:
            return _matches(self.basename, names[-1])
        count = len(names)
        return any(count in anchored.ends(names, exact=True) for anchored in self.anchored)

    def prefixes(self, names: list[bytes], is_dir: bool) -> set[int]:
        """Each number of leading ``names`` whose path the pattern matches (all but the
        last name are directories)."""
        last = len(names) if is_dir or not self.directory_only else len(names) - 1
        if self.basename is not None:
            glob = self.basename
            return {end for end in range(1, last + 1) if _matches(glob, names[end - 1])}
        return {end for a in self.anchored for end in a.ends(names, False) if 0 < end <= last}


def _clean(line: bytes) -> bytes | None:
    """A line as git reads it: None for a blank line or a comment; trailing spaces go
    unless escaped; a NUL ends the line (git reads it as a C string)."""
    if line.endswith(b"\n"):
        line = line[:-1]
    if line.endswith(b"\r"):
        line = line[:-1]
    if not line or line.startswith(b"#"):
        return None
    line = line.split(b"\0", 1)[0]
    end = len(line.rstrip(b" "))
    if end < len(line):
        # A space stays when escaped: an odd number of backslashes before it.
        backslashes = end - len(line[:end].rstrip(b"\\"))
        if backslashes % 2:
            end += 1
        line = line[:end]
    return line or None


def _last(entries: list[tuple[int, bool]] | None, best: int, is_dir: bool) -> int:
    """The index of the last of ``entries`` (last first) that applies, if after ``best``."""
    for index, directory_only in entries or ():
        if index <= best:
            break
        if is_dir or not directory_only:
            return index
    return best


# As os.fsencode encodes, without its cost for each path of a walk: a name's undecodable
# bytes come back as they are on disk.
_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()


def _encode(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode(_FS_ENCODING, _FS_ERRORS)


class GitIgnore:
    """The patterns of one .gitignore, for paths relative to its directory."""

    __slots__ = ("_ends", "_exact", "_firsts", "_others", "_patterns", "_prefixes",
                 "_starts", "_suffixes")  # fmt: skip

    def __init__(self, patterns: list[_Pattern]) -> None:
        self._patterns = patterns
        # The common shapes (a name, "*suffix", "prefix*": the verdict needs no glob) and
        # anchored patterns (by their first name, when it has no wildcard) are found with
        # a look-up, not tried one by one: a walk asks for each file and directory.
        # Each table holds patterns last first; the last one that matches decides.
        self._exact: dict[bytes, list[tuple[int, bool]]] = {}
        self._suffixes: dict[int, dict[bytes, list[tuple[int, bool]]]] = {}
        self._prefixes: dict[int, dict[bytes, list[tuple[int, bool]]]] = {}
        self._firsts: dict[bytes, list[int]] = {}
        self._others: list[int] = []
        for index in range(len(patterns) - 1, -1, -1):
            self._file(index, patterns[index])
        # Whether any suffix or prefix can be there at all, in one test.
        self._ends = tuple(s for table in self._suffixes.values() for s in table)
        self._starts = tuple(s for table in self._prefixes.values() for s in table)

    def _file(self, index: int, pattern: _Pattern) -> None:
        entry = (index, pattern.directory_only)
        glob = pattern.basename
        if glob is not None and all(type(part) is bytes for part in glob):
            if len(glob) == 1:
                self._exact.setdefault(glob[0], []).append(entry)  # type: ignore[arg-type]
                return
            if len(glob) == 2 and not glob[0]:
                table = self._suffixes.setdefault(len(glob[1]), {})
                table.setdefault(glob[1], []).append(entry)  # type: ignore[arg-type]
                return
            if len(glob) == 2 and not glob[1]:
                table = self._prefixes.setdefault(len(glob[0]), {})
                table.setdefault(glob[0], []).append(entry)  # type: ignore[arg-type]
                return
        if glob is None and len(pattern.anchored) == 1:
            first = pattern.anchored[0].segments[0]
            if not isinstance(first, int) and len(first) == 1 and type(first[0]) is bytes:
                self._firsts.setdefault(first[0], []).append(index)
                return
        self._others.append(index)

    @classmethod
    def from_lines(cls, lines: Iterable[str | bytes]) -> GitIgnore:
        patterns = []
        for line in lines:
            cleaned = _clean(_encode(line))
            if cleaned is None:
                continue
            try:
                patterns.append(_Pattern(cleaned))
            except _Unmatchable:
                continue
        return cls(patterns)

    @classmethod
    def from_bytes(cls, content: bytes) -> GitIgnore:
        """The patterns of a .gitignore file's content (git skips a UTF-8 BOM)."""
        return cls.from_lines(content.removeprefix(b"\xef\xbb\xbf").split(b"\n"))

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def match(self, path: str | bytes, is_dir: bool) -> bool | None:
        """True when the last pattern that matches ``path`` (relative, with ``/``) ignores
        it, False when that pattern is a negation, None when none matches. The
        directories above ``path`` are not looked at: a walk never enters an ignored one."""
        return self._verdict(_encode(path).strip(b"/").split(b"/"), is_dir)

    def _verdict(self, names: list[bytes], is_dir: bool) -> bool | None:
        name = names[-1]
        size = len(name)
        best = _last(self._exact.get(name), -1, is_dir)
        if name.endswith(self._ends):
            for length, table in self._suffixes.items():
                if length <= size:
                    best = _last(table.get(name[size - length :]), best, is_dir)
        if name.startswith(self._starts):
            for length, table in self._prefixes.items():
                if length <= size:
                    best = _last(table.get(name[:length]), best, is_dir)
        for candidates in (self._firsts.get(names[0], ()), self._others):
            for index in candidates:
                if index <= best:
                    break
                if self._patterns[index].matches(names, is_dir):
                    best = index
                    break
        return None if best < 0 else not self._patterns[best].negated

    def ignores(self, path: str | bytes, is_dir: bool) -> bool:
        """Whether git ignores ``path``: it, or a directory above it, is ignored (a file
        in an ignored directory cannot be re-included)."""
        names = _encode(path).strip(b"/").split(b"/")
        # The verdict on each directory above the path and on the path, from one pass of
        # each pattern (not one per directory): the last pattern that matches decides.
        verdicts: dict[int, bool] = {}
        for pattern in self._patterns:
            for end in pattern.prefixes(names, is_dir):
                verdicts[end] = not pattern.negated
        return any(verdicts.values())


def path_glob(pattern: str) -> Callable[[str], bool] | None:
    """A glob of a path from a root (``*`` and ``?`` within a name, ``**`` across names),
    read as an anchored .gitignore pattern, as a test of whether it matches a relative path
    or one of the directories above it; None for a pattern that can match nothing. (Docker
    reads .dockerignore patterns so: flylint.support.dockerignore.)"""
    try:
        glob = _Pattern(b"/" + _encode(pattern.strip("/")))
    except _Unmatchable:
        return None
    return lambda path: bool(glob.prefixes(_encode(path).split(b"/"), False))
