"""FLY107: a credential written into a Dockerfile ``RUN`` command (its words, or the body
of a heredoc it runs)."""

from __future__ import annotations

from collections.abc import Iterator

from flylint.checks.context import DockerfileContext
from flylint.detectors.secrets import find_secret
from flylint.diagnostics import Diagnostic, Span

_FIX = (
    "the command is kept in the image history: pass it as a build secret instead "
    "(RUN --mount=type=secret,id=NAME, read from /run/secrets/NAME, and fly deploy "
    "--build-secret NAME=...)"
)


def check_dockerfile(ctx: DockerfileContext) -> Iterator[Diagnostic]:
    lines = ctx.dockerfile.source.text.splitlines()
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword != "RUN":
            continue
        anchor = f"{instruction.stage}.RUN.{instruction.span.line}"
        # Without a key, only what is a credential by its form: a known token format or a
        # URL with a password (a name= before it says nothing a shell line can be trusted on).
        for word in instruction.words:
            match = find_secret(None, word.text)
            if match is not None:
                yield ctx.diagnostic(
                    "FLY107",
                    word.span,
                    f"RUN holds a credential ({match.kind}, {match.masked}): {_FIX}",
                    anchor,
                )
                break
        else:
            yield from _heredoc(ctx, instruction.span, lines, anchor)


def _heredoc(
    ctx: DockerfileContext, span: Span, lines: list[str], anchor: str
) -> Iterator[Diagnostic]:
    """The first credential in the lines a RUN's heredoc holds (after its first line)."""
    for number in range(span.line + 1, min(span.end_line, len(lines)) + 1):
        text = lines[number - 1]
        match = find_secret(None, text)
        if match is not None:
            start = len(text) - len(text.lstrip()) + 1
            yield ctx.diagnostic(
                "FLY107",
                Span(number, start, number, len(text) + 1),
                f"RUN's heredoc holds a credential ({match.kind}, {match.masked}): {_FIX}",
                anchor,
            )
            return
