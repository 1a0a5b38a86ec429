"""One lint run: find the named files, load the model of each repository they live in,
lint each file with the configuration that applies to it, apply suppressions.

A file is judged by its repository, never by which other files happen to be in the run:
named alone, found in a walk, read from stdin or opened in the editor, it gets the same
findings. A file's result depends on its bytes, its path in the repository, the
repository's apps, the facts its rules consumed, its configuration and the rule
selection; the cache keeps it under a key made of exactly those. Dockerfiles and Python
files are linted in worker processes when there are enough of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from flylint.detectors import masking
from flylint.diagnostics import Diagnostic, FileKind, Notice, Report
from flylint.engine import cache, repositories, suppressions
from flylint.engine.files import File, Files
from flylint.engine.results import FileResult, decode, encode
from flylint.files import reading
from flylint.files.discovery import Target, classify, classify_explicit, discover, resolve
from flylint.registry import rule_data, selection
from flylint.repository import facts as fact_kinds
from flylint.repository import inventory as inventories
from flylint.repository.apps import App, Repository
from flylint.repository.facts import Producer
from flylint.repository.inventory import Inventory, Listed
from flylint.repository.root import Roots
from flylint.repository.settings import Config, Resolver
from flylint.support import digests, installation, observed
from flylint.support.records import Record

# Below this many Dockerfiles and Python files, starting workers costs more than it saves.
PARALLEL_MIN_FILES = 200
RESULT_SLOT = "result"


class Options(Record):
    """What the command line says about rules and configuration."""

    __slots__ = (
        "config", "exclude", "extend_exclude", "force_exclude", "ignore", "min_confidence",
        "select",
    )  # fmt: skip

    def __init__(
        self,
        select: list[str] | None = None,
        ignore: Iterable[str] = (),
        config: Path | None = None,
        min_confidence: str | None = None,
        exclude: tuple[str, ...] | None = None,
        extend_exclude: tuple[str, ...] = (),
        force_exclude: bool = False,
    ) -> None:
        self.select = select  # None: each file's configuration decides
        self.ignore = tuple(ignore)  # added to each configuration's
        self.config = config  # --config FILE: one configuration for every file
        self.min_confidence = min_confidence  # None: each file's configuration decides
        # --exclude (in place of the configurations' exclude; None: not given) and
        # --extend-exclude (added to them) patterns, relative to the working directory;
        # --force-exclude: files named on the command line are excluded too.
        self.exclude = exclude
        self.extend_exclude = extend_exclude
        self.force_exclude = force_exclude


class Run:
    __slots__ = ("excluded", "fly_tomls", "missing", "report")

    def __init__(self, missing: list[Path], report: Report) -> None:
        self.report = report
        self.missing = missing
        self.excluded = 0  # files exclude kept from being linted
        self.fly_tomls: dict[Path, bytes] = {}  # each linted fly.toml as read, for --fix


class _Settings(Record):
    """A configuration, with the rules it selects once the command line is applied."""

    __slots__ = ("config", "fingerprint", "selected")

    def __init__(self, config: Config, selected: frozenset[str], fingerprint: str) -> None:
        self.config = config
        self.selected = selected
        self.fingerprint = fingerprint


class _Job(Record):
    """A Dockerfile or Python file whose result is not in the cache."""

    __slots__ = ("facts", "file", "key", "root", "settings", "target")

    def __init__(
        self, target: Target, file: File, key: str, root: str, settings: int, facts: bool
    ) -> None:
        self.target = target
        self.file = file
        self.key = key
        self.root = root
        self.settings = settings  # index into the linter's settings
        self.facts = facts  # a Python file whose facts the model wants from this lint's parse


# What linting one file yields: its result (or why there is none) and, for a job that
# asked, the facts its parse found.
_Outcome = tuple["FileResult | Notice", "dict[str, list[tuple]] | None"]


class _Linter:
    """Lints Dockerfiles and Python files. Holds nothing but what a result depends on,
    so that worker processes can share it."""

    def __init__(
        self,
        repositories: dict[str, Repository],
        settings: list[_Settings],
        producers: list[Producer],
    ) -> None:
        self.repositories = repositories
        self.settings = settings
        self.producers = [p for p in producers if p.reads == fact_kinds.PYTHON]
        self.known = tuple(rule_data.rules())
        self._configured: int | None = None

    def run(self, job: _Job) -> _Outcome:
        assert job.file.content is not None  # a job's file is always read
        self._configure(job.settings)
        facts: dict[str, list[tuple]] = {}
        try:
            if job.target.kind is FileKind.PYTHON:
                from flylint.files import python  # imported only when there is a Python file

                with python.collection_paused():  # the tree is dropped when _lint returns
                    return self._lint(job, facts), facts if job.facts else None
            return self._lint(job, facts), None
        except reading.Unreadable as exc:  # a Python file too large to analyse
            outcome: FileResult | Notice = Notice(job.target.path, str(exc), error=exc.error)
        except RecursionError:  # a walk too deep for Python's stack: none is known today
            message = "skipped: expressions nested too deeply to analyse"
            outcome = Notice(job.target.path, message, error=False)
        except Exception as exc:  # one file's failure is that file's notice, not the run's
            outcome = failed(job.target.path, exc)
        return outcome, {} if job.facts else None  # a file too large holds no fact either

    def _configure(self, index: int) -> None:
        """Secret detection follows the configuration of the file being linted."""
        if self._configured != index:
            _configure_secrets(self.settings[index].config)
            self._configured = index

    def _lint(self, job: _Job, facts: dict[str, list[tuple]]) -> FileResult:
        """The result of a job; ``facts`` learns the facts of a Python file's parse."""
        target = job.target
        content = job.file.content
        assert content is not None
        settings = self.settings[job.settings]
        repository = self.repositories[job.root]
        source = reading.decode(target.path, target.kind, content)
        if isinstance(source, Diagnostic):
            return FileResult(target.path, [source], [], {})
        marks, problems = suppressions.scan(target.path, source.text, self.known)
        own = {target.path: marks} if marks else {}
        context: object
        if target.kind is FileKind.PYTHON:
            from flylint.checks.context import PythonContext
            from flylint.files import python  # imported only when there is a Python file

            module = python.parse(source)  # None for files the pre-check rules out
            if job.facts:
                facts.update(repositories.python_rows(module, self.producers))
            if module is None or isinstance(module, Diagnostic):
                return FileResult(target.path, [module] if module else [], problems, own)
            apps = repository.shippers(target.resolved)
            context = PythonContext(module, apps, repository, settings.config)
        else:
            from flylint.checks.context import DockerfileContext
            from flylint.files import dockerfile  # imported only when there is a Dockerfile

            parsed = dockerfile.parse(source)
            if isinstance(parsed, Diagnostic):
                return FileResult(target.path, [parsed], problems, own)
            apps = repository.building(target.resolved)
            context = DockerfileContext(parsed, apps, repository, settings.config)
        checks = selection.checks_for(target.kind, settings.selected)
        found = [d for check in checks for d in check(context)]
        return FileResult(target.path, found, problems, own)


