"""Dockerfiles: instructions as BuildKit reads them, with the position of every word.

A small parser of our own, after BuildKit's (moby/buildkit frontend/dockerfile/parser):
the ``# escape=`` and ``# syntax=`` parser directives at the top, line continuations
(blank and comment lines inside a continued instruction skipped, a last line continued
into the end of the file still an instruction), keywords in any case, and heredoc bodies
(``RUN <<EOF``) read as part of their instruction, not as instructions. Each word of an
instruction keeps the line and column where it stands, so a finding can point at the
``key=value`` line of a multi-line ``ENV``. It replaces dockerfile-parse, which read
heredoc bodies as instructions, dropped an instruction continued into the end of the
file, and took time quadratic in the lines of one continued instruction (39 s for
200,000 lines). Nothing here is slower than linear in the size of the file.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterable, Iterator

from flylint.diagnostics import Span
from flylint.files.reading import Source
from flylint.support.lazy_regex import Regex
from flylint.support.records import Record


class Word(Record):
    __slots__ = ("span", "text")

    def __init__(self, text: str, span: Span) -> None:
        self.text = text  # quotes removed, escapes applied
        self.span = span


class Instruction(Record):
    __slots__ = ("keyword", "span", "stage", "words")

    def __init__(self, keyword: str, span: Span, words: tuple[Word, ...], stage: int) -> None:
        self.keyword = keyword  # upper-cased: ENV, ARG, COPY, ...
        self.span = span  # the whole instruction, first to last line (heredoc bodies too)
        self.words = words  # the arguments, after the keyword
        self.stage = stage  # index of the build stage it belongs to; -1 before the first FROM

    @property
    def flags(self) -> dict[str, str]:
        """Leading ``--name=value`` options (``--from=builder``, ``--mount=...``)."""
        found: dict[str, str] = {}
        for word in self.words:
            if not word.text.startswith("--"):
                break
            name, _, value = word.text[2:].partition("=")
            found[name.lower()] = value
        return found

    @property
    def arguments(self) -> tuple[Word, ...]:
        """The words after any leading ``--flag`` options."""
        words = self.words
        index = 0
        while index < len(words) and words[index].text.startswith("--"):
            index += 1
        return words[index:]


class Stage(Record):
    __slots__ = ("image", "name")

    def __init__(self, image: str, name: str | None) -> None:
        self.image = image  # as written, e.g. "python:${PYTHON_VERSION}-slim"
        self.name = name


class Dockerfile(Record):
    __slots__ = ("instructions", "source", "stages")

    def __init__(
        self, source: Source, instructions: tuple[Instruction, ...], stages: tuple[Stage, ...]
    ) -> None:
        self.source = source
        self.instructions = instructions
        self.stages = stages

    @property
    def final_image(self) -> str | None:
        return final_image(self.stages)

    def env(self) -> Iterator[tuple[Instruction, Setting]]:
        """Every ``key=value`` of every ``ENV``, with its instruction."""
        for instruction in self.instructions:
            if instruction.keyword == "ENV":
                for setting in env_settings(instruction):
                    yield instruction, setting


def final_image(stages: tuple[Stage, ...]) -> str | None:
    """The image the final stage builds on, following ``FROM <earlier stage>``."""
    if not stages:
        return None
    named = {stage.name.lower(): stage for stage in stages if stage.name}
    image = stages[-1].image
    for _ in range(len(stages)):
        earlier = named.get(image.lower())
        if earlier is None:
            break
        image = earlier.image
    return image


_FROM_LINE = Regex(
    r"^[ \t]*FROM[ \t]+(?:--[^ \t\n]+[ \t]+){0,8}([^ \t\n]+)(?:[ \t]+AS[ \t]+([^ \t\n]+))?",
    re.IGNORECASE | re.MULTILINE,
)


def stages_in(text: str) -> tuple[Stage, ...]:
    """The stages of a Dockerfile read from its FROM lines alone: what a fact about the
    image an app builds needs, without parsing the rest of the file."""
    return tuple(Stage(m.group(1), m.group(2)) for m in _FROM_LINE.finditer(text))


class Setting(Record):
    """One ``key=value`` of an ENV, or one name of an ARG (``value`` None: no default)."""

    __slots__ = ("key", "span", "value")

    def __init__(self, key: str, value: str | None, span: Span) -> None:
        self.key = key
        self.value = value
        self.span = span


def env_settings(instruction: Instruction) -> list[Setting]:
    """``ENV a=b c=d`` and the legacy ``ENV key value with spaces``."""
    words = instruction.words
    if not words:
        return []
    if "=" not in words[0].text:
        first, last = words[0].span, words[-1].span
        span = Span(first.line, first.column, last.end_line, last.end_column)
        value = " ".join(word.text for word in words[1:])
        return [Setting(words[0].text, value, span)]
    settings = []
    for word in words:
        key, sep, value = word.text.partition("=")
        if sep and key:
            settings.append(Setting(key, value, word.span))
    return settings


def arg_settings(instruction: Instruction) -> list[Setting]:
    """``ARG NAME`` and ``ARG NAME=default``, several per instruction."""
    settings = []
    for word in instruction.words:
        key, sep, value = word.text.partition("=")
        if key:
            settings.append(Setting(key, value if sep else None, word.span))
    return settings


_KEYWORD = Regex(r"[^\t\n\v\f\r ]+")  # BuildKit splits the command off at these
_DIRECTIVE = Regex(r"#\s*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=(.*)")
_DIRECTIVE_KEYS = ("syntax", "escape", "check")
_HEREDOC_WORD = Regex(r"(\d*)<<(-?)\s*([^<]*)\Z")
_HEREDOC_KEYWORDS = ("RUN", "COPY", "ADD")
_DOUBLE_QUOTED_ESCAPES = '"\\$`'  # what the escape character escapes inside "..."
_WORD = Regex(r"\S+")
_BLANKS = Regex(r"\s*")


class _Syntax:
    """Word splitting under one escape character: ``\\`` or, by directive, the backtick.

    Whitespace separates words, quotes group (an unterminated quote runs to the end), the
    escape character takes the next character along. Regular expressions find the runs
    of ordinary characters; Python steps over each quote and escape. (One expression for
    a whole word would do, but ``re`` keeps memory for every repetition of a group, some
    hundred bytes each: ~900 MB for a 5 MB line of quotes and escapes.)
    """

    def __init__(self, escape: str) -> None:
        e = re.escape(escape)
        self.escape = escape
        self.escaped_escape = escape * 2
        self.special = re.compile(f"[\"'{e}]").search
        self.plain = re.compile(f"[^\\s\"'{e}]*").match
        self.double_quoted = re.compile(f'[^"{e}]*').match

    def split(self, text: str, pos: int) -> list[tuple[int, int, str]]:
        """The words of ``text`` from ``pos`` on: (start, end, text with quotes removed
        and escapes applied)."""
        escape, plain, double_quoted = self.escape, self.plain, self.double_quoted
        words = []
        count = len(text)
        while True:
            pos = _BLANKS.match(text, pos).end()
            if pos == count:
                return words
            start = pos
            parts = []
            while True:
                end = plain(text, pos).end()
                parts.append(text[pos:end])
                pos = end
                if pos == count or text[pos].isspace():
                    break
                char = text[pos]
                if char == escape:
                    # An escape at the very end is kept as it is.
                    parts.append(text[pos + 1] if pos + 1 < count else char)
                    pos += 2
                elif char == "'":
                    close = text.find("'", pos + 1)
                    close = count if close < 0 else close
                    parts.append(text[pos + 1 : close])
                    pos = close + 1
                else:  # '"'
                    pos += 1
                    while pos < count:
                        end = double_quoted(text, pos).end()
                        parts.append(text[pos:end])
                        pos = end
                        if pos == count:
                            break
                        if text[pos] == '"':
                            pos += 1
                            break
                        if pos + 1 < count and text[pos + 1] in _DOUBLE_QUOTED_ESCAPES:
                            parts.append(text[pos + 1])
                            pos += 2
                        else:
                            parts.append(escape)  # escapes nothing here: kept
                            pos += 1
                pos = min(pos, count)
                if pos == count:
                    break
            words.append((start, pos, "".join(parts)))


_SYNTAXES: dict[str, _Syntax] = {}


def _syntax(escape: str) -> _Syntax:
    syntax = _SYNTAXES.get(escape)
    if syntax is None:
        syntax = _SYNTAXES[escape] = _Syntax(escape)
    return syntax


def _escape_token(lines: list[str]) -> str:
    """The escape character: ``\\``, or the backtick if a parser directive sets it.

    As BuildKit: directives are the leading ``# key=value`` lines with a known key, and
    the first other line ends them. Where BuildKit refuses the file (a directive repeated,
    an escape character other than these two), the first directive or ``\\`` is kept.
    """
    escape = ""
    seen = set()
    for line in lines:
        match = _DIRECTIVE.match(line.lstrip())
        key = match.group(1).lower() if match else ""
        value = match.group(2).strip("\t\n\f\r ") if match else ""
        if key not in _DIRECTIVE_KEYS or not value or key in seen:
            break
        seen.add(key)
        if key == "escape" and value in ("\\", "`"):
            escape = value
    return escape or "\\"


def _heredocs(syntax: _Syntax, keyword: str, text: str, start: int) -> list[tuple[bool, str]]:
    """The heredocs a RUN, COPY or ADD opens (``<<EOF``, ``<<-"EOF"``, ``2<<EOF``), as
    (tabs stripped, delimiter): its words that start with ``<<`` as written, unless its
    arguments are a JSON array. ``text`` is the instruction, its words from ``start`` on."""
    words = syntax.split(text, start)
    index = 0
    if keyword == "ONBUILD" and words:  # ONBUILD RUN <<EOF: the heredoc is its command's
        keyword, index = words[0][2].upper(), 1
    if keyword not in _HEREDOC_KEYWORDS:
        return []
    while index < len(words) and words[index][2].startswith("--"):
        index += 1  # --mount=..., --chmod=...
    if index == len(words):
        return []
    arguments = text[words[index][0] :].strip()
    if arguments.startswith("["):
        try:
            array = json.loads(arguments)
        except (ValueError, RecursionError):  # RecursionError: "[[[[..."
            array = None
        if isinstance(array, list) and all(isinstance(item, str) for item in array):
            return []
    found = []
    for begin, end, _ in words[index:]:
        raw = text[begin:end]
        match = _HEREDOC_WORD.match(raw) if "<<" in raw else None
        if match and match.group(3):
            # BuildKit reads the delimiter with ``\`` as the escape, whatever the directive.
            delimiter = _syntax("\\").split(match.group(3), 0)
            if len(delimiter) == 1:
                found.append((match.group(2) == "-", delimiter[0][2]))
    return found


def _heredoc_end(lines: list[str], last: int, heredocs: list[tuple[bool, str]]) -> int:
    """The line of the last delimiter of the heredocs opened on lines up to ``last``; an
    unterminated one (which BuildKit refuses) runs to the end of the file."""
    end = last
    for strip_tabs, delimiter in heredocs:
        while end + 1 < len(lines):
            end += 1
            line = lines[end].lstrip("\t") if strip_tabs else lines[end]
            if line == delimiter:
                break
    return end


def parse(source: Source) -> Dockerfile:
    """Parse a Dockerfile into instructions and stages, as BuildKit reads it.

    Each line is looked at a bounded number of times: the cost is linear in the size of
    the file (dockerfile-parse, used before, was quadratic in the lines of one continued
    instruction).
    """
    # The parse makes an object or two for every word and no reference cycles: collections
    # would find nothing, and on a file of 200,000 words they took half of its time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _parse(source)
    finally:
        if collecting:
            gc.enable()


def _parse(source: Source) -> Dockerfile:
    lines = source.text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the end of the last line, not a line
    syntax = _syntax(_escape_token(lines))
    escape, escaped_escape = syntax.escape, syntax.escaped_escape
    instructions: list[Instruction] = []
    stages: list[Stage] = []
    count = len(lines)
    index = 0
    while index < count:
        line = lines[index]
        body = line.lstrip()
        if not body or body[0] == "#":
            index += 1  # a blank line, a comment or a parser directive
            continue
        first = index
        column = len(line) - len(body)
        trimmed = body.rstrip(" \t")
        # BuildKit's line continuation: the escape character last, not itself escaped.
        if trimmed.endswith(escape) and not trimmed.endswith(escaped_escape):
            text, pieces, last, index = _continued(lines, index, column, escape, escaped_escape)
            column = len(text) - len(text.lstrip())
            if column == len(text):
                continue  # nothing but escape characters and blanks: no instruction
        else:  # one physical line, most instructions: its words are found in the line itself
            text, pieces, last, index = line.rstrip(), None, index, index + 1
        keyword_match = _KEYWORD.match(text, column)
        keyword = keyword_match.group().upper()
        words = _words(syntax, text, keyword_match.end(), first + 1, pieces)
        if "<<" in text:
            heredocs = _heredocs(syntax, keyword, text, keyword_match.end())
            if heredocs:
                # The bodies belong to the instruction: none of their lines is one.
                last = _heredoc_end(lines, last, heredocs)
                index = last + 1
        span = Span(first + 1, 1, last + 1, len(lines[last].rstrip()) + 1)
        stage = len(stages) if keyword == "FROM" else len(stages) - 1
        instruction = Instruction(keyword, span, words, stage)
        instructions.append(instruction)
        if keyword == "FROM":
            stages.append(_stage(instruction))
    return Dockerfile(source, tuple(instructions), tuple(stages))


class _Pieces:
    """Where the logical line of a continued instruction comes from: its piece ``k``
    starts at ``offsets[k]`` and stands at line ``rows[k]``, column ``columns[k]``."""

    __slots__ = ("columns", "offsets", "rows")

    def __init__(self) -> None:
        self.offsets: list[int] = []
        self.rows: list[int] = []
        self.columns: list[int] = []


def _continued(
    lines: list[str], index: int, column: int, escape: str, escaped_escape: str
) -> tuple[str, _Pieces, int, int]:
    """The logical line of the instruction continued from line ``index`` on (its text
    from ``column``): each physical line's text without its line continuation, joined
    with nothing between, as BuildKit does. Returns it, where its pieces come from, the
    instruction's last line and the line after it."""
    texts: list[str] = []
    pieces = _Pieces()
    length = 0
    count = len(lines)
    while True:
        line = lines[index]
        trimmed = line.rstrip(" \t")
        continued = trimmed.endswith(escape) and not trimmed.endswith(escaped_escape)
        text = trimmed[column:-1] if continued else line.rstrip()[column:]
        if text:
            texts.append(text)
            pieces.offsets.append(length)
            pieces.rows.append(index + 1)
            pieces.columns.append(column + 1)
            length += len(text)
        last = index
        index += 1
        if not continued:
            break
        # Blank and comment lines inside a continued instruction are skipped.
        while index < count:
            body = lines[index].lstrip()
            if body and body[0] != "#":
                break
            index += 1
        if index == count:
            break  # continued into nothing: BuildKit still builds it
        column = 0
    return "".join(texts), pieces, last, index


