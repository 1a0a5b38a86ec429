"""``flylint server``: a language server (LSP over stdio) that publishes flylint's
findings for fly.toml files, Dockerfiles and Python files as they are opened, edited and
saved, each with a link to its rule's page. The buffer's text is linted as it is, judged
by the model of its repository as saved on disk (like ``--stdin-filename``); when a file
it depends on is saved or changes on disk, every open document is linted again.

Whatever a client sends, every open document of the ``file`` scheme gets an outcome: its
findings, or one diagnostic saying why it is not linted (a file name the OS cannot hold,
text no UTF-8 file can hold, over ``MAX_FILE_BYTES``, an exception while linting it).
Nothing pops up but configuration errors, and the server keeps serving. Its own reader
takes the place of pygls's: it skips malformed framing to the next ``Content-Length``
header, and never buffers a message over ``MAX_MESSAGE_BYTES``. Every text sent to the
client and every line logged to stderr goes through ``masking.redact``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from flylint import __version__
from flylint.detectors.masking import redact
from flylint.diagnostics import Diagnostic
from flylint.engine import run
from flylint.files.reading import MAX_FILE_BYTES
from flylint.registry import rule_data, selection

_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "note": types.DiagnosticSeverity.Information,
}

# The largest message the reader takes in: one holding a document of MAX_FILE_BYTES
# fits, even with every byte JSON-escaped (``\u00XX``: six bytes). A larger one is
# skipped as it arrives, never held: a request gets an error, an opened or changed
# document the too-large diagnostic.
MAX_MESSAGE_BYTES = 6 * MAX_FILE_BYTES + 1024 * 1024
_CHUNK_BYTES = 1024 * 1024  # one read of stdin
_HEADER_BYTES = 64 * 1024  # bytes without a blank line before them are junk, not headers
_HEADER_TAIL = 1024  # of junk skipped, what is kept: a header may be starting there
_PEEK_BYTES = 64 * 1024  # of a skipped message, the start and end read for its id
_LOG_CHARS = 8 * 1024  # of a logged text; a message's params can hold a whole document
_PATH_BYTES = 4096  # PATH_MAX of Linux; longer names fail in the OS (ENAMETOOLONG)
_NAME_BYTES = 255  # NAME_MAX, the longest file or directory name most filesystems hold
# Keys whose strings are names the client gave and must get back verbatim.
_VERBATIM = frozenset({"uri", "jsonrpc", "method", "id", "href", "globPattern"})

_CANNOT = "flylint cannot lint this document"
_COULD_NOT = "flylint could not lint this document"

_log = logging.getLogger(__name__)


def _clip(text: str) -> str:
    """``text`` masked, then cut (masked first: a credential cut short is not recognised)."""
    text = redact(text)
    return text if len(text) <= _LOG_CHARS else f"{text[:_LOG_CHARS]}... (cut)"


def _redacted(value: Any, key: str = "") -> Any:
    """A JSON value with every string in it masked, but the names the client must get
    back as it gave them (a document's URI, a message's id)."""
    if isinstance(value, str):
        return value if key in _VERBATIM else redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, key) for v in value]
    return value


class _Protocol(LanguageServerProtocol):
    def _send_data(self, data: Any) -> None:
        # The one place every message to the client passes: diagnostics, popups, log
        # messages, responses (an error response carries an exception's text).
        if data:
            try:
                data = _redacted(json.loads(json.dumps(data, default=self._serialize_message)))
            except Exception:  # never send what could not be masked
                _log.exception("a message to the client was not sent")
                return
        super()._send_data(data)


class _Server(LanguageServer):
    _reporting = False

    def report_server_error(self, error: Exception, source: Any) -> None:
        # pygls shows a popup for any exception; flylint logs it: a document's outcome is
        # its diagnostics, and a bad message is the client's to fix, not the user's.
        _log.error("%s: %s", type(error).__name__, error)
        if self._reporting:
            return  # a failure to send the report itself
        self._reporting = True
        try:
            text = _clip(f"flylint server: {type(error).__name__}: {error}")
            self.window_log_message(
                types.LogMessageParams(type=types.MessageType.Error, message=text)
            )
        finally:
            self._reporting = False


server = _Server("flylint", __version__, protocol_cls=_Protocol)

# The documents open in the client, by their URI as the client spelled it (pygls keys its
# own by the unquoted URI, which the client would not recognise in a notification).
_open: dict[str, None] = {}
# Those whose text was skipped for its size (MAX_MESSAGE_BYTES), with the size of the
# message that held it: what pygls holds of them is not their text, until the client
# sends it whole again.
_oversized: dict[str, int] = {}


def _path(uri: str) -> Path | None:
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


def _lsp(d: Diagnostic, lines: list[str]) -> types.Diagnostic:
    info = rule_data.rules()[d.rule_id]

    def position(line: int, column: int) -> types.Position:
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return types.Position(line=line - 1, character=_utf16(text, column))

    return types.Diagnostic(
        range=types.Range(
            start=position(d.span.line, d.span.column),
            end=position(d.span.end_line, d.span.end_column),
        ),
        severity=_SEVERITY[info.level],
        code=d.rule_id,
        code_description=types.CodeDescription(href=info.docs_url),
        source="flylint",
        message=f"{d.message} [{info.name}]",
    )


def _about_document(
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


def _too_large(size: int) -> types.Diagnostic:
    return _about_document(
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


def lint_document(path: Path, text: str) -> list[types.Diagnostic]:
    """The findings for one open document, as LSP diagnostics: its buffer linted as the
    file it stands for, judged by the repository around it as saved on disk. A document
    that cannot be linted gets one diagnostic saying why, never an exception."""
    why = _unnamed(path)
    if why is not None:
        return [_about_document(why)]
    if len(text) > MAX_FILE_BYTES:  # every character is at least one byte
        return [_too_large(len(text))]
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800" in the JSON)
        line = len(re.findall(r"\r\n|\r|\n", text[: exc.start]))
        code = ord(text[exc.start])
        return [
            _about_document(
                f"{_CANNOT}: it holds a lone surrogate (U+{code:04X}), which no UTF-8 "
                "file can hold",
                line,
            )
        ]
    if len(data) > MAX_FILE_BYTES:
        return [_too_large(len(data))]
    try:
        return _lint(path, text, data)
    except Exception as exc:
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        server.window_log_message(
            types.LogMessageParams(
                type=types.MessageType.Error,
                message=_clip(f"{_COULD_NOT} ({path}): {detail}"),
            )
        )
        return [_about_document(f"{_COULD_NOT}: {type(exc).__name__}")]


def _lint(path: Path, text: str, data: bytes) -> list[types.Diagnostic]:
    try:
        outcome = run.lint([], stdin=(path, data), editor=True)
    except selection.UsageError as exc:
        server.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Error, message=f"flylint: {exc}")
        )
        return []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    mine = path.resolve()
    return [_lsp(d, lines) for d in outcome.report.diagnostics if d.path.resolve() == mine]


def _publish(uri: str) -> None:
    path = _path(uri)
    if path is None or uri not in _open:
        return
    document = server.workspace.get_text_document(uri)
    skipped = _oversized.get(uri)
    if skipped is not None:
        diagnostics = [_too_large(skipped)]
    else:
        diagnostics = lint_document(path, document.source)
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, version=document.version, diagnostics=diagnostics)
    )


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(params: types.DidOpenTextDocumentParams) -> None:
    uri = params.text_document.uri
    _open[uri] = None
    _oversized.pop(uri, None)
    _publish(uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    whole = types.TextDocumentContentChangeWholeDocument
    if any(isinstance(change, whole) for change in params.content_changes):
        _oversized.pop(uri, None)  # pygls holds its text again
    _publish(uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(params: types.DidSaveTextDocumentParams) -> None:
    # A saved file can change what other open files are judged by (the code that sets
    # HSTS, a sibling's fly.toml): every open document is linted again.
    _publish_all()


# Files other documents depend on, changed outside the editor's buffers (another
# editor, git checkout, a formatter): the repository model, the configuration.
_WATCHED = (
    "**/*.py", "**/fly.toml", "**/fly.*.toml", "**/[Dd]ockerfile*", "**/*.[Dd]ockerfile",
    "**/Containerfile", "**/pyproject.toml", "**/flylint.toml", "**/.flylint.toml",
    "**/.gitignore", "**/config/environments/production.rb", "**/config/*.exs",
)  # fmt: skip


@server.feature(types.INITIALIZED)
def initialized(params: types.InitializedParams) -> None:
    capabilities = server.client_capabilities.workspace
    watched = capabilities.did_change_watched_files if capabilities else None
    if watched is None or not watched.dynamic_registration:
        return  # the client does not watch files for servers: saves still republish
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern=glob) for glob in _WATCHED]
    )
    registration = types.Registration(
        id="flylint-watched-files",
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=options,
    )
    server.client_register_capability(types.RegistrationParams(registrations=[registration]))


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
    _publish_all()


def _publish_all() -> None:
    for uri in list(_open):
        _publish(uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    _open.pop(uri, None)
    _oversized.pop(uri, None)
    if _path(uri) is not None:
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )


# --- Reading messages ------------------------------------------------------------------

_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*(\d{1,20})[ \t]*(?:\r\n|\Z)", re.I)
_STRING = r'"(?:[^"\\]|\\.){0,4096}"'
_METHOD = re.compile(r'"method"\s*:\s*(' + _STRING + ")")
_ID = re.compile(r'"id"\s*:\s*(-?\d{1,20}|' + _STRING + ")")
_URI = re.compile(r'"uri"\s*:\s*(' + _STRING + ")")


class _Skipped:
    """A message over MAX_MESSAGE_BYTES, skipped as it arrives: its first bytes and, once
    it has gone by, its last, in which to find what it is."""

    __slots__ = ("answered", "complete", "head", "length", "tail")

    def __init__(self, length: int) -> None:
        self.length = length
        self.head = b""
        self.tail = b""
        self.complete = False
        self.answered = False


class _Framer:
    """Cuts a byte stream into message bodies by their ``Content-Length`` header. Junk
    (the rest of a body whose header said it was shorter, garbage) is skipped up to the
    next header; a message over MAX_MESSAGE_BYTES is skipped, in bounded memory."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._skipping: _Skipped | None = None
        self._left = 0  # bytes of the skipped message still to come

    def feed(self, data: bytes) -> Iterator[bytes | _Skipped]:
        self._buffer += data
        while True:
            if self._skipping is not None:
                skipped = self._skipping
                if not self._buffer:
                    return
                taken = bytes(self._buffer[: self._left])
                del self._buffer[: len(taken)]
                self._left -= len(taken)
                room = _PEEK_BYTES - len(skipped.head)
                full_before = room <= 0
                skipped.head += taken[: max(room, 0)]
                skipped.tail = (skipped.tail + taken)[-_PEEK_BYTES:]
                if not self._left:
                    skipped.complete = True
                    self._skipping = None
                    yield skipped
                elif not full_before and len(skipped.head) >= _PEEK_BYTES:
                    yield skipped  # its start: enough to answer most messages now
                continue
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > _HEADER_BYTES:
                    del self._buffer[:-_HEADER_TAIL]
                return
            start = end + 4
            lengths = _CONTENT_LENGTH.findall(bytes(self._buffer[:end]))
            if not lengths:
                del self._buffer[:start]  # junk up to a blank line
                continue
            length = int(lengths[-1])  # the last: junk may precede the real header
            if length > MAX_MESSAGE_BYTES:
                del self._buffer[:start]
                self._skipping, self._left = _Skipped(length), length
                continue
            if len(self._buffer) < start + length:
                return
            body = bytes(self._buffer[start : start + length])
            del self._buffer[: start + length]
            yield body

    def resync(self, body: bytes) -> None:
        """``body`` was no message: if its header said more than it held, it swallowed
        the next message's header, and reading goes on from there."""
        found = _CONTENT_LENGTH.search(body)
        if found is not None and found.start() > 0:
            self._buffer[:0] = body[found.start() :]


