"""The app map: each fly.toml is an app; a repository may hold several (a monorepo)."""

from __future__ import annotations

import os
from pathlib import Path

from flylint.diagnostics import Span
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from flylint.files.dockerfile import Dockerfile
    from flylint.files.fly_toml import FlyConfig


class HstsSetting(Record):
    """HSTS as the app's code or framework sets it (Rails and Phoenix ``force_ssl``; Django,
    Talisman, a middleware), for FLY202/FLY203."""

    __slots__ = ("label", "max_age", "path", "span")

    def __init__(self, path: Path, span: Span, max_age: int | None, label: str) -> None:
        self.path = path
        self.span = span
        self.max_age = max_age  # 0: explicitly turned off; None: set, max-age not known statically
        self.label = label  # what sets it, for messages: "SECURE_HSTS_SECONDS", "Talisman(...)"


class App:
    __slots__ = ("code_hsts", "config", "dockerfile")

    def __init__(self, config: FlyConfig, code_hsts: list[HstsSetting]) -> None:
        self.config = config
        # HSTS that code analysers found in the app's own source; fly.toml rules consult it.
        self.code_hsts = code_hsts
        self.dockerfile: Dockerfile | None = None  # the Dockerfile it builds with, when read

    @property
    def name(self) -> str | None:
        return self.config.app_name

    @property
    def directory(self) -> Path:
        return self.config.source.path.parent

    @property
    def dockerfile_path(self) -> Path | None:
        """The Dockerfile flyctl builds with: ``[build] dockerfile``, else the ``Dockerfile``
        beside fly.toml, unless the app deploys a prebuilt ``[build] image``."""
        build = self.config.table("build")
        named = build.get("dockerfile")
        if isinstance(named, str) and named.strip():
            return self.directory / named.strip()
        if isinstance(build.get("image"), str) or build.get("builder") or build.get("buildpacks"):
            return None
        beside = self.directory / "Dockerfile"
        return beside if beside.is_file() else None

    @property
    def internal_port(self) -> int | None:
        """The port the app listens on: ``[http_service]``'s, else the first service's."""
        candidates = [self.config.table("http_service")]
        candidates += [table for _, table in self.config.tables("services")]
        for table in candidates:
            port = table.get("internal_port")
            if isinstance(port, int) and not isinstance(port, bool):
                return port
        return None


class Project:
    __slots__ = ("_directories", "also_own", "apps")

    def __init__(self, apps: list[App], also_own: frozenset[str]) -> None:
        self.apps = apps
        self.also_own = also_own  # configured names that count as the app's own
        # As strs ending in a separator: ``owner`` compares them with many files' paths.
        self._directories = [os.path.join(app.directory.resolve(), "") for app in apps]

    def is_own(self, name: str, app: App | None) -> bool:
        """Whether ``name`` (a fly.dev app name) is the app itself."""
        return name in self.also_own or (app is not None and name == (app.name or "").lower())

    def owner(self, resolved: str) -> App | None:
        """The app the source file at ``resolved`` (a resolved path) belongs to: the
        nearest fly.toml up the tree (``fly.toml`` before ``fly.*.toml`` in one directory)."""
        best: tuple[int, bool] | None = None
        found = None
        for app, directory in zip(self.apps, self._directories, strict=True):
            if not resolved.startswith(directory):
                continue
            # The directories that hold the file all begin its path: the longest is nearest.
            rank = (len(directory), app.config.source.path.name == "fly.toml")
            if best is None or rank > best:
                best, found = rank, app
        return found

    def app_named(self, name: str) -> App | None:
        for app in self.apps:
            if app.name == name:
                return app
        return None