def _words(
    syntax: _Syntax, text: str, start: int, row: int, pieces: _Pieces | None
) -> tuple[Word, ...]:
    """The words of ``text`` from ``start`` on, each with where it stands: ``text`` is
    line ``row`` itself, or the logical line of a continued instruction from ``pieces``."""
    found: Iterable[tuple[int, int, str]]
    if syntax.special(text, start):
        found = syntax.split(text, start)
    else:  # no quote, no escape: most instructions, and found at the speed of ``re``
        found = ((m.start(), m.end(), m.group()) for m in _WORD.finditer(text, start))
    if pieces is None:
        return tuple(Word(word, Span(row, begin + 1, row, end + 1)) for begin, end, word in found)
    offsets, rows, columns = pieces.offsets, pieces.rows, pieces.columns
    words = []
    last = len(offsets) - 1
    piece = 0  # the piece holding the current word's first, then last, character
    for begin, end, word in found:
        # Words come in order: the pieces are walked once, not searched for each word.
        while piece < last and offsets[piece + 1] <= begin:
            piece += 1
        first = piece
        while piece < last and offsets[piece + 1] < end:
            piece += 1
        span = Span(
            rows[first],
            columns[first] + begin - offsets[first],
            rows[piece],
            columns[piece] + end - offsets[piece],
        )
        words.append(Word(word, span))
    return tuple(words)


def _stage(instruction: Instruction) -> Stage:
    arguments = instruction.arguments
    image = arguments[0].text if arguments else ""
    name = None
    if len(arguments) >= 3 and arguments[1].text.upper() == "AS":
        name = arguments[2].text
    return Stage(image, name)
