"""One lint run: discover files, read and parse them, build the app map, run the rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flylint import data, flytoml, frameworks, registry, sources, suppressions
from flylint.apps import App, Project
from flylint.config import Config
from flylint.context import DockerfileContext, FlyTomlContext, PythonContext
from flylint.discovery import Discovery, Target, classify_explicit, context_configs, discover
from flylint.model import Diagnostic, FileKind, Notice, Report


def _parse_dockerfile(source: sources.Source) -> object:
    from flylint import dockerfile  # imported only when there is a Dockerfile

    return dockerfile.parse(source)


def _parse_python(source: sources.Source) -> object:
    from flylint import python_source  # imported only when there is a Python file

    return python_source.parse(source)  # None for files the pre-check rules out


_PARSERS: dict[FileKind, Callable] = {
    FileKind.FLY_TOML: flytoml.parse,
    FileKind.DOCKERFILE: _parse_dockerfile,
    FileKind.PYTHON: _parse_python,
}


@dataclass(slots=True)
class Run:
    report: Report = field(default_factory=Report)
    missing: list[Path] = field(default_factory=list)


class _Files:
    """Reads and parses each file once, whether it is linted or only consulted."""

    def __init__(self, report: Report, overrides: dict[Path, bytes]) -> None:
        self.report = report
        self.parsed: dict[Path, object] = {}
        self.linted: list[Path] = []
        self.overrides = overrides  # unsaved editor buffers, by resolved path

    def parse(self, path: Path, kind: FileKind, *, lint: bool) -> object | None:
        """The parsed file, or None when it cannot be; when ``lint``, its FLY000 or its
        read failure joins the report."""
        key = path.resolve()
        if key not in self.parsed:
            try:
                if key in self.overrides:
                    source = sources.decode(path, kind, self.overrides[key])
                else:
                    source = sources.read(path, kind)
                parse = _PARSERS[kind]
                self.parsed[key] = source if isinstance(source, Diagnostic) else parse(source)
            except sources.Unreadable as exc:
                self.parsed[key] = exc
        result = self.parsed[key]
        if isinstance(result, sources.Unreadable):
            if lint:
                self.report.notices.append(Notice(path, str(result), error=result.error))
            return None
        if lint:
            self.linted.append(key)
            self.report.files_checked += 1
            if isinstance(result, Diagnostic):
                self.report.diagnostics.append(result)
        return None if isinstance(result, Diagnostic) else result


def _ignored(config: Config, path: Path) -> set[str]:
    return {rule for selector in config.ignored_for(path) for rule in registry.expand(selector)}


def _gather(
    paths: Iterable[Path], stdin: tuple[Path, bytes] | None
) -> tuple[Discovery, dict[Path, bytes]]:
    """The files of the run, and the unsaved buffer that replaces one of them, if any."""
    if stdin is not None:
        name, content = stdin
        found = Discovery(targets=[Target(name, classify_explicit(name), explicit=True)])
        found.targets += context_configs(name)
        return found, {name.resolve(): content}
    found = discover(paths)
    # Files named one by one (pre-commit passes only the changed ones) still belong to
    # the app of the fly.toml above them.
    known = {t.path.resolve() for t in found.targets}
    listings: dict[Path, list[str]] = {}
    for target in list(found.targets):
        if target.explicit and target.kind is not FileKind.FLY_TOML:
            for config in context_configs(target.path, listings):
                if config.path.resolve() not in known:
                    known.add(config.path.resolve())
                    found.targets.append(config)
    return found, {}


def _attach_dockerfiles(
    apps: list[tuple[App, bool]], files: _Files, targets: list[Target]
) -> dict[Path, App]:
    """Give each app its Dockerfile, consulted for FLY301, and add it to the files to lint
    when its fly.toml was found in a directory walk, whatever the Dockerfile's name.
    Returns the app that owns each Dockerfile."""
    linted = {t.path.resolve() for t in targets if t.kind is FileKind.DOCKERFILE}
    owners: dict[Path, App] = {}
    for app, explicit in apps:
        path = app.dockerfile_path
        if path is None:
            continue
        if not path.exists():
            # Named explicitly (pre-commit, editors), a fly.toml is linted alone.
            if not explicit:
                message = f"[build] dockerfile names {path}, which does not exist"
                files.report.notices.append(Notice(app.config.source.path, message))
            continue
        app.dockerfile = files.parse(path, FileKind.DOCKERFILE, lint=False)
        owners.setdefault(path.resolve(), app)
        if not explicit and path.resolve() not in linted:
            linted.add(path.resolve())
            targets.append(Target(path, FileKind.DOCKERFILE))
    return owners


def lint(
    paths: Iterable[Path],
    selected: frozenset[str],
    stdin: tuple[Path, bytes] | None = None,
    settings: Config | None = None,
) -> Run:
    """Lint ``paths``; or, with ``stdin`` (a name and the bytes of an unsaved buffer), lint
    that buffer as if it were the named file, with the fly.toml files above it as context."""
    found, overrides = _gather(paths, stdin)
    run = Run(missing=found.missing)
    report = run.report
    report.notices.extend(found.notices)
    files = _Files(report, overrides)

    targets = [t for t in found.targets if t.kind in _PARSERS]
    apps: list[tuple[App, bool]] = []  # each app, and whether its fly.toml was named explicitly
    linted_apps: list[App] = []
    for target in targets:
        if target.kind is FileKind.FLY_TOML:
            config = files.parse(target.path, target.kind, lint=not target.context)
            if config is not None:
                hsts = frameworks.hsts_settings(config.source.path.parent)
                app = App(config, hsts)
                apps.append((app, target.explicit))
                if not target.context:
                    linted_apps.append(app)
    settings = settings or Config()
    project = Project([app for app, _ in apps], settings.own_apps)

    owners = _attach_dockerfiles(apps, files, targets)

    # Every linted file is read and parsed once, here; the checks below reuse the result.
    parsed = {
        t.path: files.parse(t.path, t.kind, lint=True)
        for t in targets
        if t.kind is not FileKind.FLY_TOML
    }
    for target in targets:
        module = parsed.get(target.path)
        if target.kind is FileKind.PYTHON and module is not None:
            owner = project.owner(target.path)
            if owner is not None:
                owner.code_hsts.extend(frameworks.python_hsts(module))

    for check in registry.checks_for(FileKind.FLY_TOML, selected):
        for app in linted_apps:
            report.diagnostics.extend(check(FlyTomlContext(app.config, app, project)))

    contexts: dict[FileKind, Callable[[Any, Path], Any]] = {
        FileKind.DOCKERFILE: lambda parsed, path: DockerfileContext(
            parsed, owners.get(path.resolve()), project
        ),
        FileKind.PYTHON: lambda parsed, path: PythonContext(parsed, project.owner(path), project),
    }
    for kind, make_context in contexts.items():
        ready = [t for t in targets if t.kind is kind and parsed[t.path] is not None]
        # Rule modules of a kind are imported only when a file of that kind is linted.
        checks = registry.checks_for(kind, selected) if ready else []
        for target in ready:
            context = make_context(parsed[target.path], target.path)
            for check in checks:
                report.diagnostics.extend(check(context))

    texts = {
        result.source.path: result.source.text
        for result in (files.parsed[key] for key in files.linted)
        if hasattr(result, "source")
    }
    kept, suppressed = suppressions.apply(report.diagnostics, texts, data.rules())
    if settings.per_file_ignores:
        kept = [d for d in kept if d.rule_id not in _ignored(settings, d.path)]
    report.diagnostics = sorted((d for d in kept if d.rule_id in selected), key=Diagnostic.sort_key)
    report.suppressed = sorted(
        (d for d in suppressed if d.rule_id in selected), key=Diagnostic.sort_key
    )
    return run