def _top_level(head: str, tail: str) -> str:
    """The parts of a message's JSON outside its nested objects, as far as its first and
    last bytes show them: where its ``id`` and ``method`` are."""
    first = head.find("{")
    nested = head.find("{", first + 1)
    outside = head if nested < 0 else head[:nested]
    body = tail.rstrip()
    if body.endswith("}"):
        closed = body.rfind("}", 0, len(body) - 1)
        outside += " " + body[closed + 1 : -1]
    return outside


def _value(pattern: re.Pattern[str], text: str) -> Any:
    match = pattern.search(text)
    if match is None:
        return None
    try:
        return json.loads(match.group(1))
    except ValueError:
        return None


def _answer_skipped(skipped: _Skipped) -> None:
    """Answer a message skipped for its size, once its bytes say what it is: a request
    gets an error; an opened or changed document, the too-large diagnostic."""
    if skipped.answered:
        return
    head = skipped.head.decode("utf-8", "replace")
    tail = skipped.tail.decode("utf-8", "replace") if skipped.complete else ""
    outside = _top_level(head, tail)
    method, msg_id = _value(_METHOD, outside), _value(_ID, outside)
    uri = _value(_URI, head)
    if uri is None and tail:
        uri = _value(_URI, tail)
    documents = (types.TEXT_DOCUMENT_DID_OPEN, types.TEXT_DOCUMENT_DID_CHANGE)
    decided = (method is not None and msg_id is not None) or (method in documents and uri)
    if not decided and not skipped.complete:
        return  # what it is may be at its end
    skipped.answered = True
    text = (
        f"flylint server: skipped a message of {skipped.length} bytes "
        f"({method or 'no method'}): over the {MAX_MESSAGE_BYTES} byte limit"
    )
    server.window_log_message(
        types.LogMessageParams(type=types.MessageType.Warning, message=_clip(text))
    )
    if method is not None and isinstance(msg_id, (int, str)):
        error = types.ResponseError(
            code=types.ErrorCodes.InvalidRequest,
            message=f"message too large: {skipped.length} bytes, over the "
            f"{MAX_MESSAGE_BYTES} byte limit of flylint server",
        )
        server.protocol._send_response(msg_id, error=error)
    elif method in documents and isinstance(uri, str):
        _open[uri] = None
        _oversized[uri] = skipped.length
        if method == types.TEXT_DOCUMENT_DID_OPEN:
            # Held empty, so that a later whole text applies to it.
            item = types.TextDocumentItem(uri=uri, language_id="", version=0, text="")
            server.workspace.put_text_document(item)
        _publish(uri)


