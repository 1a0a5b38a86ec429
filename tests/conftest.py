"""Every test run gets its own cache directory: results cached by an earlier run of the
suite, or by the developer's own flylint, must not leak into what a test observes."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from flylint.engine.cache import ENV_DIR


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv(ENV_DIR, str(tmp_path_factory.mktemp("flylint-cache")))
    yield
    monkeypatch.undo()


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def as_repository(tmp_path: Path) -> Callable[[Path], Path]:
    """A copy of a fixture directory outside this repository, as a repository of its own
    (a ``.git`` marks its root): in place, the fixtures would be apps of one repository,
    flylint's own, and see each other's apps."""

    def copy(case: Path) -> Path:
        work = tmp_path / "repositories" / case.relative_to(FIXTURES).as_posix().replace("/", "-")
        shutil.copytree(case, work, symlinks=True)
        (work / ".git").mkdir()
        return work

    return copy


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "flylint", "server"])
)
async def client(lsp_client: LanguageClient):
    """``flylint server`` over stdio, driven by a real LSP client (pytest-lsp)."""
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=types.ClientCapabilities())
    )
    yield
    await lsp_client.shutdown_session()
