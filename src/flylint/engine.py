"""One lint run: discover the files, build the app map, lint each file, apply suppressions.

A file's result depends only on its bytes, the app map (every fly.toml of the run), the
rule selection and the settings; a fly.toml's also on the HSTS its app's code sets and on
the Dockerfile it builds with. Results are cached under a key made of exactly those, and
Dockerfiles and Python files are linted in worker processes when there are enough of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from flylint import cache, data, flytoml, frameworks, registry, sources, suppressions
from flylint.apps import App, Project
from flylint.config import Config
from flylint.context import DockerfileContext, FlyTomlContext, PythonContext
from flylint.discovery import Discovery, Target, classify_explicit, context_configs, discover
from flylint.model import Diagnostic, FileKind, Notice, Report
from flylint.results import FileResult, decode, encode

# Below this many Dockerfiles and Python files, starting workers costs more than it saves.
PARALLEL_MIN_FILES = 200


def _parse_dockerfile(source: sources.Source) -> object:
    from flylint import dockerfile  # imported only when there is a Dockerfile

    return dockerfile.parse(source)


def _parse_python(source: sources.Source) -> object:
    from flylint import python_source  # imported only when there is a Python file

    return python_source.parse(source)  # None for files the pre-check rules out


class Run:
    __slots__ = ("fly_tomls", "missing", "report")

    def __init__(self, missing: list[Path]) -> None:
        self.report = Report()
        self.missing = missing
        self.fly_tomls: dict[Path, bytes] = {}  # each linted fly.toml as read, for --fix


def _read(path: Path, overrides: dict[Path, bytes]) -> bytes:
    """The bytes of ``path``, or of the unsaved editor buffer that stands for it."""
    if overrides:
        buffer = overrides.get(path.resolve())
        if buffer is not None:
            return buffer
    return sources.read_bytes(path)


def _key(*parts: str | bytes) -> str:
    """The cache key of a result; "" when the cache is off, which hashes nothing."""
    return cache.key(*parts) if cache.active().directory is not None else ""


class _Job(NamedTuple):
    """A Dockerfile or Python file whose result is not in the cache."""

    target: Target
    content: bytes
    key: str


class _Linter:
    """Lints Dockerfiles and Python files. Holds nothing but what a result depends on,
    so that worker processes can share it."""

    def __init__(
        self,
        project: Project,
        owners: dict[Path, App],
        selected: frozenset[str],
        salt: str,
        overrides: dict[Path, bytes],
    ) -> None:
        self.project = project
        self.owners = owners
        self.selected = selected
        self.salt = salt
        self.overrides = overrides
        self.store = cache.active()
        self.known = tuple(data.rules())
        self.checks: dict[FileKind, list[Callable]] = {}

    def lookup(self, target: Target) -> FileResult | Notice | _Job:
        """The cached result, or the job of computing it."""
        try:
            content = _read(target.path, self.overrides)
        except sources.Unreadable as exc:
            return Notice(target.path, str(exc), error=exc.error)
        key = _key(self.salt, target.kind.value, str(target.path), str(target.resolved), content)
        result = decode(self.store.get(key))
        return _Job(target, content, key) if result is None else result

    def run(self, job: _Job) -> FileResult | Notice:
        try:
            result = self._lint(job.target, job.content)
        except sources.Unreadable as exc:  # a Python file too large to analyse
            return Notice(job.target.path, str(exc), error=exc.error)
        self.store.put(job.key, encode(result))
        return result

    def _lint(self, target: Target, content: bytes) -> FileResult:
        resolved = target.resolved
        source = sources.decode(target.path, target.kind, content)
        if isinstance(source, Diagnostic):
            return FileResult(target.path, [source], [], [], [])
        marks, problems = suppressions.scan(target.path, source.text, self.known)
        if target.kind is FileKind.PYTHON:
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
            self.checks[target.kind] = registry.checks_for(target.kind, self.selected)
        found = [d for check in self.checks[target.kind] for d in check(context)]
        return FileResult(target.path, found, problems, marks, hsts)


_worker_linter: _Linter | None = None


def _adopt(linter: _Linter) -> None:
    global _worker_linter
    _worker_linter = linter


def _run_in_worker(job: _Job) -> FileResult | Notice:
    assert _worker_linter is not None
    return _worker_linter.run(job)


def _lint_all(linter: _Linter, targets: list[Target], jobs: int) -> list[FileResult | Notice]:
    """Results in the order of ``targets`` whatever ``jobs`` is: output never depends on it.
    Cached results are read here; only the files to compute go to workers."""
    outcomes = [linter.lookup(target) for target in targets]
    todo = [outcome for outcome in outcomes if isinstance(outcome, _Job)]
    computed = iter(_run_all(linter, todo, jobs))
    return [next(computed) if isinstance(o, _Job) else o for o in outcomes]


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
    package = Path(__file__).parent
    rules = data.data_dir()
    parts = [
        # In a source checkout, editing code or rule data must not serve stale results.
        cache.tree_signature(package, package / "checks", rules, rules / "catalogs"),
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
    return {rule for selector in config.ignored_for(path) for rule in registry.expand(selector)}


def _gather(
    paths: Iterable[Path], stdin: tuple[Path, bytes] | None
) -> tuple[Discovery, dict[Path, bytes]]:
    """The files of the run, and the unsaved buffer that replaces one of them, if any."""
    if stdin is not None:
        name, content = stdin
        resolved = name.resolve()
        found = Discovery([Target(name, classify_explicit(name), resolved, explicit=True)])
        found.targets += context_configs(resolved)
        return found, {resolved: content}
    found = discover(paths)
    # Files named one by one (pre-commit passes only the changed ones) still belong to
    # the app of the fly.toml above them.
    known = {t.resolved for t in found.targets}
    above: dict[Path, list[Path]] = {}
    for target in list(found.targets):
        if target.explicit and target.kind is not FileKind.FLY_TOML:
            for config in context_configs(target.resolved, above):
                if config.resolved not in known:
                    known.add(config.resolved)
                    found.targets.append(config)
    return found, {}


def _attach_dockerfiles(
    apps: list[tuple[App, bool]], report: Report, targets: list[Target]
) -> dict[Path, App]:
    """Add each app's Dockerfile to the files to lint when its fly.toml was found in a
    directory walk, whatever the Dockerfile's name. Returns the app that owns each."""
    linted = {t.resolved for t in targets if t.kind is FileKind.DOCKERFILE}
    owners: dict[Path, App] = {}
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
        resolved = path.resolve()
        owners.setdefault(resolved, app)
        if not explicit and resolved not in linted:
            linted.add(resolved)
            targets.append(Target(path, FileKind.DOCKERFILE, resolved))
    return owners


