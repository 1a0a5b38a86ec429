"""One lint run: discover the files, build the app map, lint each file, apply suppressions.

A file's result depends only on its bytes, the app map (every fly.toml of the run), the
rule selection and the settings; a fly.toml's also on the HSTS its app's code sets and on
the Dockerfile it builds with. Results are cached under a key made of exactly those (a
file's bytes by their digest, which the cache vouches for while the file's stat
signature is unchanged), and Dockerfiles and Python files are linted in worker processes
when there are enough of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from flylint.checks.context import DockerfileContext, FlyTomlContext, PythonContext
from flylint.diagnostics import Diagnostic, FileKind, Notice, Report
from flylint.engine import cache, suppressions
from flylint.engine.results import FileResult, decode, encode
from flylint.files import reading
from flylint.files.discovery import (
    Discovery,
    Target,
    classify_explicit,
    context_configs,
    discover,
    resolve,
)
from flylint.registry import rule_data, selection
from flylint.repository.apps import App, Project
from flylint.repository.settings import Config
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from flylint.files.fly_toml import FlyConfig

# Below this many Dockerfiles and Python files, starting workers costs more than it saves.
PARALLEL_MIN_FILES = 200


def _parse_dockerfile(source: reading.Source) -> object:
    from flylint.files import dockerfile  # imported only when there is a Dockerfile

    return dockerfile.parse(source)


def _parse_python(source: reading.Source) -> object:
    from flylint.files import python  # imported only when there is a Python file

    return python.parse(source)  # None for files the pre-check rules out


class Run:
    __slots__ = ("fly_tomls", "missing", "report")

    def __init__(self, missing: list[Path]) -> None:
        self.report = Report()
        self.missing = missing
        self.fly_tomls: dict[Path, bytes] = {}  # each linted fly.toml as read, for --fix


class _File(Record):
    """A file as this run saw it."""

    __slots__ = ("content", "digest", "known", "signature")

    def __init__(
        self,
        signature: cache.Signature | None,
        digest: bytes,
        content: bytes | None,
        known: cache.Entry | None = None,
    ) -> None:
        self.signature = signature  # None: an editor's buffer stands for the file
        self.digest = digest  # of the bytes; b"" when the cache is off, which hashes nothing
        self.content = content  # None: not read, the cache vouches for the digest
        self.known = known  # what the cache holds for the file, when it vouched for it


class _Files:
    """The files of one run, each read at most once: a file whose stat signature is the
    one the cache recorded with its digest is not read at all until its bytes are needed.
    ``overrides`` are unsaved editor buffers that stand for files, by resolved path."""

    def __init__(self, index: cache.Index, overrides: dict[str, bytes]) -> None:
        self.index = index
        self.overrides = overrides
        self._seen: dict[str, _File] = {}

    def get(
        self,
        path: Path,
        resolved: str,
        content: bool = False,
        status: os.stat_result | None = None,
    ) -> _File:
        """The file at ``path`` (``resolved``, ``status`` if already taken); with
        ``content``, its bytes too. Raises Unreadable."""
        seen = self._seen.get(resolved)
        if seen is None:
            seen = self._seen[resolved] = self._look(path, resolved, content, status)
        elif content and seen.content is None:
            seen = self._seen[resolved] = self._look(path, resolved, content, None)
        return seen

    def _look(
        self, path: Path, resolved: str, content: bool, status: os.stat_result | None
    ) -> _File:
        buffer = self.overrides.get(resolved) if self.overrides else None
        if buffer is not None:
            return _File(None, self._digest(buffer), buffer)
        signature = cache.signature(reading.status(path, status))
        if not content:
            known = self.index.entry(resolved)
            if known is not None and known.signature == signature:  # None: not trusted
                return _File(signature, known.digest, None, known)
        data = reading.read_checked(path)
        return _File(signature, self._digest(data), data)

    def _digest(self, data: bytes) -> bytes:
        return cache.digest(data) if self.index.enabled else b""


class _Job(Record):
    """A Dockerfile or Python file whose result is not in the cache."""

    __slots__ = ("file", "key", "target")

    def __init__(self, target: Target, file: _File, key: str) -> None:
        self.target = target
        self.file = file
        self.key = key


class _Store:
    """The run's results cache: each file's result in the cache index, under a key made of the
    file's digest and everything else the result depends on (``salt``)."""

    def __init__(self, index: cache.Index, files: _Files, salt: str) -> None:
        self.index = index
        self.files = files
        self.salt = salt

    def key(self, *parts: str | bytes) -> str:
        """The cache key of a result; "" when the cache is off, which hashes nothing."""
        return cache.key(self.salt, *parts) if self.index.enabled else ""

    def cached(self, target: Target, file: _File, key: str) -> FileResult | None:
        """The result of ``target`` under ``key``, if the cache holds it."""
        name = target.resolved
        known = file.known or self.index.entry(name)
        if known is None or known.key != key:
            return None
        result = decode(known.result, target.path)
        if result is not None and known.signature != file.signature:
            # Read again (touched since, or too recent to trust then): note what it is now.
            self.index.record(name, file.signature, file.digest, key, known.result)
        return result

    def record(self, target: Target, file: _File, key: str, result: FileResult) -> None:
        if self.index.enabled:
            self.index.record(target.resolved, file.signature, file.digest, key, encode(result))

    def lookup(self, target: Target) -> FileResult | Notice | _Job:
        """The cached result of a Dockerfile or Python file, or the job of computing it."""
        path, resolved = target.path, target.resolved
        try:
            file = self.files.get(path, resolved, status=target.status)
            key = self.key(target.kind.value, str(path), resolved, file.digest)
            result = self.cached(target, file, key)
            if result is not None:
                return result
            if file.content is None:  # the cache knew the bytes, not this result of them
                file = self.files.get(path, resolved, content=True)
                key = self.key(target.kind.value, str(path), resolved, file.digest)
        except reading.Unreadable as exc:
            return Notice(path, str(exc), error=exc.error)
        return _Job(target, file, key)


