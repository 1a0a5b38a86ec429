"""The language server, driven over stdio by a real LSP client (pytest-lsp)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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
async def test_the_other_places_of_a_problem_are_related_information(
    client: LanguageClient, tmp_path: Path
):
    fixture = Path(__file__).parent / "fixtures" / "fly-toml" / "FLY301"
    text = (fixture / "bad-postgres-two-services" / "fly.toml").read_text(encoding="utf-8")
    path = tmp_path / "fly.toml"
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="toml", version=1, text=text)
        )
    )
    (found,) = await published(client, uri)
    assert found.code == "FLY301"
    (other,) = found.related_information
    assert other.location.uri == uri
    assert other.location.range.start == types.Position(line=21, character=4)
    assert other.message == "[[services]] also exposes this database here"


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


class _Recorded(dict):
    """``client.diagnostics`` that also keeps every list published, in order."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.log: list[tuple[str, list[types.Diagnostic]]] = []

    def __setitem__(self, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        self.log.append((uri, list(diagnostics)))
        super().__setitem__(uri, diagnostics)


@pytest.mark.asyncio
async def test_a_burst_of_edits_is_linted_once_for_its_last_text(
    client: LanguageClient, tmp_path: Path
):
    """Ten keystrokes 5 ms apart: one lint, of the newest text, published with no stale
    result before or after it."""
    (tmp_path / ".git").mkdir()
    path = tmp_path / "fly.toml"
    uri = path.as_uri()
    client.diagnostics = recorded = _Recorded(client.diagnostics)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="toml", version=1, text=CONFIG
            )
        )
    )
    assert [d.code for d in await published(client, uri)] == ["FLY101"]
    recorded.log.clear()
    for version in range(2, 12):
        text = 'app = "shop"\n' + "#" * version + "\n"
        if version == 11:
            text += "[http_service]\n  internal_port = 8080\n  force_https = false\n"
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        await asyncio.sleep(0.005)
    for _ in range(1000):  # 10 s at most
        if recorded.log:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(1)  # time for a stale lint to publish, if one did
    assert [(u, sorted(d.code for d in found)) for u, found in recorded.log] == [
        (uri, ["FLY201", "FLY202"])
    ]


@pytest.mark.asyncio
async def test_a_document_closed_while_it_is_linted_keeps_no_diagnostics(
    client: LanguageClient, tmp_path: Path
):
    (tmp_path / ".git").mkdir()
    path = tmp_path / "app.py"
    # Slow enough to lint (half a megabyte) that the close comes while it runs.
    text = 'KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\n' + "x = [1, 2, 3]\n" * 40_000
    client.diagnostics = recorded = _Recorded(client.diagnostics)
    item = types.TextDocumentItem(uri=path.as_uri(), language_id="python", version=1, text=text)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    await asyncio.sleep(0.05)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(item.uri))
    )
    await asyncio.sleep(2)
    assert recorded.log == [(item.uri, [])]


async def _settled(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """The diagnostics of ``uri`` in the next notification for it (10 s at most)."""

    async def next_for_uri() -> list[types.Diagnostic]:
        while True:
            params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri:
                return list(params.diagnostics)

    return await asyncio.wait_for(next_for_uri(), timeout=10)


# --- Hostile input (issue "Unbreakable and leak-proof") ---------------------------------

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from flylint.files.reading import MAX_FILE_BYTES  # noqa: E402

TOKEN = "ghp_" + "Zq8rT2vX9kLm4nP7sW1yB6cD3fH5jN0aQeRu"  # a GitHub token's shape: 36 after ghp_


def _send_open(client: LanguageClient, uri: str, text: str) -> None:
    item = types.TextDocumentItem(uri=uri, language_id="toml", version=1, text=text)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))


