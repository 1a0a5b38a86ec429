"""One lint run: discover files, read and parse them, build the app map, run the rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flylint import flytoml, frameworks, registry, sources
from flylint.apps import App, Project
from flylint.context import FlyTomlContext
from flylint.discovery import discover
from flylint.flytoml import FlyConfig
from flylint.model import Diagnostic, FileKind, Notice, Report


@dataclass(slots=True)
class Run:
    report: Report = field(default_factory=Report)
    missing: list[Path] = field(default_factory=list)


def lint(paths: Iterable[Path], selected: frozenset[str]) -> Run:
    found = discover(paths)
    run = Run(missing=found.missing)
    report = run.report
    report.notices.extend(found.notices)

    configs: list[FlyConfig] = []
    for target in found.targets:
        if target.kind is not FileKind.FLY_TOML:
            # Dockerfile and Python rules join the run as they are written (issues 3 and 4).
            continue
        try:
            source = sources.read(target.path, target.kind)
        except sources.Unreadable as exc:
            report.notices.append(Notice(target.path, str(exc), error=exc.error))
            continue
        report.files_checked += 1
        parsed = source if isinstance(source, Diagnostic) else flytoml.parse(source)
        if isinstance(parsed, Diagnostic):
            report.diagnostics.append(parsed)
        else:
            configs.append(parsed)

    project = Project(
        [App(config, frameworks.hsts_settings(config.source.path.parent)) for config in configs]
    )
    checks = registry.checks_for(FileKind.FLY_TOML, selected)
    for app in project.apps:
        context = FlyTomlContext(app.config, app, project)
        for check in checks:
            report.diagnostics.extend(check(context))

    report.diagnostics = sorted(
        (d for d in report.diagnostics if d.rule_id in selected), key=Diagnostic.sort_key
    )
    return run
