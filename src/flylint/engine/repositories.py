"""Loads the model of a repository for a run: its apps, from every Fly config of the
repository (summaries kept in the cache by each config's bytes), and the facts the run's
rules declared, from the files each app ships (rows kept in the cache by each file's
bytes). A warm run stats the repository's files and reads none that did not change.
"""

from __future__ import annotations

import os
from pathlib import Path

from flylint.diagnostics import Diagnostic, FileKind
from flylint.engine.files import File, Files
from flylint.files import reading
from flylint.repository import facts as fact_kinds
from flylint.repository.apps import App, Repository, summarize
from flylint.repository.facts import Producer
from flylint.repository.inventory import Inventory, Listed
from flylint.support import digests

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

APP_SLOT = "app"
FACTS_SLOT = "facts"
_INVALID = {"invalid": True}  # a config that does not parse: no app


def load(
    inventory: Inventory,
    extra_configs: list[Listed],
    files: Files,
    producers: list[Producer],
    display: Callable[[str], Path],
    salt: str,
) -> Repository:
    """The model of the repository ``inventory`` lists; ``extra_configs``: configs named on
    the command line under names a walk does not take for Fly configs."""
    root = inventory.root
    apps: list[App] = []
    parts: list[str | bytes] = [root]
    for listed in inventory.of_kind(FileKind.FLY_TOML):
        app = _app(listed, files, root, salt, parts)
        if app is not None:
            apps.append(app)
    repository = Repository(root, apps, digests.key(*parts))
    # A config a walk would not take for one is an app for its own findings only: what
    # other files are judged by does not depend on which such files are named.
    for listed in extra_configs:
        app = _app(listed, files, root, salt, [])
        if app is not None:
            repository.add_solo(app)
    if producers and (repository.apps or repository.solo):
        _gather_facts(repository, inventory, files, producers, display, salt)
    return repository


def _app(listed: Listed, files: Files, root: str, salt: str, parts: list) -> App | None:
    """The app of a config, from the summary the cache keeps of its bytes, else parsed;
    ``parts`` learns what the repository's digest is made of."""
    try:
        file = files.get(listed.path, listed.resolved)
    except reading.Unreadable:
        parts += [listed.relative, b"unreadable"]
        return None
    parts += [listed.relative, file.digest]
    buffer = files.is_buffer(listed.resolved)
    summary = None if buffer else files.index.get(listed.resolved, file.digest, APP_SLOT, salt)
    if not isinstance(summary, dict):
        summary = _summary(listed, files)
        if summary is not None and not buffer:
            file = files.get(listed.path, listed.resolved)
            files.index.put(listed.resolved, file.signature, file.digest, APP_SLOT, salt, summary)
    if summary is None or summary.get("invalid"):
        return None
    return App(listed.resolved, listed.relative, summary, root)


def _summary(listed: Listed, files: Files) -> dict | None:
    """The summary of a config, or _INVALID when it does not parse; None when it cannot
    be read (not kept)."""
    from flylint.files import fly_toml

    try:
        file = files.get(listed.path, listed.resolved, content=True)
    except reading.Unreadable:
        return None
    assert file.content is not None
    source = reading.decode(Path(listed.path), FileKind.FLY_TOML, file.content)
    if isinstance(source, Diagnostic):
        return _INVALID
    config = fly_toml.parse(source)
    return _INVALID if isinstance(config, Diagnostic) else summarize(config)


def _gather_facts(
    repository: Repository,
    inventory: Inventory,
    files: Files,
    producers: list[Producer],
    display: Callable[[str], Path],
    salt: str,
) -> None:
    """Each producer's rows in the files it reads, added to ``repository``."""
    by_reads: dict[str, list[Producer]] = {}
    for producer in producers:
        by_reads.setdefault(producer.reads, []).append(producer)
    python = by_reads.get(fact_kinds.PYTHON, [])
    if python:
        for listed in inventory.of_kind(FileKind.PYTHON):
            if repository.shipped(listed.resolved):  # code no app ships tells nothing
                rows = _facts_of(listed.path, listed.resolved, FileKind.PYTHON, files, python,
                                 salt)  # fmt: skip
                repository.add_facts(listed.resolved, display(listed.resolved), rows, False)
    text = by_reads.get(fact_kinds.TEXT, [])
    inside = os.path.join(repository.root, "")
    every = [*repository.apps, *repository.solo]
    for context in sorted({app.context for app in every}) if text else ():
        for relative in sorted({path for p in text for path in p.paths}):
            path = os.path.normpath(os.path.join(context, relative))
            if not os.path.realpath(path).startswith(inside) or not os.path.isfile(path):
                continue
            chosen = [p for p in text if relative in p.paths]
            rows = _facts_of(path, path, None, files, chosen, salt)
            repository.add_facts(path, display(path), rows, False)
    dockerfile = by_reads.get(fact_kinds.DOCKERFILE, [])
    for path in sorted({app.dockerfile for app in every if app.dockerfile}):
        if dockerfile and os.path.isfile(path):
            rows = _facts_of(path, path, FileKind.DOCKERFILE, files, dockerfile, salt)
            repository.add_facts(path, display(path), rows, True)


def _facts_of(
    path: str,
    resolved: str,
    kind: FileKind | None,
    files: Files,
    producers: list[Producer],
    salt: str,
) -> dict[str, list[tuple]]:
    """The rows each producer finds in a file: from the cache by the file's bytes, else
    read (and kept)."""
    if not producers:
        return {}
    key = digests.key(salt, *(p.name for p in producers))
    buffer = files.is_buffer(resolved)
    try:
        file = files.get(path, resolved)
        if not buffer:
            kept = files.index.get(resolved, file.digest, FACTS_SLOT, key)
            if isinstance(kept, dict):
                return kept
        file = files.get(path, resolved, content=True)
    except reading.Unreadable:
        return {}
    rows = _produce(Path(path), kind, file, producers)
    if not buffer:
        files.index.put(resolved, file.signature, file.digest, FACTS_SLOT, key, rows)
    return rows


def _produce(
    path: Path, kind: FileKind | None, file: File, producers: list[Producer]
) -> dict[str, list[tuple]]:
    assert file.content is not None
    source = reading.decode(path, kind or FileKind.PYTHON, file.content)
    if isinstance(source, Diagnostic):
        return {}
    lower = source.text.lower()
    chosen = [p for p in producers if p.worth(lower)]
    if not chosen:
        return {}
    parsed: object = source.text
    if chosen[0].reads == fact_kinds.PYTHON:
        from flylint.files import python

        try:
            parsed = python.parse(source, precheck=False)  # the producers' hints decided
        except (reading.Unreadable, RecursionError):
            return {}
    if parsed is None or isinstance(parsed, Diagnostic):
        return {}
    found: dict[str, list[tuple]] = {}
    for producer in chosen:
        rows = producer.produce(parsed)
        if rows:
            found.setdefault(producer.name, []).extend(rows)
    return found


def display_path(cwd: str) -> Callable[[str], Path]:
    """How outputs name a file the run did not name: relative to the working directory
    when it is inside it."""
    inside = os.path.join(cwd, "")

    def display(resolved: str) -> Path:
        if resolved.startswith(inside):
            return Path(resolved[len(inside) :])
        return Path(resolved)

    return display