def _configure_secrets(config: Config) -> None:
    from flylint.detectors import secrets

    patterns = tuple((p.description, p.regex) for p in config.extra_patterns)
    secrets.configure(config.allowlist, patterns)


_worker_linter: _Linter | None = None


def _adopt(linter: _Linter) -> None:
    global _worker_linter
    _worker_linter = linter


def failed(path: Path, exc: BaseException) -> Notice:
    """The notice for a file flylint failed on (a bug of flylint's): an error, so that the
    run exits 2 and claims nothing about that file; FLYLINT_DEBUG=1 raises it instead."""
    if os.environ.get("FLYLINT_DEBUG"):
        raise exc
    message = f"not linted: internal error ({type(exc).__name__}); please report it"
    return Notice(path, message, error=True)


def _run_all(linter: _Linter, todo: list[_Job], jobs: int) -> list[_Outcome]:
    if jobs > 1 and len(todo) >= PARALLEL_MIN_FILES:
        import multiprocessing

        # Forked workers inherit the linter; platforms without fork lint in one process.
        if "fork" in multiprocessing.get_all_start_methods():
            outcomes: list[_Outcome | None] = [None] * len(todo)
            _in_workers(linter, todo, list(range(len(todo))), jobs, outcomes)
            return [outcome for outcome in outcomes if outcome is not None]
    return [linter.run(job) for job in todo]


