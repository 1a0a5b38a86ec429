"""One open document linted: its buffer judged as the file it stands for, by the
repository around it as saved on disk (like ``--stdin-filename``), and the outcome as LSP
diagnostics. Pure work, no I/O to the client: it runs in the linting thread, and the
server sends what it returns."""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types

from flylint.detectors.masking import redact
from flylint.diagnostics import Diagnostic, Span
from flylint.engine import run
from flylint.files.reading import MAX_FILE_BYTES
from flylint.registry import rule_data, selection

_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "note": types.DiagnosticSeverity.Information,
}
_LOG_CHARS = 8 * 1024  # of a logged text; a message's params can hold a whole document
_PATH_BYTES = 4096  # PATH_MAX of Linux; longer names fail in the OS (ENAMETOOLONG)
_NAME_BYTES = 255  # NAME_MAX, the longest file or directory name most filesystems hold

_CANNOT = "flylint cannot lint this document"
_COULD_NOT = "flylint could not lint this document"


@dataclass(frozen=True)
class Outcome:
    """What linting a document gives the client: its diagnostics, a line for the log
    (why it could not be linted) and an error to show (a configuration error)."""

    diagnostics: list[types.Diagnostic] = field(default_factory=list)
    log: str | None = None
    popup: str | None = None


def clip(text: str) -> str:
    """``text`` masked, then cut (masked first: a credential cut short is not recognised)."""
    text = redact(text)
    return text if len(text) <= _LOG_CHARS else f"{text[:_LOG_CHARS]}... (cut)"


def path_of(uri: str) -> Path | None:
    """The file a ``file`` URI names; None for other schemes and URIs that are no URL."""
    try:
        parsed = urlparse(uri)
    except ValueError:  # "https://[::1": an unclosed IPv6 host
        return None
    if parsed.scheme != "file":
        return None
    path = Path(unquote(parsed.path))
    return path if path.is_absolute() else None


def _utf16(line: str, column: int) -> int:
    """A 1-based code-point column as LSP's 0-based UTF-16 offset."""
    prefix = line[: column - 1]
    return len(prefix.encode("utf-16-le")) // 2


def _lsp(d: Diagnostic, lines: list[str], uri: str) -> types.Diagnostic:
    info = rule_data.rules()[d.rule_id]

    def position(line: int, column: int) -> types.Position:
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return types.Position(line=line - 1, character=_utf16(text, column))

    def span(at: Span) -> types.Range:
        return types.Range(
            start=position(at.line, at.column), end=position(at.end_line, at.end_column)
        )

    # The other places of the same problem (same document), which editors list under it.
    related = [
        types.DiagnosticRelatedInformation(types.Location(uri, span(r.span)), r.message)
        for r in d.related
    ]
    return types.Diagnostic(
        range=span(d.span),
        related_information=related or None,
        severity=_SEVERITY[info.level],
        code=d.rule_id,
        code_description=types.CodeDescription(href=info.docs_url),
        source="flylint",
        message=f"{d.message} [{info.name}, {rule_data.confidence_of(d)} confidence]",
    )


def about_document(
    message: str,
    line: int = 0,
    severity: types.DiagnosticSeverity = types.DiagnosticSeverity.Warning,
) -> types.Diagnostic:
    """A diagnostic about the document as a whole (why it is not linted)."""
    start = types.Position(line=line, character=0)
    end = types.Position(line=line + 1, character=0)
    return types.Diagnostic(
        range=types.Range(start=start, end=end),
        severity=severity,
        source="flylint",
        message=message,
    )


def too_large(size: int) -> types.Diagnostic:
    return about_document(
        f"too large to lint: {size / 1048576:.1f} MB is over the "
        f"{MAX_FILE_BYTES // 1048576} MB limit for a config or source file",
        severity=types.DiagnosticSeverity.Information,
    )


def _unnamed(path: Path) -> str | None:
    """Why the OS cannot open a file under this name, if it cannot."""
    name = str(path)
    if "\0" in name:
        return f"{_CANNOT}: its file name holds a NUL byte"
    size = len(os.fsencode(name))
    if size > _PATH_BYTES or any(len(os.fsencode(p)) > _NAME_BYTES for p in path.parts):
        return f"{_CANNOT}: its file name is too long ({size} bytes)"
    return None


def lint_document(path: Path, text: str) -> Outcome:
    """The findings for one open document. A document that cannot be linted gets one
    diagnostic saying why, never an exception."""
    why = _unnamed(path)
    if why is not None:
        return Outcome([about_document(why)])
    if len(text) > MAX_FILE_BYTES:  # every character is at least one byte
        return Outcome([too_large(len(text))])
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800" in the JSON)
        line = len(re.findall(r"\r\n|\r|\n", text[: exc.start]))
        code = ord(text[exc.start])
        why = f"{_CANNOT}: it holds a lone surrogate (U+{code:04X}), which no UTF-8 file can hold"
        return Outcome([about_document(why, line)])
    if len(data) > MAX_FILE_BYTES:
        return Outcome([too_large(len(data))])
    try:
        return _lint(path, text, data)
    except Exception as exc:
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return Outcome(
            [about_document(f"{_COULD_NOT}: {type(exc).__name__}")],
            log=clip(f"{_COULD_NOT} ({path}): {detail}"),
        )


def _lint(path: Path, text: str, data: bytes) -> Outcome:
    try:
        outcome = run.lint([], stdin=(path, data), editor=True)
    except selection.UsageError as exc:
        return Outcome(popup=clip(f"flylint: {exc}"))
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    mine = path.resolve()
    found = outcome.report.diagnostics
    uri = path.as_uri()  # the document, as the client named it
    return Outcome([_lsp(d, lines, uri) for d in found if d.path.resolve() == mine])
