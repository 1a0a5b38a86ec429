"""Every test run gets its own cache directory: results cached by an earlier run of the
suite, or by the developer's own flylint, must not leak into what a test observes."""

from __future__ import annotations

import pytest

from flylint.engine.cache import ENV_DIR


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv(ENV_DIR, str(tmp_path_factory.mktemp("flylint-cache")))
    yield
    monkeypatch.undo()
