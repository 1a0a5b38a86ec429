"""One repository, one answer: a file's findings (rule, line, column, message, fix) are
the same whether its directory is linted, the file alone is named (what pre-commit does),
it is read from stdin with --stdin-filename, or it is opened and saved in the language
server. Checked on every fixture directory and the example app, each a repository of its
own."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from flylint.cli import main
from flylint.engine import run
from flylint.files.discovery import classify

ROOT = Path(__file__).parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CASES = [
    *sorted(path.parent for path in FIXTURES.rglob("expected.txt")),
    *sorted(p for p in (FIXTURES / "fixes").iterdir() if p.is_dir()),
    ROOT / "examples" / "storefront",
]


def _ids(case: Path) -> str:
    return case.relative_to(ROOT).as_posix()


def _linted(repository: Path) -> list[Path]:
    """The files a walk of the repository lints, relative to it."""
    return sorted(
        path.relative_to(repository)
        for path in repository.rglob("*")
        if path.is_file() and ".git" not in path.parts and classify(path.name) is not None
    )


Finding = tuple[str, int, int, str, object]


def _findings(outcome: run.Run, path: Path) -> set[Finding]:
    """The findings located in ``path``."""
    return {
        (d.rule_id, d.span.line, d.span.column, d.message, d.fix)
        for d in outcome.report.diagnostics
        if Path(os.path.normpath(d.path)) == path
    }


def _copy(case: Path, tmp_path: Path) -> Path:
    import shutil

    work = tmp_path / case.name
    shutil.copytree(case, work, symlinks=True)
    (work / ".git").mkdir()
    return work


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_named_file_and_stdin_match_the_walk(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repository = _copy(case, tmp_path)
    monkeypatch.chdir(repository)
    walk = run.lint([Path()])
    for path in _linted(repository):
        expected = _findings(walk, path)
        named = run.lint([path])
        assert _findings(named, path) == expected, f"{path} named alone"
        buffer = run.lint([], stdin=(path, path.read_bytes()))
        assert _findings(buffer, path) == expected, f"{path} read from stdin"


def test_hsts_in_code_counts_when_only_fly_toml_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys, as_repository
) -> None:
    monkeypatch.chdir(as_repository(FIXTURES / "python" / "FLY202" / "good-talisman"))
    assert main(["check", "fly.toml"]) == 0
    buffer = io.TextIOWrapper(io.BytesIO(Path("fly.toml").read_bytes()))
    monkeypatch.setattr(sys, "stdin", buffer)
    assert main(["check", "--stdin-filename", "fly.toml"]) == 0
    assert capsys.readouterr().out.count("No problems found") == 2


def test_the_order_of_paths_changes_nothing(tmp_path: Path, capsys) -> None:
    """Two sub-projects with their own configurations, named in both orders: each file is
    judged by its own."""
    (tmp_path / ".git").mkdir()
    for name, config in (("a", '[tool.flylint]\nignore = ["FLY2"]\n'), ("b", None)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "fly.toml").write_text(
            f'app = "{name}"\n\n[http_service]\n  internal_port = 8080\n', encoding="utf-8"
        )
        if config:
            (tmp_path / name / "pyproject.toml").write_text(config, encoding="utf-8")
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    assert main(["check", "--format", "concise", "--no-cache", a, b]) == 1
    first = capsys.readouterr().out
    assert main(["check", "--format", "concise", "--no-cache", b, a]) == 1
    assert capsys.readouterr().out == first
    assert "a/fly.toml" not in first
    assert first.count("b/fly.toml") == 2  # FLY201 and FLY202


async def _published(client: LanguageClient, uri: str, count: int) -> list[types.Diagnostic]:
    """The diagnostics of ``uri`` once ``count`` notifications for it have arrived."""
    seen = 0
    while seen < count:
        params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if params.uri == uri:
            seen += 1
    return list(client.diagnostics[uri])


def _utf16(line: str, column: int) -> int:
    return len(line[: column - 1].encode("utf-16-le")) // 2


@pytest.mark.asyncio
async def test_the_language_server_matches_the_walk(
    client: LanguageClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number, case in enumerate(CASES):
        repository = _copy(case, tmp_path / str(number))
        monkeypatch.chdir(repository)
        walk = run.lint([Path()])
        for path in _linted(repository):
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue  # an editor cannot open it as text
            lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
            expected = set()
            for rule, line, column, message, _ in _findings(walk, path):
                where = lines[line - 1] if line <= len(lines) else ""
                expected.add((rule, line - 1, _utf16(where, column), message))
            uri = (repository / path).as_uri()
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    text_document=types.TextDocumentItem(
                        uri=uri, language_id="plaintext", version=1, text=text
                    )
                )
            )
            await _published(client, uri, 1)
            client.text_document_did_save(
                types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
            )
            found = await _published(client, uri, 1)
            client.text_document_did_close(
                types.DidCloseTextDocumentParams(
                    text_document=types.TextDocumentIdentifier(uri=uri)
                )
            )
            await _published(client, uri, 1)
            got = {
                (d.code, d.range.start.line, d.range.start.character, d.message.rsplit(" [", 1)[0])
                for d in found
            }
            assert got == expected, f"{_ids(case)}: {path}"
