"""``flylint server``: a language server (LSP over stdio) that publishes flylint's
findings for fly.toml files, Dockerfiles and Python files as they are opened, edited and
saved, each with a link to its rule's page. The buffer's text is linted as it is, judged
by the model of its repository as saved on disk (like ``--stdin-filename``); when a file
it depends on is saved or changes on disk, every open document is linted again.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from flylint import __version__
from flylint.diagnostics import Diagnostic
from flylint.engine import run
from flylint.registry import rule_data, selection

_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "note": types.DiagnosticSeverity.Information,
}

server = LanguageServer("flylint", __version__)


def _path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


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


def lint_document(path: Path, text: str) -> list[types.Diagnostic]:
    """The findings for one open document, as LSP diagnostics: its buffer linted as the
    file it stands for, judged by the repository around it as saved on disk."""
    try:
        outcome = run.lint([], stdin=(path, text.encode("utf-8")), editor=True)
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
    if path is None:
        return
    document = server.workspace.get_text_document(uri)
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(
            uri=uri, version=document.version, diagnostics=lint_document(path, document.source)
        )
    )


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(params: types.DidOpenTextDocumentParams) -> None:
    _publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(params: types.DidChangeTextDocumentParams) -> None:
    _publish(params.text_document.uri)


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
    for uri in list(server.workspace.text_documents):
        _publish(uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(params: types.DidCloseTextDocumentParams) -> None:
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
    )


def main() -> int:
    server.start_io()
    return 0