def _in_workers(
    linter: _Linter, todo: list[_Job], indexes: list[int], jobs: int, outcomes: list
) -> None:
    """Lint ``todo[i]`` for each of ``indexes`` in worker processes into ``outcomes``. A
    worker that dies (a crash in a native parser, the OOM killer) breaks the pool and
    every job it had not finished: those are linted again in new pools, halved each time,
    until the one that kills a worker stands alone and becomes its file's notice."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    chunk = max(1, len(indexes) // (jobs * 8))
    batches = [indexes[i : i + chunk] for i in range(0, len(indexes), chunk)]
    unfinished: list[int] = []
    with ProcessPoolExecutor(
        min(jobs, len(batches)),
        mp_context=multiprocessing.get_context("fork"),
        initializer=_adopt,
        initargs=(linter,),
    ) as pool:
        futures = [(batch, pool.submit(_run_batch, [todo[i] for i in batch])) for batch in batches]
        for batch, future in futures:
            try:
                for i, outcome in zip(batch, future.result(), strict=True):
                    outcomes[i] = outcome
            except BrokenProcessPool:
                unfinished += batch
    if len(unfinished) == 1:
        path = todo[unfinished[0]].target.path
        message = "not linted: the process linting it died (a crash in a parser); please report it"
        outcomes[unfinished[0]] = Notice(path, message, error=True), None
    elif unfinished:
        half = len(unfinished) // 2
        for part in (unfinished[:half], unfinished[half:]):
            _in_workers(linter, todo, part, jobs, outcomes)


def _run_batch(jobs: list[_Job]) -> list[_Outcome]:
    assert _worker_linter is not None
    return [_worker_linter.run(job) for job in jobs]


class _Session:
    """What one run knows: its files, the repositories they live in, and the
    configuration of each file."""

    def __init__(self, options: Options, files: Files, report: Report) -> None:
        self.options = options
        self.files = files
        self.report = report
        self.index = files.index
        self.cwd = os.getcwd()
        self.roots = Roots()
        # Each file's one spelling in outputs, and back: a file named on the command line
        # keeps the user's spelling; any other, relative to the working directory.
        self._shown: dict[str, Path] = {}
        self._resolved: dict[Path, str] = {}
        self._marks: dict[str, list[suppressions.Mark]] = {}
        self.inventories: dict[str, Inventory] = {}
        self.repositories: dict[str, Repository] = {}
        self.gatherers: dict[str, repositories.Gatherer] = {}  # of repositories with facts
        self.resolvers: dict[str, Resolver] = {}
        self.settings: list[_Settings] = []
        self._settings_of: dict[int, int] = {}  # id(Config) -> index in settings
        self.salt = installation.code_signature() if self.index.enabled else ""
        self.known = tuple(rule_data.rules())

    def inventory(self, root: str) -> Inventory:
        found = self.inventories.get(root)
        if found is None:
            recursive = not self.roots.shallow(root)
            found = self.inventories[root] = inventories.take(root, recursive)
        return found

    def name(self, path: Path, resolved: str) -> None:
        """``path`` is how the user named the file at ``resolved`` (or a walk of a
        directory they named found it): outputs name it so."""
        self._shown[resolved] = path
        self._resolved.setdefault(path, resolved)

    def display(self, resolved: str) -> Path:
        """How outputs name the file at ``resolved``."""
        path = self._shown.get(resolved)
        if path is None:
            path = self._shown[resolved] = Path(os.path.relpath(resolved, self.cwd))
            self._resolved.setdefault(path, resolved)
        return path

    def resolved(self, path: Path) -> str:
        """The absolute path of a file an output names."""
        found = self._resolved.get(path)
        if found is None:
            found = os.path.realpath(os.path.join(self.cwd, path))
            self._resolved[path] = found
        return found

    def marks_of(self, resolved: str) -> list[suppressions.Mark]:
        """The lines the suppression comments of the file at ``resolved`` cover, as it is
        now (an editor's buffer where one stands for it)."""
        found = self._marks.get(resolved)
        if found is None:
            found = []
            path = self.display(resolved)
            try:
                file = self.files.get(path, resolved, content=True)
            except reading.Unreadable:
                file = None
            if file is not None and file.content is not None:
                source = reading.decode(path, FileKind.PYTHON, file.content)
                if not isinstance(source, Diagnostic):
                    found = suppressions.scan(path, source.text, self.known)[0]
            self._marks[resolved] = found
        return found

    def settings_for(self, root: str, resolved: str) -> int:
        """The index of the settings that apply to the file at ``resolved``."""
        resolver = self.resolvers.get(root)
        if resolver is None:
            resolver = self.resolvers[root] = Resolver(root, self.options.config)
        config = resolver.for_file(resolved)
        index = self._settings_of.get(id(config))
        if index is None:
            select = self.options.select if self.options.select is not None else config.select
            selected = selection.select(select, [*config.ignore, *self.options.ignore])
            fingerprint = digests.key(config.fingerprint(), *sorted(selected))
            index = self._settings_of[id(config)] = len(self.settings)
            self.settings.append(_Settings(config, selected, fingerprint))
        return index

    def result_key(self, target: Target, root: str, settings: int, *facts: str) -> str:
        if not self.index.enabled:
            return ""
        relative = _relative(target.resolved, root)
        repository = self.repositories[root]
        fingerprint = self.settings[settings].fingerprint
        return digests.key(
            self.salt, target.kind.value, relative, repository.digest, fingerprint, *facts
        )

    def cached(self, target: Target, file: File, key: str, root: str) -> FileResult | None:
        if not self.index.enabled or self.files.is_buffer(target.resolved):
            return None
        raw = self.index.get(target.resolved, file.digest, RESULT_SLOT, key)
        if raw is None:
            return None
        return decode(raw, target.path, self._display_relative(root))

    def record(self, target: Target, file: File, key: str, root: str, result: FileResult) -> None:
        if not self.index.enabled or self.files.is_buffer(target.resolved):
            return  # an editor's unsaved buffer never reaches the disk
        encoded = encode(result, self._relative_path(root))
        self.index.put(target.resolved, file.signature, file.digest, RESULT_SLOT, key, encoded)

    def _display_relative(self, root: str) -> Callable[[str], Path]:
        return lambda relative: self.display(os.path.join(root, relative))

    def _relative_path(self, root: str) -> Callable[[Path], str]:
        def relative(path: Path) -> str:
            return _relative(self.resolved(path), root)

        return relative


def _relative(resolved: str, root: str) -> str:
    """The path of a file of the repository at ``root``, relative to it, with ``/``."""
    if resolved.startswith(root) and resolved[len(root) : len(root) + 1] == os.sep:
        relative = resolved[len(root) + 1 :]  # the usual case, without relpath's cost
    else:
        relative = os.path.relpath(resolved, root)
    return relative.replace(os.sep, "/") if os.sep != "/" else relative


def _targets(
    session: _Session,
    paths: Iterable[Path],
    stdin: tuple[Path, bytes] | None,
    root_of: dict[str, str],
) -> tuple[list[Target], list[Path], dict[str, bytes]]:
    """The files to lint, the named paths that do not exist, and the unsaved buffer that
    stands for one of them, if any; ``root_of`` learns the root of the files a walk found."""
    if stdin is not None:
        name, content = stdin
        resolved = str(resolve(name))
        session.name(name, resolved)
        return (
            [Target(name, classify_explicit(name), resolved, explicit=True)],
            [],
            {resolved: content},
        )
    found, directories = discover(paths)
    targets = found.targets
    for target in targets:
        session.name(target.path, target.resolved)
    seen = {t.resolved for t in targets}
    pending = list(directories)
    while pending:
        named, resolved = pending.pop(0)
        root = session.roots.of(resolved, is_dir=True)
        inside = os.path.join(resolved, "")
        inventory = session.inventory(root)

        for listed in inventory.files:
            relative = _below(listed.path, inside)
            if relative is None or listed.resolved in seen:
                continue
            seen.add(listed.resolved)
            path = named / relative
            session.name(path, listed.resolved)
            root_of[listed.resolved] = root
            targets.append(Target(path, listed.kind, listed.resolved))
        for directory, why in inventory.unreadable:
            relative = _below(directory, inside)
            if relative is not None:
                message = f"cannot read directory: {why}"
                session.report.notices.append(Notice(named / relative, message, error=True))
        # A repository of its own inside the named directory (a submodule) is walked as one.
        pending += [
            (named / r, d) for d in inventory.nested if (r := _below(d, inside)) is not None
        ]
    return targets, found.missing, {}


def _below(path: str, inside: str) -> str | None:
    """``path`` relative to the directory ``inside`` (ending in a separator), if it is in it."""
    return path[len(inside) :] if path.startswith(inside) else None


def _producers(kinds: set[FileKind]) -> list[Producer]:
    """The facts the checks of the files' kinds consume, whichever rules are selected (so
    that the facts kept in the cache serve every selection)."""
    return [p for kind in sorted(kinds) for p in selection.producers_for(kind)]


def lint(
    paths: Iterable[Path],
    options: Options | None = None,
    stdin: tuple[Path, bytes] | None = None,
    jobs: int = 1,
    editor: bool = False,
) -> Run:
    """Lint ``paths``; or, with ``stdin`` (a name and the bytes of an unsaved buffer), lint
    that buffer as if it were the named file. ``jobs`` > 1 lints many Dockerfiles and
    Python files in that many processes. ``editor``: the buffer is whatever document an
    editor opened, linted only when its name or the repository says what it is (a file
    named on the command line under another name is a Fly config)."""
    options = options or Options()
    # First: the index's clock starts before any file of the run is looked at.
    index = cache.active().index()
    masking.forget()
    report = Report()
    files = Files(index, {})
    session = _Session(options, files, report)
    root_of: dict[str, str] = {}
    targets, missing, overrides = _targets(session, paths, stdin, root_of)
    files.overrides.update(overrides)
    run = Run(missing, report)

    # The model of each repository the targets live in.
    for target in targets:
        if target.resolved not in root_of:
            root_of[target.resolved] = session.roots.of(target.resolved)
    # Facts are gathered whatever is linted: a Python file that holds one can be where a
    # config's finding is (see _borrowed).
    producers = _producers({FileKind.FLY_TOML, *(t.kind for t in targets)}) if targets else []
    for root in sorted(set(root_of.values())):
        inventory = session.inventory(root)
        listed = {f.resolved for f in inventory.of_kind(FileKind.FLY_TOML)}
        # A config named under a name no walk takes for one: an app for its own findings.
        extra = [
            Listed(str(t.path), t.resolved, _relative(t.resolved, root), FileKind.FLY_TOML)
            for t in targets
            if t.kind is FileKind.FLY_TOML and root_of[t.resolved] == root
            and t.resolved not in listed
        ]  # fmt: skip
        repository, gatherer = repositories.load(
            inventory, extra, files, producers, session.display, session.salt
        )
        session.repositories[root] = repository
        if gatherer is not None:
            session.gatherers[root] = gatherer
    targets = _kinds_from_the_model(session, targets, root_of, editor)
    _attach_dockerfiles(session, targets, root_of)
    kept = [t for t in targets if not _excluded(session, t, root_of)]
    run.excluded, targets = len(targets) - len(kept), kept

    results: list[tuple[int, FileResult]] = []
    todo: list[_Job] = []
    configs: list[tuple[Target, str, int]] = []
    for target in targets:
        root = root_of.setdefault(target.resolved, session.roots.of(target.resolved))
        settings = session.settings_for(root, target.resolved)
        if target.kind is FileKind.FLY_TOML:
            configs.append((target, root, settings))
            continue
        try:
            file = files.get(target.path, target.resolved, status=target.status)
            facts = _dockerfile_facts(session.repositories[root], target)
            key = session.result_key(target, root, settings, *facts)
            result = session.cached(target, file, key, root)
            if result is None:
                file = files.get(target.path, target.resolved, content=True)
        except reading.Unreadable as exc:
            report.notices.append(Notice(target.path, str(exc), error=exc.error))
            continue
        if result is not None:
            report.files_checked += 1
            results.append((settings, result))
        else:
            gatherer = session.gatherers.get(root)
            facts = (
                target.kind is FileKind.PYTHON
                and gatherer is not None
                and gatherer.wants(target.resolved, file)
            )
            todo.append(_Job(target, file, key, root, settings, facts))

    # Dockerfiles and Python files first: the facts of those linted now come with their
    # results, and the configs' rules read them.
    linter = _Linter(session.repositories, session.settings, producers)
    for job, (outcome, facts) in zip(todo, _run_all(linter, todo, jobs), strict=True):
        if facts is not None:
            session.gatherers[job.root].accept(job.target.resolved, job.file, facts)
        if isinstance(outcome, Notice):
            report.notices.append(outcome)
            continue
        report.files_checked += 1
        session.record(job.target, job.file, job.key, job.root, outcome)
        results.append((job.settings, outcome))
    for target, root, settings in configs:
        try:
            config = _lint_fly_toml(session, run, target, root, settings)
        except Exception as exc:  # one file's failure is that file's notice
            config = failed(target.path, exc)
        if isinstance(config, Notice):
            report.notices.append(config)
        elif config is not None:
            report.files_checked += 1
            results.append((settings, config))
    results += _borrowed(session, run, targets, root_of)
    index.save()
    _report(session, results)
    return run


def _excluded(session: _Session, target: Target, root_of: dict[str, str]) -> bool:
    """Whether the configuration's ``exclude`` (or --exclude) keeps ``target`` from being
    linted: found by a walk, or named with --force-exclude (what pre-commit passes)."""
    options = session.options
    if target.explicit and not options.force_exclude:
        return False
    from flylint.repository.settings import matches

    given = (*(options.exclude or ()), *options.extend_exclude)
    if given and matches(session.cwd, given, target.resolved):
        return True
    if options.exclude is not None:
        return False
    root = root_of.setdefault(target.resolved, session.roots.of(target.resolved))
    config = session.settings[session.settings_for(root, target.resolved)].config
    return config.excludes(target.resolved)


def _kinds_from_the_model(
    session: _Session, targets: list[Target], root_of: dict[str, str], editor: bool
) -> list[Target]:
    """A file named under a name that says nothing of its kind is a Dockerfile when a config
    builds with it (``[build] dockerfile = "docker/web.containerfile"``), else a Fly
    config; for an editor, which opens any file, it is linted only in the first case."""
    kept = []
    for target in targets:
        if target.explicit and classify(target.path.name) is None:
            repository = session.repositories[root_of[target.resolved]]
            if repository.building(target.resolved):
                target = Target(target.path, FileKind.DOCKERFILE, target.resolved, True,
                                target.status)  # fmt: skip
            elif editor:
                continue
        kept.append(target)
    return kept


def _borrowed(
    session: _Session, run: Run, targets: list[Target], root_of: dict[str, str]
) -> list[tuple[int, FileResult]]:
    """The findings a config's rules place in another file (a Python line that turns HSTS
    off), for each such file linted without that config: a file's findings are the same
    whether its app's config is in the run or not."""
    linted = {t.resolved for t in targets if t.kind is FileKind.FLY_TOML}
    borrowed: list[tuple[int, FileResult]] = []
    configs: dict[str, FileResult | Notice | None] = {}  # each config linted once
    for target in targets:
        if target.kind is FileKind.FLY_TOML:
            continue
        root = root_of[target.resolved]
        repository = session.repositories[root]
        if not repository.holds_facts(target.resolved):
            continue
        apps = repository.owners(target.resolved) or repository.building(target.resolved)
        for app in apps:
            if app.resolved in linted:
                continue
            settings = session.settings_for(root, app.resolved)
            if app.resolved not in configs:
                config = Target(session.display(app.resolved), FileKind.FLY_TOML, app.resolved)
                configs[app.resolved] = _lint_fly_toml(session, None, config, root, settings)
            outcome = configs[app.resolved]
            if not isinstance(outcome, FileResult):
                continue
            here = [d for d in outcome.diagnostics if session.resolved(d.path) == target.resolved]
            if here:
                marks = {target.path: session.marks_of(target.resolved)}
                borrowed.append((settings, FileResult(target.path, here, [], marks)))
    return borrowed


def _attach_dockerfiles(session: _Session, targets: list[Target], root_of: dict[str, str]) -> None:
    """Lint the Dockerfile of each app whose config a directory walk found, whatever the
    Dockerfile's name."""
    linted = {t.resolved for t in targets}
    for target in list(targets):
        if target.kind is not FileKind.FLY_TOML or target.explicit:
            continue
        repository = session.repositories[root_of[target.resolved]]
        app = repository.app_of(target.resolved)
        if app is None:
            continue
        named = app.config_dockerfile
        if app.dockerfile is None or app.dockerfile in linted:
            if named is not None and app.dockerfile is None:
                message = f"[build] dockerfile names {named}, which is outside the repository"
                session.report.notices.append(Notice(target.path, message))
            continue
        path = Path(os.path.normpath(target.path.parent / (named or "Dockerfile")))
        observed.note(app.dockerfile)
        if not os.path.isfile(app.dockerfile):
            message = f"[build] dockerfile names {path}, which does not exist"
            session.report.notices.append(Notice(target.path, message))
            continue
        linted.add(app.dockerfile)
        session.name(path, app.dockerfile)
        root_of[app.dockerfile] = repository.root
        targets.append(Target(path, FileKind.DOCKERFILE, app.dockerfile))


def _lint_fly_toml(
    session: _Session, run: Run | None, target: Target, root: str, settings: int
) -> FileResult | Notice | None:
    """The result of a config; ``run`` None: not linted for itself, but for the findings
    it places in another file."""
    files = session.files
    try:
        file = files.get(target.path, target.resolved, content=True, status=target.status)
    except reading.Unreadable as exc:
        return Notice(target.path, str(exc), error=exc.error)
    content = file.content
    assert content is not None
    repository = session.repositories[root]
    app = repository.app_of(target.resolved)
    facts = _facts_used(repository, app)
    key = session.result_key(target, root, settings, *facts)
    result = session.cached(target, file, key, root)
    if result is None:
        result = _compute_fly_toml(session, target, content, repository, app, settings)
        session.record(target, file, key, root, result)
    parsed = not result.diagnostics or result.diagnostics[0].rule_id != reading.PARSE_ERROR
    if run is not None and parsed:
        run.fly_tomls[target.path] = content
    return result


def _dockerfile_facts(repository: Repository, target: Target) -> list[str]:
    """The facts a Dockerfile's result depends on: those of each app building with it."""
    if target.kind is not FileKind.DOCKERFILE:
        return []
    apps = repository.building(target.resolved)
    return [part for app in apps for part in _facts_used(repository, app, FileKind.DOCKERFILE)]


def _facts_used(
    repository: Repository, app: App | None, kind: FileKind = FileKind.FLY_TOML
) -> list[str]:
    """The facts the result of a file of ``kind`` of ``app`` depends on: its app's, and
    every app's of a shared fact, in a form that does not depend on the working directory."""
    if app is None:
        return []
    producers = selection.producers_for(kind)
    names = sorted({p.name for p in producers})
    shared = {p.name for p in producers if p.shared}
    root = repository.root

    def rows(owner: App, name: str) -> str:
        return repository.derived(
            ("cache key", owner.resolved, name),
            lambda: repr(
                [(_relative(f.resolved, root), f.row) for f in repository.facts(owner, name)]
            ),
        )

    return [
        "".join(
            rows(owner, name)
            for owner in (_every_app(repository, app) if name in shared else [app])
        )
        for name in names
    ]


def _every_app(repository: Repository, app: App) -> list[App]:
    """``app`` (a config named on the command line may be none of the repository's), then
    the repository's others."""
    return [app, *(other for other in repository.apps if other is not app)]


def _compute_fly_toml(
    session: _Session,
    target: Target,
    content: bytes,
    repository: Repository,
    app: App | None,
    settings_index: int,
) -> FileResult:
    from flylint.checks.context import FlyTomlContext
    from flylint.files import fly_toml  # a run without a fly.toml never imports it

    source = reading.decode(target.path, target.kind, content)
    if isinstance(source, Diagnostic):
        return FileResult(target.path, [source], [], {})
    marks, problems = suppressions.scan(target.path, source.text, session.known)
    own = {target.path: marks} if marks else {}
    document = session.files.documents.get(target.resolved)
    config = fly_toml.parse(source) if document is None else fly_toml.FlyConfig(source, document)
    if isinstance(config, Diagnostic) or app is None:
        return FileResult(target.path, [config] if isinstance(config, Diagnostic) else [],
                          problems, own)  # fmt: skip
    settings = session.settings[settings_index]
    _configure_secrets(settings.config)
    context = FlyTomlContext(config, app, repository, settings.config)
    checks = selection.checks_for(FileKind.FLY_TOML, settings.selected)
    found = [d for check in checks for d in check(context)]
    if app in repository.solo:
        # Named under a name no walk takes for a config: its findings stay in it, so that
        # what other files are judged by does not depend on it being named.
        found = [d for d in found if d.path == target.path]
    return FileResult(target.path, found, problems, own)


def _report(session: _Session, results: list[tuple[int, FileResult]]) -> None:
    """Suppressions, per-file ignores and rule selection; findings sorted, each file named
    one way, duplicates (two sibling configs blaming one line of their shared code) once.

    A finding is kept when the configuration of the file it comes from selects it, and,
    when it is located in another file, that file's configuration too; it is suppressed by
    the comments of the file it is located in, as that file is now."""
    report = session.report
    kept_all: set[Diagnostic] = set()
    suppressed_all: set[Diagnostic] = set()
    hidden_all: set[Diagnostic] = set()  # below the confidence asked for
    rank = rule_data.CONFIDENCES.index  # surest first
    rules, level = rule_data.rules(), rule_data.LEVELS.index  # most severe first
    for index, result in results:
        origin = session.resolved(result.path)
        own_marks = result.marks.get(result.path, [])
        for d in [*result.diagnostics, *result.problems]:
            where = session.resolved(d.path)
            path = session.display(where)
            if path != d.path:
                d = Diagnostic(
                    d.rule_id, path, d.span, d.message, d.anchor, d.confidence, d.fix, d.related
                )
            configs = [session.settings[index]]
            if where != origin:
                root = session.roots.of(where)
                configs.append(session.settings[session.settings_for(root, where)])
            if not all(_applies(s, d.rule_id, where) for s in configs):
                continue
            # The confidence shown is the one the file the finding is in asks for.
            wanted = session.options.min_confidence or configs[-1].config.min_confidence
            if rank(rule_data.confidence_of(d)) > rank(wanted or "medium"):
                hidden_all.add(d)
                continue
            if d.rule_id == suppressions.BAD_SUPPRESSION:
                kept_all.add(d)  # never suppressed itself
                continue
            marks = own_marks if where == origin else session.marks_of(where)
            if any(m.line == d.span.line and d.rule_id in m.rule_ids for m in marks):
                suppressed_all.add(d)
            else:
                kept_all.add(d)
                fail_on = configs[-1].config.fail_on
                if fail_on is not None and level(rules[d.rule_id].level) > level(fail_on):
                    report.passing.add(d)
    report.diagnostics = sorted(kept_all, key=Diagnostic.sort_key)
    report.suppressed = sorted(suppressed_all, key=Diagnostic.sort_key)
    report.below_confidence = len(hidden_all)


def _applies(settings: _Settings, rule_id: str, resolved: str) -> bool:
    """Whether a configuration selects ``rule_id`` for the file at ``resolved``."""
    if rule_id not in settings.selected:
        return False
    config = settings.config
    if not config.per_file_ignores:
        return True
    return not any(
        rule_id in selection.expand(selector) for selector in config.ignored_for(resolved)
    )