def _send_change(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def _published_after(
    client: LanguageClient, uri: str, send: Callable[[], None], timeout: float = 30
) -> list[types.Diagnostic]:
    """The diagnostics published for ``uri`` after ``send()``. Each notification stores a
    new list: waiting for the stored one to change cannot miss a notification that came
    before the wait began, as waiting for the next notification can."""
    before = client.diagnostics.get(uri)
    send()
    deadline = time.monotonic() + timeout
    while client.diagnostics.get(uri) is before:
        assert time.monotonic() < deadline, f"nothing published for {uri[:200]}"
        await asyncio.sleep(0.01)
    return list(client.diagnostics[uri])


async def _opened(client: LanguageClient, uri: str, text: str) -> list[types.Diagnostic]:
    return await _published_after(client, uri, lambda: _send_open(client, uri, text))


async def _changed(
    client: LanguageClient, uri: str, text: str, version: int
) -> list[types.Diagnostic]:
    return await _published_after(client, uri, lambda: _send_change(client, uri, text, version))


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("fly%00.toml", "NUL"),
        ("a" * 10_000 + "/fly.toml", "too long"),
        ("lone-surrogate", "surrogate"),
    ],
)
async def test_a_document_flylint_cannot_lint_gets_one_diagnostic_saying_why(
    client: LanguageClient, tmp_path: Path, name: str, why: str
):
    (tmp_path / "fly.toml").write_text(CONFIG, encoding="utf-8")
    if name == "lone-surrogate":  # "\ud800" in the JSON: no UTF-8 encodes it
        uri, text = (tmp_path / "fly.toml").as_uri(), 'app = "a\ud800b"\n'
    else:
        uri, text = tmp_path.as_uri() + "/" + name, CONFIG
    (found,) = await _opened(client, uri, text)
    assert found.range.start.line == 0
    assert "flylint cannot lint this document" in found.message
    assert why in found.message
    assert client.messages == []  # no popup

    # The server keeps serving.
    good = tmp_path / "sub" / "fly.toml"
    good.parent.mkdir()
    assert [d.code for d in await _opened(client, good.as_uri(), CONFIG)] == ["FLY101"]
    assert client.messages == []


@pytest.mark.asyncio
async def test_documents_of_other_schemes_are_ignored_without_a_popup(
    client: LanguageClient, tmp_path: Path
):
    for uri in ("untitled:Untitled-1", "https://[::1/fly.toml", "git:/x/fly.toml?%00"):
        _send_open(client, uri, CONFIG)
    (tmp_path / "fly.toml").write_text(CONFIG, encoding="utf-8")
    uri = (tmp_path / "fly.toml").as_uri()
    assert [d.code for d in await _opened(client, uri, CONFIG)] == ["FLY101"]
    assert list(client.diagnostics) == [uri]
    assert client.messages == []


