"""The apps of a repository: each Fly config is an app, with the Dockerfile it builds with,
its build context, and the code it ships (a repository may hold several: a monorepo).

An app is built from a summary of its config (plain data, no value of ``[env]``), so that
the cache can keep it and a run whose configs are unchanged parses none of them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from flylint.repository.facts import Fact
from flylint.support import observed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from flylint.files.fly_toml import FlyConfig

_STOPPING = (True, "stop", "suspend")
# An app's address in another app's settings: APP.flycast, APP.internal or APP.fly.dev.
_APP_HOST = re.compile(r"\b([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.(flycast|internal|fly\.dev)\b")


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
        # The apps its settings call, by address (hostnames only, never the values).
        "calls": sorted(
            {
                f"{m.group(1)}.{m.group(2)}"
                for value in config.table("env").values()
                if isinstance(value, str)
                for m in _APP_HOST.finditer(value.lower())
            }
        ),
    }


class App:
    """One Fly config of the repository."""

    __slots__ = (
        "calls",
        "config_dockerfile",
        "context",
        "dockerfile",
        "dockerfile_exists",
        "inside",
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
        calls = summary.get("calls")
        # The addresses of other apps its [env] names (APP.flycast, APP.internal, APP.fly.dev).
        self.calls = (
            tuple(c for c in calls if isinstance(c, str)) if isinstance(calls, list) else ()
        )
        directory = os.path.dirname(resolved)
        inside = os.path.join(root, "")
        named = summary.get("dockerfile")
        self.config_dockerfile = named if isinstance(named, str) else None  # as written
        self.dockerfile = _dockerfile(directory, summary, inside)
        # False: its [build] dockerfile is not there, so nothing deploys it as it is.
        self.dockerfile_exists = True
        if self.dockerfile is not None:
            observed.note(self.dockerfile)
            self.dockerfile_exists = os.path.isfile(self.dockerfile)
        # The code an app ships is its build context: the config's directory, or the
        # Dockerfile's when the config builds with one outside it (deploy/fly.toml building
        # ../Dockerfile ships the repository root).
        self.context = directory
        if self.dockerfile is not None:
            built_from = os.path.dirname(self.dockerfile)
            if not os.path.join(built_from, "").startswith(os.path.join(directory, "")):
                self.context = built_from
        self.inside = os.path.join(self.context, "")  # a prefix of every file it ships

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
        path = os.path.join(directory, named)
    elif summary.get("prebuilt"):
        return None
    else:
        path = os.path.join(directory, "Dockerfile")
        observed.note(path)
        if not os.path.isfile(path):
            return None
    try:
        # Resolved: a symbolic link (to a file or through a directory) must not lead out.
        real = os.path.realpath(path)
    except (OSError, ValueError):  # a loop, or a NUL byte in the name
        real = os.path.normpath(path)
    return real if real.startswith(inside) else None


class Repository:
    """The apps of one repository and the facts its files hold."""

    __slots__ = (
        "_by_context",
        "_contexts",
        "_facts",
        "_facts_by_context",
        "_gather_app",
        "_gather_file",
        "_gathered",
        "_memo",
        "_named",
        "_owners",
        "_shared",
        "apps",
        "digest",
        "root",
        "solo",
    )

    def __init__(self, root: str, apps: list[App], digest: str) -> None:
        self.root = root
        self.apps = apps
        self.digest = digest  # of everything the apps were built from, for cache keys
        # Each build context (a str ending in a separator) with the apps that build from
        # it, fly.toml first; the contexts deepest first: ``owners`` compares them with
        # many files' paths.
        self._by_context: dict[str, list[App]] = {}
        for app in sorted(apps, key=_rank):
            self._by_context.setdefault(app.inside, []).append(app)
        self._contexts = sorted(self._by_context, key=len, reverse=True)
        self._owners: dict[str, list[App]] = {}
        # Configs named under names a walk does not take for configs: apps for their own
        # findings only, never seen by other files.
        self.solo: list[App] = []
        # Each fact-holding file: its path for outputs, its rows by fact name, and whether
        # it was read as a Dockerfile.
        self._facts: dict[str, tuple[Path, dict[str, list[tuple]], bool]] = {}
        # The fact-holding files of each build context (code, not Dockerfiles): an app's
        # facts are looked up among its own files, not the repository's.
        self._facts_by_context: dict[str, list[str]] = {}
        # Files read for every app (the repository's docs and CI workflows).
        self._shared: set[str] = set()
        # Files read by their names: every app whose build context holds one has its facts
        # (a COPY . . of the root copies the directories of the apps below it too).
        self._named: set[str] = set()
        # facts() by (app, fact name), and values derived from them (``derived``), until a
        # file's facts are added.
        self._memo: dict[tuple[str, ...], Any] = {}
        # Who adds facts when they are first needed (the engine); the apps already done.
        self._gather_app: Callable[[App, str], None] | None = None
        self._gather_file: Callable[[str], None] | None = None
        self._gathered: set[tuple[str, str]] = set()

    def gather_with(
        self, for_app: Callable[[App, str], None], for_file: Callable[[str], None]
    ) -> None:
        """Facts are added by ``for_app`` (the files of an app that hold a fact) and
        ``for_file`` (those of one file) when first asked for."""
        self._gather_app, self._gather_file = for_app, for_file

    def app_named(self, name: str) -> App | None:
        for app in self.apps:
            if app.name == name:
                return app
        return None

    def owners(self, resolved: str) -> list[App]:
        """The apps that ship the file at ``resolved``: those of the deepest build context
        holding it (sibling configs of one directory ship the same code), ``fly.toml``
        first."""
        found = self._owners.get(resolved)
        if found is None:
            context = next((c for c in self._contexts if resolved.startswith(c)), None)
            found = self._owners[resolved] = self._by_context[context] if context else []
        return found

    def add_solo(self, app: App) -> None:
        self.solo.append(app)

    def app_of(self, resolved: str) -> App | None:
        """The app of the config at ``resolved``."""
        return next((a for a in (*self.apps, *self.solo) if a.resolved == resolved), None)

    def shippers(self, resolved: str) -> list[App]:
        """The apps that ship the file at ``resolved``: its owners, else the configs named on
        their own whose build context holds it."""
        return self.owners(resolved) or [a for a in self.solo if resolved.startswith(a.inside)]

    def shipped(self, resolved: str) -> bool:
        """Whether an app ships the file at ``resolved``."""
        return bool(self.shippers(resolved))

    def building(self, resolved: str) -> list[App]:
        """The apps that build with the Dockerfile at ``resolved``."""
        return sorted((a for a in self.apps if a.dockerfile == resolved), key=_rank)

    def add_facts(
        self,
        resolved: str,
        path: Path,
        rows: dict[str, list[tuple]],
        dockerfile: bool,
        named: bool = False,
    ) -> None:
        """The rows of each fact the file at ``resolved`` (``path`` for outputs) holds;
        ``dockerfile``: read as the Dockerfile of the apps that build with it, not as code
        they ship; ``named``: read by its name, a fact of every build context holding it."""
        if rows:
            self._memo.clear()
            if named:
                self._named.add(resolved)
            elif resolved not in self._facts and not dockerfile:
                owners = self.owners(resolved)
                context = owners[0].inside if owners else ""  # "": shipped by solo apps only
                self._facts_by_context.setdefault(context, []).append(resolved)
            self._facts[resolved] = (path, rows, dockerfile)

    def share(self, resolved: str) -> None:
        """The facts of the file at ``resolved`` are every app's (a doc of the repository)."""
        if resolved not in self._shared:
            self._shared.add(resolved)
            self._memo.clear()

    def derived(self, key: tuple[str, ...], compute: Callable[[], Any]) -> Any:
        """A value computed from the facts (a cache key's part), kept until the facts of
        another file are added."""
        found = self._memo.get(key)  # type: ignore[arg-type]
        if found is None:
            found = self._memo[key] = compute()  # type: ignore[index]
        return found

    def holds_facts(self, resolved: str) -> bool:
        if self._gather_file is not None:
            self._gather_file(resolved)
        return resolved in self._facts

    def facts(self, app: App, name: str) -> list[Fact]:
        """Every row of the fact ``name`` in the files ``app`` ships and its Dockerfile, in
        path order."""
        if self._gather_app is not None and (app.resolved, name) not in self._gathered:
            self._gathered.add((app.resolved, name))
            self._gather_app(app, name)
        memo = self._memo.get((app.resolved, name))
        if memo is not None:
            return memo
        if app in self.solo:  # ships its whole build context, whatever else does
            shipped = [
                r for r, (_, _, d) in self._facts.items() if not d and r.startswith(app.inside)
            ]
        else:
            shipped = self._facts_by_context.get(app.inside, [])
        candidates = sorted(
            {
                *shipped,
                *(r for r in self._shared if r in self._facts),
                *(r for r in self._named if r.startswith(app.inside)),
            }
        )
        if app.dockerfile in self._facts and self._facts[app.dockerfile][2]:
            candidates = sorted([*candidates, app.dockerfile])
        found = []
        for resolved in candidates:
            path, rows, _ = self._facts[resolved]
            found += [Fact(path, resolved, tuple(row)) for row in rows.get(name, ())]
        self._memo[(app.resolved, name)] = found
        return found


def _rank(app: App) -> tuple[bool, str]:
    return (os.path.basename(app.resolved) != "fly.toml", app.resolved)
