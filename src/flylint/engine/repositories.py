"""Loads the model of a repository for a run: its apps, from every Fly config of the
repository (summaries kept in the cache by each config's bytes), and the facts the run's
rules declared, from the files each app ships (rows kept in the cache by each file's
bytes). A warm run stats the repository's files and reads none that did not change.
"""

from __future__ import annotations

import fnmatch
import functools
import os
from pathlib import Path

from flylint.diagnostics import Diagnostic, FileKind
from flylint.engine.files import File, Files
from flylint.files import reading
from flylint.repository import facts as fact_kinds
from flylint.repository.apps import App, Repository, summarize
from flylint.repository.facts import Producer
from flylint.repository.inventory import Inventory, Listed
from flylint.support import digests, observed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from flylint.files.python import PythonModule

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
) -> tuple[Repository, Gatherer | None]:
    """The model of the repository ``inventory`` lists, and what gathers its facts;
    ``extra_configs``: configs named on the command line under names a walk does not take
    for Fly configs."""
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
    if not producers or not (repository.apps or repository.solo):
        return repository, None
    gatherer = Gatherer(repository, inventory, files, producers, display, salt)
    repository.gather_with(gatherer.app, gatherer.file)
    return repository, gatherer


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
    app = App(listed.resolved, listed.relative, summary, root)
    parts.append(f"{listed.relative}: dockerfile there: {app.dockerfile_exists}")
    return app


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
    if isinstance(config, Diagnostic):
        return _INVALID
    files.documents[listed.resolved] = config.data
    return summarize(config)