@pytest.mark.asyncio
async def test_a_document_over_the_size_limit_is_not_linted(client: LanguageClient, tmp_path: Path):
    path = tmp_path / "fly.toml"
    path.write_text(CONFIG, encoding="utf-8")
    line = '# SMTP_PASSWORD = "summer-Rain-77"\n'
    big = CONFIG + line * (MAX_FILE_BYTES // len(line) + 1)
    started = time.monotonic()
    (found,) = await _opened(client, path.as_uri(), big)
    assert time.monotonic() - started < 10
    assert found.range.start.line == 0
    assert "too large to lint" in found.message

    # Back under the limit: linted again.
    assert [d.code for d in await _changed(client, path.as_uri(), CONFIG, 2)] == ["FLY101"]


@pytest.mark.asyncio
async def test_a_message_over_the_size_limit_is_refused_quickly(
    client: LanguageClient, tmp_path: Path
):
    """A 50 MB fly.toml: its message is skipped as it arrives, never held in memory, and
    its document gets the too-large diagnostic."""
    path = tmp_path / "fly.toml"
    path.write_text(CONFIG, encoding="utf-8")
    started = time.monotonic()
    (found,) = await _opened(client, path.as_uri(), CONFIG + "# padding\n" * 5_000_000)
    assert time.monotonic() - started < 10
    assert "too large to lint" in found.message

    # The next whole text of the document is linted.
    assert [d.code for d in await _changed(client, path.as_uri(), CONFIG, 2)] == ["FLY101"]
    assert client.messages == []


def test_an_exception_while_linting_becomes_a_diagnostic(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    from flylint.engine import run
    from flylint.server.documents import lint_document

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError(TOKEN)

    monkeypatch.setattr(run, "lint", broken)
    outcome = lint_document(tmp_path / "fly.toml", CONFIG)
    (found,) = outcome.diagnostics
    assert found.range.start.line == 0
    assert found.message == "flylint could not lint this document: KeyError"
    assert outcome.log is not None and "KeyError" in outcome.log
    assert TOKEN[2:] not in outcome.log


@pytest.mark.asyncio
async def test_no_credential_leaves_the_server(client: LanguageClient, tmp_path: Path):
    """A token as a key, in a comment next to a bad suppression, in the URI of a document
    the client never opened (whose error pygls put in a popup): masked in every text."""
    documents = {
        "key": f'app = "shop"\n{TOKEN} = 1\n',
        "comment": f'app = "shop"\n\n[env]\n  A = "1"  # flylint: ignore[FLY999] {TOKEN}\n',
        "above": f'app = "shop"\n# flylint: ignore[NOPE] {TOKEN}\n[env]\n  A = "1"\n',
    }
    sent: list[str] = []
    for name, text in documents.items():
        path = tmp_path / name / "fly.toml"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        found = await _opened(client, path.as_uri(), text)
        assert found
        sent += [d.message for d in found]
    _send_change(client, (tmp_path / TOKEN / "fly.toml").as_uri(), CONFIG, 2)
    await _opened(client, (tmp_path / "fly.toml").as_uri(), CONFIG)

    sent += [m.message for m in client.messages] + [m.message for m in client.log_messages]
    assert any("KeyError" in message for message in sent)  # the unopened document's
    for message in sent:
        assert TOKEN[2:] not in message
        assert TOKEN[4:14] not in message
    assert client.messages == []


@pytest.fixture
def cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A cache of this test's own, for the server the ``client`` fixture starts after it."""
    from flylint.engine.cache import ENV_DIR

    directory = tmp_path / "cache"
    monkeypatch.setenv(ENV_DIR, str(directory))
    return directory


@pytest.mark.asyncio
async def test_unsaved_buffers_never_reach_the_cache(
    cache_dir: Path, client: LanguageClient, tmp_path: Path
):
    from flylint.support import digests

    repository = tmp_path / "repository"
    (repository / ".git").mkdir(parents=True)
    (repository / "fly.toml").write_text('app = "shop"\n', encoding="utf-8")
    (repository / "app.py").write_text("import os\n", encoding="utf-8")
    (repository / "Dockerfile").write_text("FROM python:3.12\n", encoding="utf-8")
    opened = f'app = "shop-unsaved"\n\n[env]\n  GITHUB_TOKEN = "{TOKEN}"\n'
    changed = opened + '  SMTP_PASSWORD = "summer-Rain-77"\n'
    dockerfile = f"FROM python:3.12\nENV GITHUB_TOKEN={TOKEN}\n"
    uri = (repository / "fly.toml").as_uri()
    assert len(await _opened(client, uri, opened)) == 1
    assert len(await _changed(client, uri, changed, 2)) == 2
    assert await _opened(client, (repository / "Dockerfile").as_uri(), dockerfile)

    packs = [p for p in cache_dir.rglob("*") if p.is_file()]
    assert any(p.name != "CACHEDIR.TAG" for p in packs)  # the cache is in use
    unsaved = [t.encode() for t in (opened, changed, dockerfile)]
    for pack in packs:
        data = pack.read_bytes()
        for secret in (TOKEN.encode(), b"summer-Rain-77", b"shop-unsaved"):
            assert secret not in data, pack
        for buffer in unsaved:
            assert buffer not in data and digests.digest(buffer) not in data, pack


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def _initialize(id: int) -> dict:
    params = {"processId": None, "rootUri": None, "capabilities": {}}
    return {"jsonrpc": "2.0", "id": id, "method": "initialize", "params": params}


def _responses(raw: bytes, wanted: int, timeout: float = 20) -> dict:
    """``raw`` written to a fresh ``flylint server``: the response to request ``wanted``
    and everything else the server sent before it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flylint", "server"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(raw)
        process.stdin.flush()
        os.set_blocking(process.stdout.fileno(), False)
        buffer, deadline, seen = b"", time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            chunk = process.stdout.read()
            if chunk:
                buffer += chunk
            while b"\r\n\r\n" in buffer:
                header, _, rest = buffer.partition(b"\r\n\r\n")
                length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                if len(rest) < length:
                    break
                message = json.loads(rest[:length])
                buffer = rest[length:]
                seen.append(message)
                if message.get("id") == wanted and "method" not in message:
                    return {"response": message, "before": seen[:-1]}
            time.sleep(0.02)
        raise AssertionError(f"no response to request {wanted}; got {seen}")
    finally:
        process.kill()
        process.wait()


def test_a_content_length_shorter_than_its_body_does_not_jam_the_connection():
    body = json.dumps(_initialize(1)).encode()
    bad = b"Content-Length: %d\r\n\r\n%s" % (len(body) // 2, body)
    got = _responses(bad + _frame(_initialize(2)), wanted=2)
    assert got["response"]["result"]["serverInfo"]["name"] == "flylint"
    assert not [m for m in got["before"] if m.get("method") == "window/showMessage"]


def test_a_message_over_the_size_limit_gets_an_error_without_being_read():
    from flylint.server import framing

    start = '{"jsonrpc": "2.0", "id": 7, "method": "initialize", "params": {"x": "'
    header = b"Content-Length: %d\r\n\r\n" % (framing.MAX_MESSAGE_BYTES + 1)
    # Only the start of the announced body is ever written.
    got = _responses(header + start.encode() + b"a" * 100_000, wanted=7)
    assert got["response"]["error"]["code"] == -32600
    assert "too large" in got["response"]["error"]["message"]


def _fed(framer: object, *chunks: bytes) -> list[object]:
    return [item for chunk in chunks for item in framer.feed(chunk)]  # type: ignore[attr-defined]


def test_the_reader_skips_junk_to_the_next_header():
    from flylint.server.framing import Framer

    good = _frame(_initialize(2))
    body = json.dumps(_initialize(1)).encode()
    short = b"Content-Length: %d\r\n\r\n%s" % (len(body) // 2, body)
    framer = Framer()
    # The rest of a body whose header said less; garbage with a blank line in it.
    first, second = _fed(framer, short + b"garbage\r\n\r\n" + good[:10], good[10:])
    assert first == body[: len(body) // 2] and json.loads(second)["id"] == 2

    # A header that said more than its body swallowed the next message's header.
    framer = Framer()
    long = b"Content-Length: %d\r\n\r\n%s" % (len(body) + 30, body)
    (swallowed,) = _fed(framer, long + good)
    framer.resync(swallowed)
    (found,) = _fed(framer, b"")
    assert json.loads(found)["id"] == 2


def test_the_reader_skips_an_oversized_message_in_bounded_memory(monkeypatch):
    from flylint.server import framing

    monkeypatch.setattr(framing, "MAX_MESSAGE_BYTES", 1000)
    monkeypatch.setattr(framing, "PEEK_BYTES", 100)
    params = '{"textDocument": {"text": "' + "x" * 2000 + '"}}'
    body = ('{"jsonrpc": "2.0", "method": "m", "params": ' + params + ', "id": 9}').encode()
    framer = framing.Framer()
    items = _fed(framer, b"Content-Length: %d\r\n\r\n" % len(body), body[:150])
    (skipped,) = items  # its start came: too little to tell what it is
    assert skipped.head == body[:100] and not skipped.complete
    items = _fed(framer, body[150:1500], body[1500:] + _frame(_initialize(2)))
    assert items[0] is skipped and skipped.complete and skipped.tail == body[-100:]
    assert len(framer._buffer) < 1000
    assert json.loads(items[1])["id"] == 2
    # Its id was at its end.
    top = framing.top_level(skipped.head.decode(), skipped.tail.decode())
    assert framing.value(framing.ID, top) == 9
    assert framing.value(framing.METHOD, top) == "m"
