"""What a rule sees while it checks one file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flylint.model import Diagnostic, Span

if TYPE_CHECKING:  # a fly.toml-only run never imports the Dockerfile and Python modules
    from flylint.apps import App, Project
    from flylint.dockerfile import Dockerfile
    from flylint.flytoml import FlyConfig
    from flylint.python_source import PythonModule


class _Reporting:
    """Builds the diagnostics of the file a context is about."""

    __slots__ = ()

    @property
    def path(self) -> Path:
        raise NotImplementedError

    def diagnostic(
        self, rule_id: str, span: Span, message: str, anchor: str, precision: str | None = None
    ) -> Diagnostic:
        return Diagnostic(rule_id, self.path, span, message, anchor, precision)


@dataclass(frozen=True, slots=True)
class FlyTomlContext(_Reporting):
    config: FlyConfig
    app: App
    project: Project

    @property
    def path(self) -> Path:
        return self.config.source.path


@dataclass(frozen=True, slots=True)
class DockerfileContext(_Reporting):
    dockerfile: Dockerfile
    app: App | None  # the app whose fly.toml builds with this Dockerfile, if any
    project: Project

    @property
    def path(self) -> Path:
        return self.dockerfile.source.path


@dataclass(frozen=True, slots=True)
class PythonContext(_Reporting):
    module: PythonModule
    app: App | None  # the app whose directory holds the file (nearest fly.toml up the tree)
    project: Project

    @property
    def path(self) -> Path:
        return self.module.source.path
