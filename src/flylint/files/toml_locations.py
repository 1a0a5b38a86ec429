"""Exact positions of every key, table header, value and array element of a TOML document.

tomlkit keeps a document's bytes but not where things are, so this scanner walks the
same text once and maps each key path to spans. Paths use the shape of the parsed
data: table names, then an int index for each array (``("services", 0, "ports", 1)``),
whether the array was written as ``[[services.ports]]`` headers or inline.

It runs only on text tomlkit has accepted, so it trusts the syntax and stays small.
"""

from __future__ import annotations

import bisect

from flylint.diagnostics import Span
from flylint.support.records import Record

KeyPath = tuple[str | int, ...]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ESCAPES = {
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "f": "\f",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "e": "\x1b",
}


class Located(Record):
    """Where a path is written: ``key`` is the key, or the whole ``[header]``, or for an
    array element its value; ``value`` is the value's span (None for a header table)."""

    __slots__ = ("key", "value")

    def __init__(self, key: Span, value: Span | None) -> None:
        self.key = key
        self.value = value

    @property
    def entry(self) -> Span:
        """From the key to the end of the value: the whole ``key = value``."""
        if self.value is None:
            return self.key
        return Span(self.key.line, self.key.column, self.value.end_line, self.value.end_column)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.line_starts = [0]
        pos = text.find("\n")
        while pos != -1:
            self.line_starts.append(pos + 1)
            pos = text.find("\n", pos + 1)
        self.found: dict[KeyPath, Located] = {}
        self.aot_count: dict[KeyPath, int] = {}

    # -- positions ---------------------------------------------------------------------------
    def span(self, start: int, end: int) -> Span:
        line = bisect.bisect_right(self.line_starts, start) - 1
        end_line = bisect.bisect_right(self.line_starts, end) - 1
        return Span(
            line + 1,
            start - self.line_starts[line] + 1,
            end_line + 1,
            end - self.line_starts[end_line] + 1,
        )

    def record(self, path: KeyPath, located: Located) -> None:
        # Parents written only implicitly (``[a.b]`` before any ``[a]``) take their first
        # mention; the path's own definition replaces what its nested values implied.
        for cut in range(1, len(path)):
            self.found.setdefault(path[:cut], Located(located.key, None))
        self.found[path] = located

    # -- lexing ------------------------------------------------------------------------------
    def skip_ws(self, i: int) -> int:
        text, n = self.text, self.n
        while i < n and text[i] in " \t":
            i += 1
        return i

    def skip_blank(self, i: int) -> int:
        """Whitespace, newlines and comments (inside arrays)."""
        text, n = self.text, self.n
        while i < n:
            c = text[i]
            if c in " \t\n":
                i += 1
            elif c == "#":
                nl = text.find("\n", i)
                i = n if nl == -1 else nl + 1
            else:
                break
        return i

    def basic_string(self, i: int) -> tuple[str, int]:
        """A ``"..."`` string starting at i: its decoded text and the index after it."""
        text = self.text
        out: list[str] = []
        i += 1
        while True:
            c = text[i]
            if c == '"':
                return "".join(out), i + 1
            if c == "\\":
                esc = text[i + 1]
                if esc == "u":
                    out.append(chr(int(text[i + 2 : i + 6], 16)))
                    i += 6
                    continue
                if esc == "U":
                    out.append(chr(int(text[i + 2 : i + 10], 16)))
                    i += 10
                    continue
                out.append(_ESCAPES.get(esc, esc))
                i += 2
                continue
            out.append(c)
            i += 1

    def key(self, i: int) -> tuple[list[str], int]:
        """A dotted key starting at i: its parts and the index after the last part."""
        text = self.text
        parts: list[str] = []
        while True:
            i = self.skip_ws(i)
            c = text[i]
            if c == '"':
                part, i = self.basic_string(i)
            elif c == "'":
                end = text.index("'", i + 1)
                part, i = text[i + 1 : end], end + 1
            else:
                start = i
                while i < self.n and text[i] in _BARE:
                    i += 1
                part = text[start:i]
            parts.append(part)
            j = self.skip_ws(i)
            if j < self.n and text[j] == ".":
                i = j + 1
                continue
            return parts, i

    def multiline_end(self, i: int, quote: str) -> int:
        """Index after a multi-line string whose opening triple quote is at i."""
        text = self.text
        j = i + 3
        while True:
            c = text[j]
            if c == "\\" and quote == '"':
                j += 2
            elif c == quote and text.startswith(quote * 3, j):
                run = 3
                while run < 5 and j + run < self.n and text[j + run] == quote:
                    run += 1
                return j + run
            else:
                j += 1

    def value(self, i: int, path: KeyPath) -> int:
        """Scan the value at i, recording nested keys and elements; return the index after it."""
        text = self.text
        c = text[i]
        if c in "\"'":
            if text.startswith(c * 3, i):
                return self.multiline_end(i, c)
            if c == '"':
                return self.basic_string(i)[1]
            return text.index("'", i + 1) + 1
        if c == "[":
            return self.array(i, path)
        if c == "{":
            return self.inline_table(i, path)
        start = i
        while i < self.n and text[i] not in ",]}#\n":
            i += 1
        while i > start and text[i - 1] in " \t":
            i -= 1
        return i

    def array(self, i: int, path: KeyPath) -> int:
        text = self.text
        index = 0
        i = self.skip_blank(i + 1)
        while text[i] != "]":
            start = i
            end = self.value(i, (*path, index))
            here = self.span(start, end)
            self.record((*path, index), Located(here, here))
            index += 1
            i = self.skip_blank(end)
            if text[i] == ",":
                i = self.skip_blank(i + 1)
        return i + 1

    def inline_table(self, i: int, path: KeyPath) -> int:
        text = self.text
        i = self.skip_ws(i + 1)
        while text[i] != "}":
            i = self.key_value(i, path)
            i = self.skip_ws(i)
            if text[i] == ",":
                i = self.skip_ws(i + 1)
        return i + 1

    def key_value(self, i: int, table: KeyPath) -> int:
        start = i
        parts, key_end = self.key(i)
        i = self.skip_ws(key_end)
        i = self.skip_ws(i + 1)  # the "="
        path = (*table, *parts)
        value_start = i
        end = self.value(i, path)
        self.record(path, Located(self.span(start, key_end), self.span(value_start, end)))
        return end

    def resolve(self, parts: list[str]) -> KeyPath:
        """A header's key path, each array-of-tables part pointing at its latest element."""
        path: KeyPath = ()
        for part in parts:
            path = (*path, part)
            count = self.aot_count.get(path)
            if count:
                path = (*path, count - 1)
        return path

    def header(self, i: int) -> tuple[KeyPath, int]:
        text = self.text
        start = i
        is_array = text.startswith("[[", i)
        parts, i = self.key(i + (2 if is_array else 1))
        i = self.skip_ws(i) + (2 if is_array else 1)
        here = self.span(start, i)
        if is_array:
            parent = self.resolve(parts[:-1])
            aot = (*parent, parts[-1])
            index = self.aot_count.get(aot, 0)
            self.aot_count[aot] = index + 1
            path: KeyPath = (*aot, index)
        else:
            path = self.resolve(parts)
        self.record(path, Located(here, None))
        return path, i

    def document(self) -> dict[KeyPath, Located]:
        text, n = self.text, self.n
        table: KeyPath = ()
        i = 0
        while i < n:
            i = self.skip_blank(i)
            if i >= n:
                break
            if text[i] == "[":
                table, i = self.header(i)
            else:
                i = self.key_value(i, table)
            # Anything after the header or value on its line is a comment.
            nl = text.find("\n", i)
            i = n if nl == -1 else nl + 1
        return self.found


def locate(text: str) -> dict[KeyPath, Located]:
    """Map every key path of a valid TOML document (LF line endings) to where it is written."""
    return _Scanner(text).document()
