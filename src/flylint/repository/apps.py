"""The apps of a repository: each Fly config is an app, with the Dockerfile it builds with,
its build context, and the code it ships (a repository may hold several: a monorepo).

An app is built from a summary of its config (plain data, no value of ``[env]``), so that
the cache can keep it and a run whose configs are unchanged parses none of them.
"""

from __future__ import annotations

import os
from pathlib import Path

from flylint.repository.facts import Fact

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from flylint.files.fly_toml import FlyConfig

_STOPPING = (True, "stop", "suspend")


def summarize(config: FlyConfig) -> dict[str, Any]:
    """What the repository model needs of a Fly config: built-in types only, nothing
    secret."""
    build = config.table("build")
    named = build.get("dockerfile")
    services = [config.table("http_service"), *(t for _, t in config.tables("services"))]
    port = None
    for table in services:
        candidate = table.get("internal_port")
        if isinstance(candidate, int) and not isinstance(candidate, bool):
            port = candidate
            break
    return {
        "name": config.app_name,
        "dockerfile": named.strip() if isinstance(named, str) and named.strip() else None,
        "prebuilt": isinstance(build.get("image"), str)
        or bool(build.get("builder"))
        or bool(build.get("buildpacks")),
        "internal_port": port,
        "stops": any(
            t.get("auto_stop_machines") in _STOPPING or t.get("min_machines_running") == 0
            for t in services
            if t
        ),
    }


class App:
    """One Fly config of the repository."""

    __slots__ = (
        "config",
        "config_dockerfile",
        "context",
        "dockerfile",
        "name",
        "port",
        "relative",
        "resolved",
        "stops",
    )

    def __init__(self, resolved: str, relative: str, summary: dict[str, Any], root: str) -> None:
        self.resolved = resolved  # the config file
        self.relative = relative  # to the repository root, with /
        name = summary.get("name")
        self.name: str | None = name if isinstance(name, str) else None
        port = summary.get("internal_port")
        self.port: int | None = port if isinstance(port, int) else None
        self.stops = summary.get("stops") is True  # stops idle Machines: only Flycast wakes it
        self.config: FlyConfig | None = None  # the parsed config, when this run lints it
        directory = os.path.dirname(resolved)
        inside = os.path.join(root, "")
        named = summary.get("dockerfile")
        self.config_dockerfile = named if isinstance(named, str) else None  # as written
        self.dockerfile = _dockerfile(directory, summary, inside)
        # The code an app ships is its build context: the config's directory, or the
        # Dockerfile's when the config builds with one outside it (deploy/fly.toml building
        # ../Dockerfile ships the repository root).
        self.context = directory
        if self.dockerfile is not None:
            built_from = os.path.dirname(self.dockerfile)
            if not os.path.join(directory, "").startswith(os.path.join(built_from, "")):
                built_from = directory  # a Dockerfile below the config's directory
            self.context = built_from

    @property
    def internal_port(self) -> int | None:
        """The port the app listens on: ``[http_service]``'s, else the first service's."""
        return self.port


def _dockerfile(directory: str, summary: dict[str, Any], inside: str) -> str | None:
    """The Dockerfile flyctl builds with: ``[build] dockerfile``, else the ``Dockerfile``
    beside the config, unless the app deploys a prebuilt image; None when there is none
    or when it would be outside the repository (not read)."""
    named = summary.get("dockerfile")
    if isinstance(named, str):
        path = os.path.normpath(os.path.join(directory, named))
        return path if path.startswith(inside) else None
    if summary.get("prebuilt"):
        return None
    beside = os.path.join(directory, "Dockerfile")
    return beside if os.path.isfile(beside) else None


class Repository:
    """The apps of one repository and the facts its files hold."""

    __slots__ = ("_contexts", "_facts", "apps", "digest", "root", "solo")

    def __init__(self, root: str, apps: list[App], digest: str) -> None:
        self.root = root
        self.apps = apps
        self.digest = digest  # of everything the apps were built from, for cache keys
        # Build contexts as strs ending in a separator, deepest first: ``owners`` compares
        # them with many files' paths.
        contexts = sorted({os.path.join(app.context, "") for app in apps}, key=len, reverse=True)
        self._contexts = contexts
        # Configs named under names a walk does not take for configs: apps for their own
        # findings only, never seen by other files.
        self.solo: list[App] = []
        # Each fact-holding file's rows by fact name, and its path for outputs.
        self._facts: dict[str, tuple[Path, dict[str, list[tuple]], bool]] = {}

    def app_named(self, name: str) -> App | None:
        for app in self.apps:
            if app.name == name:
                return app
        return None

    def owners(self, resolved: str) -> list[App]:
        """The apps that ship the file at ``resolved``: those of the deepest build context
        holding it (sibling configs of one directory ship the same code), ``fly.toml``
        first."""
        for context in self._contexts:
            if resolved.startswith(context):
                found = [a for a in self.apps if os.path.join(a.context, "") == context]
                return sorted(found, key=_rank)
        return []

    def add_solo(self, app: App) -> None:
        self.solo.append(app)

    def app_of(self, resolved: str) -> App | None:
        """The app of the config at ``resolved``."""
        return next((a for a in (*self.apps, *self.solo) if a.resolved == resolved), None)

    def shipped(self, resolved: str) -> bool:
        """Whether an app ships the file at ``resolved``."""
        return bool(self.owners(resolved)) or any(
            resolved.startswith(os.path.join(app.context, "")) for app in self.solo
        )

    def building(self, resolved: str) -> list[App]:
        """The apps that build with the Dockerfile at ``resolved``."""
        return sorted((a for a in self.apps if a.dockerfile == resolved), key=_rank)

    def add_facts(
        self, resolved: str, path: Path, rows: dict[str, list[tuple]], dockerfile: bool
    ) -> None:
        """The rows of each fact the file at ``resolved`` (``path`` for outputs) holds;
        ``dockerfile``: read as the Dockerfile of the apps that build with it, not as code
        they ship."""
        if rows:
            self._facts[resolved] = (path, rows, dockerfile)

    def holds_facts(self, resolved: str) -> bool:
        return resolved in self._facts

    def facts(self, app: App, name: str) -> list[Fact]:
        """Every row of the fact ``name`` in the files ``app`` ships and its Dockerfile, in
        path order."""
        found = []
        for resolved in sorted(self._facts):
            path, rows, dockerfile = self._facts[resolved]
            if name not in rows:
                continue
            if dockerfile:
                mine = resolved == app.dockerfile
            elif app in self.solo:
                mine = resolved.startswith(os.path.join(app.context, ""))
            else:
                mine = app in self.owners(resolved)
            if mine:
                found += [Fact(path, resolved, tuple(row)) for row in rows[name]]
        return found


def _rank(app: App) -> tuple[bool, str]:
    return (os.path.basename(app.resolved) != "fly.toml", app.resolved)
