"""What a rule sees while it checks one file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flylint.model import Diagnostic, Span

if TYPE_CHECKING:  # a fly.toml-only run never imports the Dockerfile and Python modules
    from flylint.apps import App, Project
    from flylint.dockerfile import Dockerfile
    from flylint.flytoml import FlyConfig
    from flylint.python_source import PythonModule


@dataclass(frozen=True, slots=True)
class FlyTomlContext:
    config: FlyConfig
    app: App
    project: Project

    def diagnostic(
        self, rule_id: str, span: Span, message: str, anchor: str, precision: str | None = None
    ) -> Diagnostic:
        return Diagnostic(rule_id, self.config.source.path, span, message, anchor, precision)


@dataclass(frozen=True, slots=True)
class DockerfileContext:
    dockerfile: Dockerfile
    app: App | None  # the app whose fly.toml builds with this Dockerfile, if any
    project: Project

    def diagnostic(
        self, rule_id: str, span: Span, message: str, anchor: str, precision: str | None = None
    ) -> Diagnostic:
        return Diagnostic(rule_id, self.dockerfile.source.path, span, message, anchor, precision)


@dataclass(frozen=True, slots=True)
class PythonContext:
    module: PythonModule
    app: App | None  # the app whose directory holds the file (nearest fly.toml up the tree)
    project: Project

    def diagnostic(
        self, rule_id: str, span: Span, message: str, anchor: str, precision: str | None = None
    ) -> Diagnostic:
        return Diagnostic(rule_id, self.module.source.path, span, message, anchor, precision)
