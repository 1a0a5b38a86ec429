"""Reading files as text: size limit, binary detection, UTF-8 with BOM, CRLF/CR line endings."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from flylint.diagnostics import Diagnostic, FileKind, Span
from flylint.support.records import Record

# Config files and source files are small; anything larger is generated data or a mistake.
MAX_FILE_BYTES = 5 * 1024 * 1024

PARSE_ERROR = "FLY000"


class Source(Record):
    """A file's text, BOM removed and every line ending turned into ``\\n``.

    Line numbers in ``text`` are the file's physical line numbers.
    """

    __slots__ = ("kind", "path", "text")

    def __init__(self, path: Path, kind: FileKind, text: str) -> None:
        self.path = path  # as the user named it (used for display and SARIF URIs)
        self.kind = kind
        self.text = text


class Unreadable(Exception):
    """The file was not read: the OS refused (an error) or it is over the size limit (a skip)."""

    def __init__(self, message: str, *, error: bool = True) -> None:
        super().__init__(message)
        self.error = error


def normalize(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def decode(path: Path, kind: FileKind, data: bytes) -> Source | Diagnostic:
    """Turn raw bytes into a Source, or a FLY000 diagnostic saying why they are not text."""
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        return Diagnostic(
            PARSE_ERROR, path, Span.at_line(line), "binary file (contains NUL bytes); not linted"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Diagnostic(
            PARSE_ERROR,
            path,
            Span.at_line(line),
            f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8",
        )
    return Source(path, kind, normalize(text))


def read(path: Path, kind: FileKind) -> Source | Diagnostic:
    """Read a file from disk. Raises Unreadable when the OS refuses; oversized files raise too."""
    status(path)
    return decode(path, kind, read_checked(path))


def status(path: Path | str, known: os.stat_result | None = None) -> os.stat_result:
    """The status of a file to read (``known``: already taken); raises Unreadable when the
    OS refuses, or the file is oversized or not a regular file."""
    try:
        status = os.stat(path) if known is None else known
    except OSError as exc:
        raise _refused(exc) from exc
    except ValueError as exc:  # a NUL byte, from a config's ``dockerfile = "a\u0000b"``
        raise Unreadable("no file name holds a NUL byte") from exc
    if not stat.S_ISREG(status.st_mode) and not stat.S_ISDIR(status.st_mode):
        # A FIFO or a device would block the read or never end.
        raise Unreadable("not a regular file")
    if status.st_size > MAX_FILE_BYTES:
        raise too_large(status.st_size)
    return status


def too_large(size: int | None = None) -> Unreadable:
    amount = f"{size / 1048576:.1f} MB is" if size is not None else "it is"
    return Unreadable(
        f"skipped: {amount} over the {MAX_FILE_BYTES // 1048576} MB limit for a config or "
        "source file",
        error=False,
    )


def read_checked(path: Path | str) -> bytes:
    """The bytes of a file whose ``status`` passed; raises Unreadable when the OS refuses
    or the file holds more than its size said (it grew; a ``/proc`` file says 0)."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _refused(exc) from exc
    if len(data) > MAX_FILE_BYTES:
        raise too_large()
    return data


def _refused(exc: OSError) -> Unreadable:
    if isinstance(exc, IsADirectoryError):
        return Unreadable("is a directory, not a file")
    return Unreadable(exc.strerror or str(exc))