class Gatherer:
    """Gathers facts when the model is first asked for them: the facts of one app's files
    when a rule of its config asks, the facts of one file when the run asks whether it
    holds any, so a run that lints one file of a large monorepo reads (or finds in the
    cache) the facts of that file's app only. A Python file the run lints anyway gives
    its facts from its lint's parse (``wants``, ``accept``): one parse, in the worker."""

    def __init__(
        self,
        repository: Repository,
        inventory: Inventory,
        files: Files,
        producers: list[Producer],
        display: Callable[[str], Path],
        salt: str,
    ) -> None:
        self.repository = repository
        self.files = files
        self.display = display
        self.salt = salt
        self.by_reads: dict[str, list[Producer]] = {}
        for producer in producers:
            self.by_reads.setdefault(producer.reads, []).append(producer)
        self.inventory = inventory
        self._python: dict[str, list[Listed]] | None = None
        self._named: list[Listed] | None = None
        self.dockerfiles = {
            a.dockerfile for a in (*repository.apps, *repository.solo) if a.dockerfile
        }
        self.inside = os.path.join(repository.root, "")
        self.done: set[str] = set()  # files whose facts are in the model

    def _python_of(self, app: App) -> list[Listed]:
        """The Python files ``app`` ships; each build context's, found in one pass."""
        if fact_kinds.PYTHON not in self.by_reads:
            return []
        python = self.inventory.of_kind(FileKind.PYTHON)
        if app in self.repository.solo:  # ships its whole build context
            return [f for f in python if f.resolved.startswith(app.inside)]
        if self._python is None:
            self._python = {}
            for listed in python:
                owners = self.repository.owners(listed.resolved)
                if owners:
                    self._python.setdefault(owners[0].inside, []).append(listed)
        return self._python.get(app.inside, [])

    def _named_in(self, app: App) -> list[Listed]:
        """The files of ``app``'s whole build context that a producer reads by name."""
        named = self.by_reads.get(fact_kinds.NAMED)
        if not named:
            return []
        if self._named is None:
            wanted = _wanted(tuple(sorted({n for p in named for n in p.names})))
            self._named = self.inventory.named(wanted)
        return [f for f in self._named if f.resolved.startswith(app.inside)]

    def app(self, app: App, name: str) -> None:
        """The facts of the files of ``app`` that hold the fact ``name``: of the kinds its
        producers read (a Dockerfile's facts about the build context parse no Python)."""
        reads = {kind for kind, producers in self.by_reads.items()
                 if any(p.name == name for p in producers)}  # fmt: skip
        if fact_kinds.PYTHON in reads:
            for listed in self._python_of(app):
                self.file(listed.resolved, listed.path)
        if fact_kinds.NAMED in reads:
            for listed in self._named_in(app):
                self.file(listed.resolved, listed.path)
        if fact_kinds.TEXT in reads:
            self._text_of(app)
        if fact_kinds.DOCKERFILE in reads and app.dockerfile:
            self.file(app.dockerfile, app.dockerfile)

    def _text_of(self, app: App) -> None:
        for relative in sorted(
            {path for p in self.by_reads.get(fact_kinds.TEXT, []) for path in p.paths}
        ):
            for path in _expand(app.context, relative):
                if os.path.realpath(path).startswith(self.inside) and os.path.isfile(path):
                    self.file(path, path)
        root = self.repository.root
        for relative in sorted(
            {path for p in self.by_reads.get(fact_kinds.TEXT, []) for path in p.everywhere}
        ):
            for path in _expand(root, relative):
                if os.path.realpath(path).startswith(self.inside) and os.path.isfile(path):
                    self.file(path, path)
                    self.repository.share(path)

    def wants(self, resolved: str, file: File) -> bool:
        """Whether the facts of the Python file at ``resolved``, about to be linted, are
        to be taken from its lint: the model needs them and has them neither in the run
        nor in the cache."""
        python = self.by_reads.get(fact_kinds.PYTHON)
        if not python or resolved in self.done or resolved in self.dockerfiles:
            return False
        if not self.repository.shippers(resolved):
            return False
        if self.files.is_buffer(resolved):
            return True
        key = _facts_key(self.salt, tuple(p.name for p in python))
        return not isinstance(self.files.index.get(resolved, file.digest, FACTS_SLOT, key), dict)

    def accept(self, resolved: str, file: File, rows: dict[str, list[tuple]]) -> None:
        """The facts a lint of the Python file at ``resolved`` found (``wants`` said so)."""
        self.done.add(resolved)
        if not self.files.is_buffer(resolved):
            python = self.by_reads[fact_kinds.PYTHON]
            key = _facts_key(self.salt, tuple(p.name for p in python))
            self.files.index.put(resolved, file.signature, file.digest, FACTS_SLOT, key, rows)
        self.repository.add_facts(resolved, self.display(resolved), rows, False)

    def file(self, resolved: str, path: str | None = None) -> None:
        """The facts of the file at ``resolved``, whatever reads it."""
        if resolved in self.done:
            return
        self.done.add(resolved)
        repository = self.repository
        named: list[Producer] = []  # producers that read it by its name
        if resolved in self.dockerfiles:
            producers, kind, dockerfile = (
                self.by_reads.get(fact_kinds.DOCKERFILE, []),
                FileKind.DOCKERFILE,
                True,
            )
        elif resolved.endswith(".py"):
            if not self.repository.shippers(resolved):
                return  # code no app ships tells nothing
            producers, kind, dockerfile = (
                self.by_reads.get(fact_kinds.PYTHON, []),
                FileKind.PYTHON,
                False,
            )
        else:
            every = [*repository.apps, *repository.solo]
            producers = [
                p for p in self.by_reads.get(fact_kinds.TEXT, [])
                if any(_names(a.context, r, resolved) for a in every for r in p.paths)
                or any(_names(repository.root, r, resolved) for r in p.everywhere)
            ]  # fmt: skip
            name = os.path.basename(resolved).lower()
            named = [
                p for p in self.by_reads.get(fact_kinds.NAMED, [])
                if any(fnmatch.fnmatchcase(name, pattern) for pattern in p.names)
            ]  # fmt: skip
            producers += named
            kind, dockerfile = None, False
        observed.note(resolved)
        if producers and os.path.isfile(resolved):
            rows = _facts_of(path or resolved, resolved, kind, self.files, producers, self.salt)
            repository.add_facts(resolved, self.display(resolved), rows, dockerfile, bool(named))


