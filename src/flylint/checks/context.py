"""What a rule sees while it checks one file: the parsed file, the app it belongs to, the
repository around it, the facts of that app and the configuration of the file."""

from __future__ import annotations

import os
from pathlib import Path

from flylint.diagnostics import Diagnostic, Edit, Related, Span

TYPE_CHECKING = False
if TYPE_CHECKING:  # a fly.toml-only run never imports the Dockerfile and Python modules
    from flylint.files.dockerfile import Dockerfile
    from flylint.files.fly_toml import FlyConfig
    from flylint.files.python import PythonModule
    from flylint.repository.apps import App, Repository
    from flylint.repository.facts import Fact
    from flylint.repository.settings import Config


class Context:
    """Builds the diagnostics of the file a context is about."""

    __slots__ = ("app", "apps", "repository", "settings")

    def __init__(self, apps: list[App], repository: Repository, settings: Config) -> None:
        self.apps = apps  # the apps the file belongs to, the nearest first
        self.app = apps[0] if apps else None
        self.repository = repository
        self.settings = settings  # the configuration that applies to the file

    @property
    def path(self) -> Path:
        raise NotImplementedError

    def is_own(self, name: str) -> bool:
        """Whether ``name`` (a fly.dev app name) is an app this file belongs to, or one the
        configuration names as its own."""
        return name in self.settings.own_apps or any(
            name == (app.name or "").lower() for app in self.apps
        )

    def facts(self, name: str) -> list[Fact]:
        """The rows of the fact ``name`` (declared in the rule module's ``FACTS``) in the
        files the file's app ships."""
        return self.repository.facts(self.app, name) if self.app is not None else []

    def named(self, fact: Fact) -> str:
        """The file a fact came from as a message names it: relative to the repository
        root, however flylint was run (a walk, a named file, the editor)."""
        return os.path.relpath(fact.resolved, self.repository.root).replace(os.sep, "/")

    def diagnostic(
        self,
        rule_id: str,
        span: Span,
        message: str,
        anchor: str,
        confidence: str | None = None,
        fix: Edit | None = None,
        related: tuple[Related, ...] = (),
    ) -> Diagnostic:
        return Diagnostic(rule_id, self.path, span, message, anchor, confidence, fix, related)


class FlyTomlContext(Context):
    __slots__ = ("config",)

    def __init__(
        self, config: FlyConfig, app: App, repository: Repository, settings: Config
    ) -> None:
        super().__init__([app], repository, settings)
        self.config = config

    @property
    def path(self) -> Path:
        return self.config.source.path


class DockerfileContext(Context):
    """``apps``: those whose config builds with this Dockerfile."""

    __slots__ = ("dockerfile",)

    def __init__(
        self, dockerfile: Dockerfile, apps: list[App], repository: Repository, settings: Config
    ) -> None:
        super().__init__(apps, repository, settings)
        self.dockerfile = dockerfile

    @property
    def path(self) -> Path:
        return self.dockerfile.source.path


class PythonContext(Context):
    """``apps``: those that ship the module (see ``Repository.shippers``); none for code no
    app ships."""

    __slots__ = ("module",)

    def __init__(
        self, module: PythonModule, apps: list[App], repository: Repository, settings: Config
    ) -> None:
        super().__init__(apps, repository, settings)
        self.module = module

    @property
    def path(self) -> Path:
        return self.module.source.path
