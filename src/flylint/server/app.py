"""The language server: pygls's server with flylint's reader, its handlers, and the
masking of every message it sends."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from flylint import __version__
from flylint.detectors.masking import redact
from flylint.server import framing
from flylint.server.documents import Outcome, clip, lint_document, path_of, too_large
from flylint.server.scheduler import DEBOUNCE_SECONDS, Job, Scheduler

# Keys whose strings are names the client gave and must get back verbatim.
_VERBATIM = frozenset({"uri", "jsonrpc", "method", "id", "href", "globPattern"})

_log = logging.getLogger(__name__)


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
            text = clip(f"flylint server: {type(error).__name__}: {error}")
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


def _snapshot(uri: str) -> Job | None:
    """The lint of an open document's text as it is now (on the event loop: the worker
    thread touches neither pygls's workspace nor the client)."""
    path = path_of(uri)
    if path is None or uri not in _open:
        return None
    document = server.workspace.get_text_document(uri)
    skipped = _oversized.get(uri)
    if skipped is not None:
        outcome = Outcome([too_large(skipped)])
        return Job(document.version, lambda: outcome)
    text = document.source
    return Job(document.version, lambda: lint_document(path, text))


def _published(uri: str, job: Job, outcome: Outcome) -> None:
    if outcome.log is not None:
        server.window_log_message(
            types.LogMessageParams(type=types.MessageType.Error, message=outcome.log)
        )
    if outcome.popup is not None:
        server.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Error, message=outcome.popup)
        )
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(
            uri=uri, version=job.version, diagnostics=outcome.diagnostics
        )
    )


_linter = Scheduler(_snapshot, _published)


def _publish(uri: str, delay: float = 0.0) -> None:
    if path_of(uri) is not None and uri in _open:
        _linter.schedule(uri, delay)


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
    _publish(uri, DEBOUNCE_SECONDS)


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
    # A checkout or a formatter changes many files, one event each: one lint for them.
    _publish_all(DEBOUNCE_SECONDS)


def _publish_all(delay: float = 0.0) -> None:
    for uri in list(_open):
        _publish(uri, delay)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    if uri in _open:
        _linter.cancel(uri)
    _open.pop(uri, None)
    _oversized.pop(uri, None)
    if path_of(uri) is not None:
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )


# --- Reading messages ------------------------------------------------------------------


def _answer_skipped(skipped: framing.Skipped) -> None:
    """Answer a message skipped for its size, once its bytes say what it is: a request
    gets an error; an opened or changed document, the too-large diagnostic."""
    if skipped.answered:
        return
    head = skipped.head.decode("utf-8", "replace")
    tail = skipped.tail.decode("utf-8", "replace") if skipped.complete else ""
    outside = framing.top_level(head, tail)
    method, msg_id = framing.value(framing.METHOD, outside), framing.value(framing.ID, outside)
    uri = framing.value(framing.URI, head)
    if uri is None and tail:
        uri = framing.value(framing.URI, tail)
    documents = (types.TEXT_DOCUMENT_DID_OPEN, types.TEXT_DOCUMENT_DID_CHANGE)
    decided = (method is not None and msg_id is not None) or (method in documents and uri)
    if not decided and not skipped.complete:
        return  # what it is may be at its end
    skipped.answered = True
    text = (
        f"flylint server: skipped a message of {skipped.length} bytes "
        f"({method or 'no method'}): over the {framing.MAX_MESSAGE_BYTES} byte limit"
    )
    server.window_log_message(
        types.LogMessageParams(type=types.MessageType.Warning, message=clip(text))
    )
    if method is not None and isinstance(msg_id, (int, str)):
        error = types.ResponseError(
            code=types.ErrorCodes.InvalidRequest,
            message=f"message too large: {skipped.length} bytes, over the "
            f"{framing.MAX_MESSAGE_BYTES} byte limit of flylint server",
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
            message=clip(f"flylint server: unreadable message: {type(error).__name__}: {error}"),
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


async def _serve(stdin: Any) -> None:
    """Read messages until stdin ends; each handled in turn, whatever the others were."""
    reader, framer = framing.Stdin(stdin), framing.Framer()
    protocol = server.protocol
    while True:
        chunk = await reader.read()
        if not chunk:
            return
        for item in framer.feed(chunk):
            try:
                if isinstance(item, framing.Skipped):
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
        return clip(super().format(record))


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
