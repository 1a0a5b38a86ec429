"""What a rule sees while it checks one file."""

from __future__ import annotations

from pathlib import Path

from flylint.diagnostics import Diagnostic, Edit, Span

TYPE_CHECKING = False
if TYPE_CHECKING:  # a fly.toml-only run never imports the Dockerfile and Python modules
    from flylint.files.dockerfile import Dockerfile
    from flylint.files.fly_toml import FlyConfig
    from flylint.files.python import PythonModule
    from flylint.repository.apps import App, Project


class _Reporting:
    """Builds the diagnostics of the file a context is about."""

    __slots__ = ()

    @property
    def path(self) -> Path:
        raise NotImplementedError

    def diagnostic(
        self,
        rule_id: str,
        span: Span,
        message: str,
        anchor: str,
        precision: str | None = None,
        fix: Edit | None = None,
    ) -> Diagnostic:
        return Diagnostic(rule_id, self.path, span, message, anchor, precision, fix)


class FlyTomlContext(_Reporting):
    __slots__ = ("app", "config", "project")

    def __init__(self, config: FlyConfig, app: App, project: Project) -> None:
        self.config = config
        self.app = app
        self.project = project

    @property
    def path(self) -> Path:
        return self.config.source.path


class DockerfileContext(_Reporting):
    __slots__ = ("app", "dockerfile", "project")

    def __init__(self, dockerfile: Dockerfile, app: App | None, project: Project) -> None:
        self.dockerfile = dockerfile
        self.app = app  # the app whose fly.toml builds with this Dockerfile, if any
        self.project = project

    @property
    def path(self) -> Path:
        return self.dockerfile.source.path


class PythonContext(_Reporting):
    __slots__ = ("app", "module", "project")

    def __init__(self, module: PythonModule, app: App | None, project: Project) -> None:
        self.module = module
        self.app = app  # the app whose directory holds the file (nearest fly.toml up the tree)
        self.project = project

    @property
    def path(self) -> Path:
        return self.module.source.path
