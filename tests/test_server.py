"""The language server, driven over stdio by a real LSP client (pytest-lsp)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

CONFIG = 'app = "shop"\n\n[env]\n  SMTP_PASSWORD = "summer-Rain-77"\n'


async def published(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


@pytest.mark.asyncio
async def test_diagnostics_on_open_change_and_save(client: LanguageClient, tmp_path: Path):
    path = tmp_path / "fly.toml"
    path.write_text(CONFIG, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="toml", version=1, text=CONFIG
            )
        )
    )
    (found,) = await published(client, uri)
    assert found.code == "FLY101"
    assert found.source == "flylint"
    assert found.severity == types.DiagnosticSeverity.Error
    assert found.range.start == types.Position(line=3, character=2)
    assert found.code_description.href.endswith("/docs/rules/FLY101.md")
    assert "summer-Rain-77" not in found.message

    # An unsaved edit: the buffer, not the file on disk, is linted.
    edited = CONFIG + "\n[http_service]\n  internal_port = 8080\n  force_https = false\n"
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
        )
    )
    codes = sorted(d.code for d in await published(client, uri))
    assert codes == ["FLY101", "FLY201", "FLY202"]

    fixed = 'app = "shop"\n'
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)],
        )
    )
    await published(client, uri)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert await published(client, uri) == []


@pytest.mark.asyncio
async def test_python_document_uses_the_app_above_it(client: LanguageClient, tmp_path: Path):
    (tmp_path / "fly.toml").write_text('app = "shop"\n', encoding="utf-8")
    path = tmp_path / "views.py"
    text = 'import requests\n\nrequests.get("https://shop.fly.dev/a")\nrequests.get("https://bill.fly.dev/b")\n'
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="python", version=1, text=text
            )
        )
    )
    (found,) = await published(client, path.as_uri())
    assert (found.code, found.range.start.line) == ("FLY401", 3)


@pytest.mark.asyncio
async def test_a_saved_or_changed_file_republishes_what_depends_on_it(
    client: LanguageClient, tmp_path: Path
):
    """fly.toml's FLY202 goes away once the code its app ships sets HSTS, and comes back
    when that code stops setting it: on the code's save in the editor, and on a change on
    disk the client reports (another editor, git checkout)."""
    (tmp_path / ".git").mkdir()
    config = 'app = "shop"\n\n[http_service]\n  internal_port = 8080\n  force_https = true\n'
    (tmp_path / "fly.toml").write_text(config, encoding="utf-8")
    uri = (tmp_path / "fly.toml").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="toml", version=1, text=config
            )
        )
    )
    assert [d.code for d in await published(client, uri)] == ["FLY202"]

    code = tmp_path / "app.py"
    talisman = "from flask_talisman import Talisman\n\nTalisman(app)\n"
    code.write_text(talisman, encoding="utf-8")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=code.as_uri(), language_id="python", version=1, text=talisman
            )
        )
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=code.as_uri())
        )
    )
    assert await _settled(client, uri) == []

    code.write_text("app = None\n", encoding="utf-8")  # changed outside the editor
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=code.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    assert [d.code for d in await _settled(client, uri)] == ["FLY202"]


async def _settled(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """The diagnostics of ``uri`` in the next notification for it (10 s at most)."""

    async def next_for_uri() -> list[types.Diagnostic]:
        while True:
            params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri:
                return list(params.diagnostics)

    return await asyncio.wait_for(next_for_uri(), timeout=10)
