"""Dockerfiles: instructions from dockerfile-parse, plus the position of every word.

dockerfile-parse (2.0.1) splits a Dockerfile into instructions, but it reads the body
of a heredoc (``RUN <<EOF``) as instructions of its own, keeps no position below the
instruction, and ignores the ``# escape=`` directive. flylint drops heredoc bodies and
re-reads each instruction's own lines to locate its words, so a finding can point at
the ``key=value`` line of a multi-line ``ENV``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from flylint.diagnostics import Diagnostic, Span
from flylint.files.reading import PARSE_ERROR, Source
from flylint.support.lazy_regex import Regex
from flylint.support.records import Record

_HEREDOC = Regex(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_ESCAPE_DIRECTIVE = Regex(r"^#\s*escape\s*=\s*([\\`])\s*$", re.IGNORECASE)
_WORD = Regex(r"\S+")
_DIRECTIVE = Regex(r"^#\s*[a-zA-Z][a-zA-Z0-9_-]*\s*=")


class Word(Record):
    __slots__ = ("span", "text")

    def __init__(self, text: str, span: Span) -> None:
        self.text = text  # quotes removed, escapes applied
        self.span = span


class Instruction(Record):
    __slots__ = ("keyword", "span", "stage", "words")

    def __init__(self, keyword: str, span: Span, words: tuple[Word, ...], stage: int) -> None:
        self.keyword = keyword  # upper-cased: ENV, ARG, COPY, ...
        self.span = span  # the whole instruction, first to last physical line
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
    image an app builds needs, without parsing the rest of the file (and importing
    dockerfile-parse, ~13 ms of a run that lints only a fly.toml)."""
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


def _escape_char(lines: list[str]) -> str:
    """The ``# escape=`` parser directive, read from the directives at the top."""
    for line in lines:
        if not _DIRECTIVE.match(line.strip()):
            break
        match = _ESCAPE_DIRECTIVE.match(line.strip())
        if match:
            return match.group(1)
    return "\\"


def _characters(
    lines: list[str], first: int, last: int, column: int, escape: str
) -> list[tuple[str, int, int]]:
    """The instruction's argument characters with their (1-based) line and column.

    Line continuations are removed, and so are comment lines inside a continued
    instruction, as Docker does.
    """
    chars: list[tuple[str, int, int]] = []
    for index in range(first, last + 1):
        line = lines[index]
        start = column if index == first else 0
        if index > first and line.lstrip().startswith("#"):
            continue
        body = line.rstrip()
        continued = index < last and body.endswith(escape)
        if continued:
            body = body[:-1]
        chars.extend((c, index + 1, i + 1) for i, c in enumerate(body[start:], start))
    return chars


def _plain_words(line: str, number: int, column: int, escape: str) -> tuple[Word, ...] | None:
    """The words of a one-line instruction with no quote or escape character in its
    arguments (most of them), found without going character by character; else None."""
    body = line.rstrip()
    if '"' in body or "'" in body or escape in body:
        return None
    return tuple(
        Word(m.group(), Span(number, m.start() + 1, number, m.end() + 1))
        for m in _WORD.finditer(body, column)
    )


def _words(chars: list[tuple[str, int, int]], escape: str) -> tuple[Word, ...]:
    """Split into shell-like words: whitespace separates, quotes group, escapes escape."""
    words: list[Word] = []
    i, n = 0, len(chars)
    while i < n:
        if chars[i][0].isspace():
            i += 1
            continue
        start = chars[i]
        text: list[str] = []
        quote = ""
        while i < n:
            c = chars[i][0]
            if quote:
                if c == quote:
                    quote = ""
                elif c == escape and quote == '"' and i + 1 < n and chars[i + 1][0] in '"\\$`':
                    i += 1
                    text.append(chars[i][0])
                else:
                    text.append(c)
            elif c.isspace():
                break
            elif c in "\"'":
                quote = c
            elif c == escape and i + 1 < n:
                i += 1
                text.append(chars[i][0])
            else:
                text.append(c)
            i += 1
        end = chars[i - 1]
        words.append(Word("".join(text), Span(start[1], start[2], end[1], end[2] + 1)))
    return tuple(words)


def _last_line(lines: list[str], first: int, escape: str) -> int:
    """The last physical line of the instruction starting at ``first``.

    dockerfile-parse ends an instruction at an empty line inside a continuation; Docker
    skips empty and comment lines there and goes on, and so does this.
    """
    index = first
    while index < len(lines) - 1 and lines[index].rstrip().endswith(escape):
        index += 1
        while index < len(lines) - 1 and (
            not lines[index].strip() or lines[index].lstrip().startswith("#")
        ):
            index += 1
    return index


def _heredoc_end(lines: list[str], first: int, last: int) -> int:
    """The last line of the heredoc bodies the instruction on lines first..last opens
    (``RUN <<EOF``, ``COPY <<-"CONF" /etc/app.conf``), or ``last`` when it opens none."""
    end = last
    for dash, _, delimiter in _HEREDOC.findall("\n".join(lines[first : last + 1])):
        while end + 1 < len(lines):
            end += 1
            candidate = lines[end].lstrip("\t") if dash else lines[end]
            if candidate.rstrip() == delimiter:
                break
    return end


def parse(source: Source) -> Dockerfile | Diagnostic:
    """Parse a Dockerfile into instructions and stages, or FLY000 when it cannot be read."""
    # Imported here: runs with no Dockerfile never pay for it.
    from dockerfile_parse import DockerfileParser

    lines = source.text.split("\n")
    escape = _escape_char(lines)
    text = source.text
    if text.rstrip("\n").endswith(escape):
        # A last line continued into nothing: BuildKit builds it, dockerfile-parse drops
        # the whole instruction (and the secret in it) unless an empty line ends it.
        text = text.rstrip("\n") + "\n\n"
    try:
        structure = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8"))).structure
    except Exception as exc:  # the parser's own bugs must not become flylint's crash
        return Diagnostic(
            PARSE_ERROR, source.path, Span.at_line(1), f"cannot parse Dockerfile: {exc}"
        )

    instructions: list[Instruction] = []
    stages: list[Stage] = []
    skip_until = -1
    for item in structure:
        keyword = item["instruction"].upper()
        first = item["startline"]
        if keyword == "COMMENT" or first <= skip_until:
            continue  # a comment, a heredoc body, or the rest of a continued instruction
        last = min(max(item["endline"], _last_line(lines, first, escape)), len(lines) - 1)
        skip_until = last
        if keyword in ("RUN", "COPY", "ADD") and "<<" in item["content"]:
            skip_until = _heredoc_end(lines, first, last)
        text = lines[first]
        column = len(text) - len(text.lstrip()) + len(item["instruction"])
        words = _plain_words(text, first + 1, column, escape) if first == last else None
        if words is None:
            words = _words(_characters(lines, first, last, column, escape), escape)
        span = Span(first + 1, 1, last + 1, len(lines[last].rstrip()) + 1)
        stage = len(stages) if keyword == "FROM" else len(stages) - 1
        instruction = Instruction(keyword, span, words, stage)
        instructions.append(instruction)
        if keyword == "FROM":
            stages.append(_stage(instruction))
    return Dockerfile(source, tuple(instructions), tuple(stages))


def _stage(instruction: Instruction) -> Stage:
    arguments = instruction.arguments
    image = arguments[0].text if arguments else ""
    name = None
    if len(arguments) >= 3 and arguments[1].text.upper() == "AS":
        name = arguments[2].text
    return Stage(image, name)