class _FlyToml:
    """A linted fly.toml whose rules wait for the app map and the app's code."""

    __slots__ = ("app", "content", "marks", "problems")

    def __init__(self, app: App, content: bytes, scanned: tuple[list, list[Diagnostic]]) -> None:
        self.app = app
        self.content = content
        self.marks, self.problems = scanned


def _read_apps(
    targets: list[Target], report: Report, overrides: dict[Path, bytes], known: tuple[str, ...]
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
            content = _read(target.path, overrides)
        except sources.Unreadable as exc:
            if linted:
                report.notices.append(Notice(target.path, str(exc), error=exc.error))
            continue
        if linted:
            report.files_checked += 1
        source = sources.decode(target.path, target.kind, content)
        if isinstance(source, Diagnostic):
            if linted:
                broken.append(FileResult(target.path, [source], [], [], []))
            continue
        scanned = suppressions.scan(target.path, source.text, known) if linted else ([], [])
        config = flytoml.parse(source)
        if isinstance(config, Diagnostic):
            if linted:
                broken.append(FileResult(target.path, [config], scanned[1], scanned[0], []))
            continue
        app = App(config, frameworks.hsts_settings(config.source.path.parent))
        apps.append((app, target.explicit))
        if linted:
            pending.append(_FlyToml(app, content, scanned))
    return apps, pending, broken


def _lint_fly_toml(
    item: _FlyToml, project: Project, selected: frozenset[str], salt: str, overrides: dict
) -> FileResult:
    app = item.app
    dockerfile_path = app.dockerfile_path
    try:
        dockerfile_bytes = _read(dockerfile_path, overrides) if dockerfile_path else b""
    except sources.Unreadable:
        dockerfile_bytes = b"\0unreadable"
    path = app.config.source.path
    store = cache.active()
    key = _key(
        salt, "fly-toml", str(path), str(path.resolve()), item.content,
        repr(app.code_hsts), dockerfile_bytes,
    )  # fmt: skip
    result = decode(store.get(key))
    if result is not None:
        return result
    if dockerfile_bytes and dockerfile_path is not None:
        source = sources.decode(dockerfile_path, FileKind.DOCKERFILE, dockerfile_bytes)
        parsed = source if isinstance(source, Diagnostic) else _parse_dockerfile(source)
        app.dockerfile = None if isinstance(parsed, Diagnostic) else parsed  # type: ignore[assignment]
    context = FlyTomlContext(app.config, app, project)
    checks = registry.checks_for(FileKind.FLY_TOML, selected)
    found = [d for check in checks for d in check(context)]
    result = FileResult(path, found, item.problems, item.marks, [])
    store.put(key, encode(result))
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
    found, overrides = _gather(paths, stdin)
    run = Run(found.missing)
    report = run.report
    report.notices.extend(found.notices)
    known = tuple(data.rules())

    targets = list(found.targets)
    apps, pending, results = _read_apps(targets, report, overrides, known)
    project = Project([app for app, _ in apps], settings.own_apps)
    owners = _attach_dockerfiles(apps, report, targets)
    salt = _salt(selected, settings, project)

    others = [t for t in targets if t.kind in (FileKind.DOCKERFILE, FileKind.PYTHON)]
    linter = _Linter(project, owners, selected, salt, overrides)
    for target, outcome in zip(others, _lint_all(linter, others, jobs), strict=True):
        if isinstance(outcome, Notice):
            report.notices.append(outcome)
            continue
        report.files_checked += 1
        results.append(outcome)
        if outcome.hsts:
            owner = project.owner(target.resolved)
            if owner is not None:
                owner.code_hsts.extend(outcome.hsts)
    results += [_lint_fly_toml(item, project, selected, salt, overrides) for item in pending]
    run.fly_tomls = {item.app.config.source.path: item.content for item in pending}

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
