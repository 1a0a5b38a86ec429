"""Project configuration: ``[tool.flylint]`` in pyproject.toml, or ``flylint.toml`` /
``.flylint.toml`` (top-level keys), found upward from the linted path; ``--config FILE``
names one. Unknown keys and rule ids are errors (exit 2), never silently ignored.

    [tool.flylint]
    select = ["ALL"]
    ignore = ["FLY202"]
    own-apps = ["shop-staging"]          # also this app's own names (no FLY401/FLY402)
    [tool.flylint.per-file-ignores]
    "scripts/**" = ["FLY106"]
    [tool.flylint.detectors.secrets]
    allowlist = ["demo-Pass-2024"]       # values that are never reported
    extra-patterns = [{ id = "acme", description = "ACME API key", regex = "acme_[a-z0-9]{32}" }]
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from flylint.registry.selection import UsageError, expand
from flylint.support import toml_parser
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_KEYS = {"select", "ignore", "per-file-ignores", "own-apps", "secrets"}
_SECRET_KEYS = {"allowlist", "extra-patterns"}
_PATTERN_KEYS = {"id", "description", "regex"}
_NAMES = ("flylint.toml", ".flylint.toml", "pyproject.toml")


class ExtraPattern(Record):
    __slots__ = ("description", "id", "regex")

    def __init__(self, id: str, description: str, regex: re.Pattern[str]) -> None:
        self.id = id
        self.description = description
        self.regex = regex


class Config(Record):
    __slots__ = (
        "allowlist",
        "extra_patterns",
        "ignore",
        "own_apps",
        "path",
        "per_file_ignores",
        "select",
    )

    def __init__(
        self,
        path: Path | None = None,
        select: list[str] | None = None,
        ignore: Sequence[str] = (),
        per_file_ignores: Mapping[str, list[str]] = MappingProxyType({}),
        own_apps: frozenset[str] = frozenset(),
        allowlist: frozenset[str] = frozenset(),
        extra_patterns: tuple[ExtraPattern, ...] = (),
    ) -> None:
        self.path = path  # where it was read from; None: defaults
        self.select = select
        self.ignore = ignore
        self.per_file_ignores = per_file_ignores
        self.own_apps = own_apps
        self.allowlist = allowlist
        self.extra_patterns = extra_patterns

    def ignored_for(self, path: Path) -> list[str]:
        """Rule selectors that per-file-ignores turns off for ``path``."""
        if not self.per_file_ignores:
            return []
        base = self.path.parent if self.path else Path.cwd()
        try:
            relative = path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            relative = path.as_posix()
        return [
            selector
            for pattern, selectors in self.per_file_ignores.items()
            if fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(path.name, pattern)
            for selector in selectors
        ]


def find(start: Path) -> Path | None:
    """The nearest configuration file at or above ``start``."""
    try:
        directory = start.resolve()
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
        directory = start.absolute()  # the run reports the loop when it reads the path
    if not directory.is_dir():
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        for name in _NAMES:
            path = candidate / name
            if path.is_file() and (name != "pyproject.toml" or _table(path) is not None):
                return path
    return None


def _table(path: Path) -> dict[str, Any] | None:
    tomllib = toml_parser.module()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read configuration: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from exc
    if path.name == "pyproject.toml":
        return document.get("tool", {}).get("flylint")
    return document


def _strings(path: Path, key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{path}: {key} must be a list of strings")
    return value


def load(path: Path) -> Config:
    table = _table(path)
    if table is None:
        raise UsageError(f"{path}: no [tool.flylint] table")
    _reject_unknown(path, table, _KEYS, "")
    select = _strings(path, "select", table["select"]) if "select" in table else None
    ignore = _strings(path, "ignore", table.get("ignore", []))
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise UsageError(f"{path}: per-file-ignores must be a table of glob = [rule ids]")
    per_file_ignores = {
        glob: _strings(path, f"per-file-ignores.{glob}", ids) for glob, ids in per_file.items()
    }
    per_file_selectors = [s for ids in per_file_ignores.values() for s in ids]
    for selector in [*(select or []), *ignore, *per_file_selectors]:
        expand(selector)  # an unknown rule id is an error here, not a silent no-op
    secrets = table.get("secrets", {})
    if not isinstance(secrets, dict):
        raise UsageError(f"{path}: secrets must be a table")
    _reject_unknown(path, secrets, _SECRET_KEYS, "secrets.")
    return Config(
        path=path,
        select=select,
        ignore=ignore,
        per_file_ignores=per_file_ignores,
        own_apps=frozenset(
            a.lower() for a in _strings(path, "own-apps", table.get("own-apps", []))
        ),
        allowlist=frozenset(_strings(path, "secrets.allowlist", secrets.get("allowlist", []))),
        extra_patterns=tuple(_pattern(path, p) for p in secrets.get("extra-patterns", [])),
    )


def _reject_unknown(path: Path, table: dict[str, Any], known: set[str], prefix: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        names = ", ".join(prefix + key for key in unknown)
        raise UsageError(
            f"{path}: unknown configuration key {names} (known: {', '.join(sorted(known))})"
        )


def _pattern(path: Path, raw: Any) -> ExtraPattern:
    if not isinstance(raw, dict) or set(raw) != _PATTERN_KEYS:
        raise UsageError(
            f"{path}: each secrets.extra-patterns entry needs exactly id, description, regex"
        )
    where = f"{path}: secrets.extra-patterns {raw['id']}"
    if not isinstance(raw["regex"], str):
        raise UsageError(f"{where}: regex must be a string")
    try:
        regex = re.compile(raw["regex"])
    except (re.error, OverflowError, RecursionError) as exc:  # "a{99999999999}", "((((..."
        raise UsageError(f"{where}: bad regex: {exc}") from exc
    if regex.search("") is not None:
        raise UsageError(
            f"{where}: the regex matches an empty string, so it would match every value"
        )
    return ExtraPattern(str(raw["id"]), str(raw["description"]), regex)