def _unreadable(body: bytes, error: Exception) -> None:
    """A body that is no message pygls can read: logged; a request among them (known by
    its id) gets an error, lest the client wait for an answer forever."""
    server.window_log_message(
        types.LogMessageParams(
            type=types.MessageType.Error,
            message=_clip(f"flylint server: unreadable message: {type(error).__name__}: {error}"),
        )
    )
    try:
        raw = json.loads(body)
    except ValueError:
        return
    if isinstance(raw, dict) and "method" in raw and isinstance(raw.get("id"), (int, str)):
        if isinstance(error, JsonRpcException):
            response = error.to_response_error()
        else:
            code = types.ErrorCodes.InvalidRequest
            response = types.ResponseError(code=code, message=f"invalid request: {error}")
        server.protocol._send_response(raw["id"], error=response)


class _Stdin:
    """Reads of stdin in a thread, one at a time (a flood waits in the pipe, not in
    memory). A daemon reading the file descriptor, so that a read still blocked at exit
    holds neither the exit nor a lock of ``sys.stdin`` up."""

    def __init__(self, stream: Any) -> None:
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            read = getattr(stream, "read1", stream.read)
        else:

            def read(n: int) -> bytes:
                return os.read(fd, n)

        self._read = read
        self._wanted = threading.Semaphore(0)
        self._pending: tuple[asyncio.AbstractEventLoop, asyncio.Future[bytes]] | None = None
        threading.Thread(target=self._run, name="flylint-stdin", daemon=True).start()

    async def read(self) -> bytes:
        """The next bytes; b"" at the end."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = loop.create_future()
        self._pending = (loop, future)
        self._wanted.release()
        return await future

    def _run(self) -> None:
        while True:
            self._wanted.acquire()
            assert self._pending is not None
            loop, future = self._pending
            try:
                chunk = self._read(_CHUNK_BYTES)
            except (OSError, ValueError):
                chunk = b""
            try:
                loop.call_soon_threadsafe(_resolve, future, chunk)
            except RuntimeError:  # the loop is closed: the server is exiting
                return
            if not chunk:
                return


def _resolve(future: asyncio.Future[bytes], chunk: bytes) -> None:
    if not future.done():
        future.set_result(chunk)


async def _serve(stdin: Any) -> None:
    """Read messages until stdin ends; each handled in turn, whatever the others were."""
    reader, framer = _Stdin(stdin), _Framer()
    protocol = server.protocol
    while True:
        chunk = await reader.read()
        if not chunk:
            return
        for item in framer.feed(chunk):
            try:
                if isinstance(item, _Skipped):
                    _answer_skipped(item)
                    continue
                try:
                    message = json.loads(item, object_hook=protocol.structure_message)
                except Exception as exc:  # not JSON, or not a message of LSP
                    framer.resync(item)
                    _unreadable(item, exc)
                    continue
                protocol.handle_message(message)
            except Exception as exc:
                server.report_server_error(exc, JsonRpcException)


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # pygls logs the params of a message it fails on: a document's whole text.
        return _clip(super().format(record))


def main() -> int:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    try:
        asyncio.run(_serve(sys.stdin.buffer))
    except BrokenPipeError:
        _log.error("the client closed the connection")
    except (KeyboardInterrupt, SystemExit):
        pass  # "exit" (pygls exits the process from its handler)
    finally:
        server.shutdown()
    return 0