def _expand(context: str, relative: str) -> list[str]:
    """The paths a producer's ``relative`` path names in ``context``: itself, or with a
    ``*`` in its last part (``.github/workflows/*.yml``), the files of its directory that
    match, in name order."""
    directory, pattern = os.path.split(os.path.normpath(relative))
    if "*" not in pattern:
        path = os.path.normpath(os.path.join(context, relative))
        observed.note(path)
        return [path]
    folder = os.path.normpath(os.path.join(context, directory))
    observed.note(folder)  # its signature changes when a file is added or removed
    try:
        names = sorted(os.listdir(folder))
    except (OSError, ValueError):
        return []
    return [os.path.join(folder, name) for name in names if fnmatch.fnmatchcase(name, pattern)]


def _names(context: str, relative: str, resolved: str) -> bool:
    """Whether a producer's ``relative`` path names the file at ``resolved`` in ``context``."""
    directory, pattern = os.path.split(os.path.normpath(os.path.join(context, relative)))
    return os.path.dirname(resolved) == directory and fnmatch.fnmatchcase(
        os.path.basename(resolved), pattern
    )


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
    key = _facts_key(salt, tuple(p.name for p in producers))
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


@functools.cache
def _wanted(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a file name matches one of the lower-case shell ``patterns``, in any case."""
    import re

    regex = re.compile("|".join(fnmatch.translate(pattern) for pattern in patterns))
    return lambda name: regex.match(name.lower()) is not None


@functools.cache
def _facts_key(salt: str, names: tuple[str, ...]) -> str:
    """The key of the facts that producers of these names find in a file (one per run and
    set of producers, not one per file)."""
    return digests.key(salt, *names)


def _produce(
    path: Path, kind: FileKind | None, file: File, producers: list[Producer]
) -> dict[str, list[tuple]]:
    assert file.content is not None
    source = reading.decode(path, kind or FileKind.PYTHON, file.content)
    named = [p for p in producers if p.reads == fact_kinds.NAMED]
    found: dict[str, list[tuple]] = {}
    if named:
        # Read by name, whatever is in them: a binary key file has rows too (text None).
        text = None if isinstance(source, Diagnostic) else source.text
        for producer in named:
            rows = producer.produce(text, path.name)
            if rows:
                found.setdefault(producer.name, []).extend(rows)
        producers = [p for p in producers if p.reads != fact_kinds.NAMED]
    if isinstance(source, Diagnostic) or not producers:
        return found
    lower = source.text.lower()
    chosen = [p for p in producers if p.worth(lower)]
    if not chosen:
        return found
    if chosen[0].reads == fact_kinds.PYTHON:
        from flylint.files import python

        with python.collection_paused():  # the tree is dropped when the block ends
            try:
                parsed = python.parse(source, precheck=False)  # the producers' hints decided
            except (reading.Unreadable, RecursionError):
                return {}
            return _rows(parsed, chosen)
    return {**found, **_rows(source.text, chosen)}


def python_rows(module: PythonModule | Diagnostic | None, producers: list[Producer]) -> dict:
    """The rows each producer that reads Python finds in a module parsed for its lint
    (None: the pre-check ruled it out, which it does only for files no producer's hints
    admit; a Diagnostic: a syntax error)."""
    if module is None or isinstance(module, Diagnostic):
        return {}
    lower = module.source.text.lower()
    return _rows(module, [p for p in producers if p.worth(lower)])


def _rows(parsed: object, producers: list[Producer]) -> dict[str, list[tuple]]:
    if parsed is None or isinstance(parsed, Diagnostic):
        return {}
    found: dict[str, list[tuple]] = {}
    for producer in producers:
        rows = producer.produce(parsed)
        if rows:
            found.setdefault(producer.name, []).extend(rows)
    return found