class _Linter:
    """Lints Dockerfiles and Python files. Holds nothing but what a result depends on,
    so that worker processes can share it."""

    def __init__(self, project: Project, owners: dict[str, App], selected: frozenset[str]) -> None:
        self.project = project
        self.owners = owners
        self.selected = selected
        self.known = tuple(rule_data.rules())
        self.checks: dict[FileKind, list[Callable]] = {}

    def run(self, job: _Job) -> FileResult | Notice:
        assert job.file.content is not None  # a job's file is always read
        try:
            return self._lint(job.target, job.file.content)
        except reading.Unreadable as exc:  # a Python file too large to analyse
            return Notice(job.target.path, str(exc), error=exc.error)
        except RecursionError:  # libcst walks a tree by recursion: "1 + 1 + ..." 500 times
            message = "skipped: expressions nested too deeply to analyse"
            return Notice(job.target.path, message, error=False)

    def _lint(self, target: Target, content: bytes) -> FileResult:
        resolved = target.resolved
        source = reading.decode(target.path, target.kind, content)
        if isinstance(source, Diagnostic):
            return FileResult(target.path, [source], [], [], [])
        marks, problems = suppressions.scan(target.path, source.text, self.known)
        if target.kind is FileKind.PYTHON:
            from flylint.repository import frameworks  # imported only when there is a Python file

            module = _parse_python(source)
            if module is None or isinstance(module, Diagnostic):
                return FileResult(target.path, [module] if module else [], problems, marks, [])
            hsts = frameworks.python_hsts(module)
            context: object = PythonContext(module, self.project.owner(resolved), self.project)
        else:
            dockerfile = _parse_dockerfile(source)
            if isinstance(dockerfile, Diagnostic):
                return FileResult(target.path, [dockerfile], problems, marks, [])
            hsts = []
            context = DockerfileContext(dockerfile, self.owners.get(resolved), self.project)
        if target.kind not in self.checks:
            # Rule modules of a kind are imported only when a file of that kind is linted.
            self.checks[target.kind] = selection.checks_for(target.kind, self.selected)
        found = [d for check in self.checks[target.kind] for d in check(context)]
        return FileResult(target.path, found, problems, marks, hsts)


_worker_linter: _Linter | None = None


def _adopt(linter: _Linter) -> None:
    global _worker_linter
    _worker_linter = linter


def _run_in_worker(job: _Job) -> FileResult | Notice:
    assert _worker_linter is not None
    return _worker_linter.run(job)


def _lint_all(
    linter: _Linter, store: _Store, targets: list[Target], jobs: int
) -> list[FileResult | Notice]:
    """Results in the order of ``targets`` whatever ``jobs`` is: output never depends on it.
    Cached results are read here; only the files to compute go to workers."""
    outcomes = [store.lookup(target) for target in targets]
    todo = [outcome for outcome in outcomes if isinstance(outcome, _Job)]
    computed = iter(_run_all(linter, todo, jobs))
    done: list[FileResult | Notice] = []
    for outcome in outcomes:
        if isinstance(outcome, _Job):
            job, outcome = outcome, next(computed)
            if isinstance(outcome, FileResult):
                store.record(job.target, job.file, job.key, outcome)
        done.append(outcome)
    return done


def _run_all(linter: _Linter, todo: list[_Job], jobs: int) -> list[FileResult | Notice]:
    if jobs > 1 and len(todo) >= PARALLEL_MIN_FILES:
        import multiprocessing

        # Forked workers inherit the linter; platforms without fork lint in one process.
        if "fork" in multiprocessing.get_all_start_methods():
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(
                jobs,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_adopt,
                initargs=(linter,),
            ) as pool:
                chunk = max(1, len(todo) // (jobs * 8))
                return list(pool.map(_run_in_worker, todo, chunksize=chunk))
    return [linter.run(job) for job in todo]


def _salt(selected: frozenset[str], settings: Config, project: Project) -> str:
    """Everything every file's result depends on besides its own bytes."""
    if cache.active().directory is None:
        return ""
    package = Path(__file__).parent.parent
    rules = rule_data.data_dir()
    folders = [package, *(p for p in package.iterdir() if p.is_dir())]
    parts = [
        # In a source checkout, editing code or rule data must not serve stale results.
        cache.tree_signature(*folders, rules, rules / "catalogs"),
        ",".join(sorted(selected)),
        repr(sorted(settings.allowlist)),
        repr([(p.id, p.description, p.regex.pattern) for p in settings.extra_patterns]),
        repr(sorted(project.also_own)),
    ]
    for app in project.apps:
        path = app.config.source.path
        parts += [str(path), str(path.resolve()), app.config.source.text, str(app.dockerfile_path)]
    return cache.key(*parts)


def _ignored(config: Config, path: Path) -> set[str]:
    return {rule for selector in config.ignored_for(path) for rule in selection.expand(selector)}


def _gather(
    paths: Iterable[Path], stdin: tuple[Path, bytes] | None
) -> tuple[Discovery, dict[str, bytes]]:
    """The files of the run, and the unsaved buffer that replaces one of them, if any."""
    if stdin is not None:
        name, content = stdin
        resolved = str(name.resolve())
        found = Discovery([Target(name, classify_explicit(name), resolved, explicit=True)])
        found.targets += context_configs(resolved)
        return found, {resolved: content}
    found = discover(paths)
    # Files named one by one (pre-commit passes only the changed ones) still belong to
    # the app of the fly.toml above them; the fly.toml files above a directory are the
    # same for all the files named in it.
    known = {t.resolved for t in found.targets}
    above: dict[str, list[str]] = {}
    directories: set[str] = set()
    for target in list(found.targets):
        if not target.explicit or target.kind is FileKind.FLY_TOML:
            continue
        directory = os.path.dirname(target.resolved)
        if directory in directories:
            continue
        directories.add(directory)
        for config in context_configs(target.resolved, above):
            if config.resolved not in known:
                known.add(config.resolved)
                found.targets.append(config)
    return found, {}


def _attach_dockerfiles(
    apps: list[tuple[App, bool]], report: Report, targets: list[Target]
) -> dict[str, App]:
    """Add each app's Dockerfile to the files to lint when its fly.toml was found in a
    directory walk, whatever the Dockerfile's name. Returns the app that owns each."""
    linted = {t.resolved for t in targets if t.kind is FileKind.DOCKERFILE}
    owners: dict[str, App] = {}
    for app, explicit in apps:
        path = app.dockerfile_path
        if path is None:
            continue
        if not path.exists():
            # Named explicitly (pre-commit, editors), a fly.toml is linted alone.
            if not explicit:
                message = f"[build] dockerfile names {path}, which does not exist"
                report.notices.append(Notice(app.config.source.path, message))
            continue
        resolved = str(path.resolve())
        owners.setdefault(resolved, app)
        if not explicit and resolved not in linted:
            linted.add(resolved)
            targets.append(Target(path, FileKind.DOCKERFILE, resolved))
    return owners


class _FlyToml:
    """A linted fly.toml whose rules wait for the app map and the app's code."""

    __slots__ = ("app", "content", "file", "target")

    def __init__(self, target: Target, app: App, file: _File, content: bytes) -> None:
        self.target = target
        self.app = app
        self.file = file
        self.content = content


def _read_apps(
    targets: list[Target], report: Report, files: _Files, known: tuple[str, ...]
) -> tuple[list[tuple[App, bool]], list[_FlyToml], list[FileResult]]:
    """Every fly.toml of the run parsed into an app (and whether it was named explicitly);
    the linted ones; the results of linted ones that do not parse."""
    apps: list[tuple[App, bool]] = []
    pending: list[_FlyToml] = []
    broken: list[FileResult] = []
    for target in targets:
        if target.kind is not FileKind.FLY_TOML:
            continue
        linted = not target.context
        try:
            file = files.get(target.path, target.resolved, content=True, status=target.status)
        except reading.Unreadable as exc:
            if linted:
                report.notices.append(Notice(target.path, str(exc), error=exc.error))
            continue
        content = file.content
        assert content is not None  # get(content=True) reads the file
        if linted:
            report.files_checked += 1
        source = reading.decode(target.path, target.kind, content)
        if isinstance(source, Diagnostic):
            if linted:
                broken.append(FileResult(target.path, [source], [], [], []))
            continue
        config = _parse_fly_toml(source, file, target.resolved, files.index)
        if isinstance(config, Diagnostic):
            if linted:
                marks, problems = suppressions.scan(target.path, source.text, known)
                broken.append(FileResult(target.path, [config], problems, marks, []))
            continue
        from flylint.repository import frameworks  # a run without a fly.toml never imports it

        app = App(config, frameworks.hsts_settings(config.source.path.parent))
        apps.append((app, target.explicit))
        if linted:
            pending.append(_FlyToml(target, app, file, content))
    return apps, pending, broken


def _parse_fly_toml(
    source: reading.Source, file: _File, resolved: str, index: cache.Index
) -> FlyConfig | Diagnostic:
    """The fly.toml in ``source``: the document the cache kept of these bytes, else parsed
    (and kept)."""
    from flylint.files import fly_toml  # a run without a fly.toml never imports it

    document = index.document(resolved, file.digest)
    if document is not None:
        return fly_toml.FlyConfig(source, document)
    config = fly_toml.parse(source)
    if not isinstance(config, Diagnostic):
        index.keep_document(resolved, file.digest, config.data)
    return config


def _dockerfile(path: Path | None, files: _Files, content: bool) -> tuple[bytes, bytes | None]:
    """What a fly.toml's result depends on of the Dockerfile at ``path``, which it builds
    with: its digest, or a mark that there is none or that it cannot be read; and with
    ``content``, its bytes."""
    if path is None:
        return b"", None
    try:
        file = files.get(path, str(resolve(path)), content)
    except reading.Unreadable:
        return b"\0unreadable", None
    return file.digest, file.content


def _lint_fly_toml(
    item: _FlyToml,
    project: Project,
    selected: frozenset[str],
    store: _Store,
    known: tuple[str, ...],
) -> FileResult:
    app, target = item.app, item.target
    dockerfile_path = app.dockerfile_path

    def key(dockerfile: bytes) -> str:
        return store.key(
            "fly-toml", str(target.path), str(target.resolved), item.file.digest,
            repr(app.code_hsts), dockerfile,
        )  # fmt: skip

    digest, _ = _dockerfile(dockerfile_path, store.files, content=False)
    result = store.cached(target, item.file, key(digest))
    if result is not None:
        return result
    mark, dockerfile_bytes = _dockerfile(dockerfile_path, store.files, content=True)
    if dockerfile_bytes and dockerfile_path is not None:
        source = reading.decode(dockerfile_path, FileKind.DOCKERFILE, dockerfile_bytes)
        parsed = source if isinstance(source, Diagnostic) else _parse_dockerfile(source)
        app.dockerfile = None if isinstance(parsed, Diagnostic) else parsed  # type: ignore[assignment]
    context = FlyTomlContext(app.config, app, project)
    checks = selection.checks_for(FileKind.FLY_TOML, selected)
    found = [d for check in checks for d in check(context)]
    marks, problems = suppressions.scan(target.path, app.config.source.text, known)
    result = FileResult(target.path, found, problems, marks, [])
    store.record(target, item.file, key(mark), result)
    return result


def lint(
    paths: Iterable[Path],
    selected: frozenset[str],
    stdin: tuple[Path, bytes] | None = None,
    settings: Config | None = None,
    jobs: int = 1,
) -> Run:
    """Lint ``paths``; or, with ``stdin`` (a name and the bytes of an unsaved buffer), lint
    that buffer as if it were the named file, with the fly.toml files above it as context.
    ``jobs`` > 1 lints many Dockerfiles and Python files in that many processes."""
    settings = settings or Config()
    # First: the index's clock starts before any file of the run is looked at.
    index = cache.active().index(editor=stdin is not None)
    found, overrides = _gather(paths, stdin)
    files = _Files(index, overrides)
    run = Run(found.missing)
    report = run.report
    report.notices.extend(found.notices)
    known = tuple(rule_data.rules())

    targets = list(found.targets)
    apps, pending, results = _read_apps(targets, report, files, known)
    project = Project([app for app, _ in apps], settings.own_apps)
    owners = _attach_dockerfiles(apps, report, targets)
    store = _Store(index, files, _salt(selected, settings, project))

    others = [t for t in targets if t.kind in (FileKind.DOCKERFILE, FileKind.PYTHON)]
    linter = _Linter(project, owners, selected)
    for target, outcome in zip(others, _lint_all(linter, store, others, jobs), strict=True):
        if isinstance(outcome, Notice):
            report.notices.append(outcome)
            continue
        report.files_checked += 1
        results.append(outcome)
        if outcome.hsts:
            owner = project.owner(target.resolved)
            if owner is not None:
                owner.code_hsts.extend(outcome.hsts)
    results += [_lint_fly_toml(item, project, selected, store, known) for item in pending]
    run.fly_tomls = {item.target.path: item.content for item in pending}
    index.save()

    marks = {result.path: result.marks for result in results if result.marks}
    kept, suppressed = suppressions.apply(
        [d for result in results for d in result.diagnostics], marks
    )
    kept += [d for result in results for d in result.problems]
    if settings.per_file_ignores:
        kept = [d for d in kept if d.rule_id not in _ignored(settings, d.path)]
    report.diagnostics = sorted((d for d in kept if d.rule_id in selected), key=Diagnostic.sort_key)
    report.suppressed = sorted(
        (d for d in suppressed if d.rule_id in selected), key=Diagnostic.sort_key
    )
    return run
