"""Project configuration: ``[tool.flylint]`` in pyproject.toml, or ``flylint.toml`` /
``.flylint.toml`` (top-level keys). Each file gets the nearest one at or above its
directory, no higher than the repository root, as ruff resolves its configuration (a
pyproject.toml without ``[tool.flylint]`` is passed over); ``--config FILE`` names one for
every file. Unknown keys and rule ids are errors (exit 2), never silently ignored.
``per-file-ignores`` keys and ``exclude`` entries (files a walk does not lint; named
ones too with ``--force-exclude``) are gitignore patterns relative to the directory of the
file that declares them (``*.py`` at any depth, ``/top.py`` only there, ``scripts/`` all under
any ``scripts`` directory); a key starting with ``!`` applies to the files it does NOT
match, as in ruff. ``extra-patterns`` regexes are RE2's (matched in time linear in the
value, so without backreferences, lookahead or lookbehind).

    [tool.flylint]
    select = ["ALL"]
    ignore = ["FLY202"]
    own-apps = ["shop-staging"]          # also this app's own names (no FLY401/FLY402)
    exclude = ["vendor/", "*_generated.py"]
    [tool.flylint.per-file-ignores]
    "scripts/" = ["FLY106"]
    [tool.flylint.secrets]
    allowlist = ["demo-Pass-2024"]       # values that are never reported
    extra-patterns = [{ id = "acme", description = "ACME API key", regex = "acme_[a-z0-9]{32}" }]
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from flylint.registry.rule_data import CONFIDENCES, LEVELS
from flylint.registry.selection import UsageError, expand
from flylint.support import observed, toml_parser
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from flylint.support.gitignore import GitIgnore

    # One per-file-ignores key: its spec, whether it may match at any depth (no "/" but a
    # trailing one, or a leading "**/"), whether it is negated ("!"), and its selectors.
    _Matcher = tuple[GitIgnore, bool, bool, list[str]]

_KEYS = {
    "select", "ignore", "per-file-ignores", "own-apps", "secrets", "min-confidence", "fail-on",
    "exclude",
}  # fmt: skip
_SECRET_KEYS = {"allowlist", "extra-patterns"}
_PATTERN_KEYS = {"id", "description", "regex"}
_NAMES = ("flylint.toml", ".flylint.toml", "pyproject.toml")


class LinearRegex:
    """An ``extra-patterns`` regex compiled by RE2, which matches in time linear in the
    text: Python's ``re`` backtracks, and ``^(a+)+$`` took 17 s on a 28-character value.
    Used as the secret detectors use a compiled ``re.Pattern`` (``search``, ``finditer``
    and their matches' ``start``, ``end`` and ``group``), on any text."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str, compiled: Any) -> None:
        self.pattern = pattern
        self._compiled = compiled

    def search(self, text: str) -> Any:
        return self._compiled.search(_encodable(text))

    def finditer(self, text: str) -> Iterator[Any]:
        return self._compiled.finditer(_encodable(text))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LinearRegex):
            return NotImplemented
        return self.pattern == other.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"LinearRegex({self.pattern!r})"


def _encodable(text: str) -> str:
    """``text`` as RE2 reads it (UTF-8, which a lone surrogate, such as an undecodable
    byte of a file name, has not): each such character becomes one "?", so that the
    offsets of matches still hold in ``text``."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


class ExtraPattern(Record):
    __slots__ = ("description", "id", "regex")

    def __init__(self, id: str, description: str, regex: LinearRegex) -> None:
        self.id = id
        self.description = description
        self.regex = regex


class _Memo:
    """A slot for what a record derives from its fields on first use (not a field: not
    compared, hashed, shown or pickled)."""

    __slots__ = ("_memo",)


class Config(Record, _Memo):
    __slots__ = (
        "allowlist",
        "exclude",
        "extra_patterns",
        "fail_on",
        "ignore",
        "min_confidence",
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
        min_confidence: str | None = None,
        fail_on: str | None = None,
        exclude: tuple[str, ...] = (),
    ) -> None:
        self.path = path  # where it was read from; None: defaults
        self.select = select
        self.ignore = ignore
        self.per_file_ignores = per_file_ignores
        self.own_apps = own_apps
        self.allowlist = allowlist
        self.extra_patterns = extra_patterns
        # Findings below it are not shown (None: medium). Applied after the cache, so
        # no part of the fingerprint.
        self.min_confidence = min_confidence
        # The least level of the file's findings that fails the run (None: any finding).
        self.fail_on = fail_on
        # Files not linted (their facts still count for the others): patterns as keys of
        # per-file-ignores are read. Not in the fingerprint: no other file's result changes.
        self.exclude = exclude
        self._memo: tuple[str, list[_Matcher]] | None = None

    def directory(self) -> str:
        """The resolved directory per-file-ignores are relative to: the config file's
        (the working directory for a configuration read from no file)."""
        base = self.path.parent if self.path is not None else Path.cwd()
        try:
            return str(base.resolve())
        except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
            return str(base.absolute())

    def ignored_for(self, resolved: str) -> list[str]:
        """Rule selectors that per-file-ignores turns off for the file at ``resolved`` (its
        resolved absolute path; a ``Path`` is resolved first)."""
        if not self.per_file_ignores:
            return []
        if not isinstance(resolved, str):
            resolved = str(Path(resolved).resolve())
        if self._memo is None:
            self._memo = (self.directory(), _compile(self.per_file_ignores))
        base, matchers = self._memo
        prefix = base if base.endswith(os.sep) else base + os.sep
        inside = resolved.startswith(prefix)
        if inside:
            relative = resolved[len(prefix) :]
        else:  # only the patterns that match at any depth can match here
            relative = os.path.splitdrive(resolved)[1].lstrip(os.sep)
        if os.sep != "/":
            relative = relative.replace(os.sep, "/")
        return [
            selector
            for spec, floating, negated, selectors in matchers
            if ((inside or floating) and spec.ignores(relative, False)) != negated
            for selector in selectors
        ]

    def excludes(self, resolved: str) -> bool:
        """Whether ``exclude`` names the file at ``resolved`` (resolved, absolute)."""
        return bool(self.exclude) and matches(self.directory(), self.exclude, resolved)

    def fingerprint(self) -> str:
        """A digest of everything in this configuration that changes results, for cache
        keys: equal for equal configurations, different when any option differs."""
        from flylint.support.digests import key

        def rules(selectors: Iterable[str]) -> str:
            return repr(sorted({s.strip().upper() for s in selectors}))

        return key(
            "flylint-config-2",  # 2: extra-patterns are RE2's
            self.directory() if self.path is not None or self.per_file_ignores else "",
            "None" if self.select is None else rules(self.select),
            rules(self.ignore),
            repr(sorted((glob, rules(ids)) for glob, ids in self.per_file_ignores.items())),
            repr(sorted(self.own_apps)),
            repr(sorted(self.allowlist)),
            repr([(p.id, p.description, p.regex.pattern) for p in self.extra_patterns]),
        )


def matches(base: str, patterns: Sequence[str], resolved: str) -> bool:
    """Whether one of the gitignore ``patterns``, relative to the directory ``base``,
    matches the file at ``resolved`` (a pattern without "/" at any depth, as git reads
    it; a file outside ``base`` only by such a pattern)."""
    return any(
        ((inside or floating) and spec.ignores(relative, False)) != negated
        for relative, inside in [_relative_to(base, resolved)]
        for spec, floating, negated, _ in _compile({pattern: [] for pattern in patterns})
    )


def _relative_to(base: str, resolved: str) -> tuple[str, bool]:
    prefix = base if base.endswith(os.sep) else base + os.sep
    inside = resolved.startswith(prefix)
    relative = resolved[len(prefix) :] if inside else os.path.splitdrive(resolved)[1]
    relative = relative.lstrip(os.sep)
    return (relative.replace(os.sep, "/") if os.sep != "/" else relative), inside


def _compile(per_file_ignores: Mapping[str, list[str]]) -> list[_Matcher]:
    from flylint.support.gitignore import GitIgnore  # only for a config with per-file-ignores

    matchers = []
    for glob, selectors in per_file_ignores.items():
        negated = glob.startswith("!")
        pattern = glob[1:] if negated else glob
        stripped = pattern.rstrip("/")
        floating = "/" not in stripped or stripped.startswith("**/")
        matchers.append((GitIgnore.from_lines([pattern]), floating, negated, selectors))
    return matchers


class Resolver:
    """The configuration of each file of a repository: the nearest one at or above the
    file's directory, no higher than ``root`` (the resolved repository root), else the
    defaults; with ``forced`` (``--config FILE``), that one for every file. Each
    directory is looked at once and each configuration file loaded once."""

    __slots__ = ("_default", "_forced", "_loaded", "_nearest", "_prefix", "root")

    def __init__(self, root: str, forced: Path | None = None) -> None:
        self.root = os.path.normpath(root)
        self._prefix = self.root if self.root.endswith(os.sep) else self.root + os.sep
        self._forced = load(forced) if forced is not None else None
        self._default = Config()
        self._nearest: dict[str, Config] = {}  # directory -> the config its files get
        self._loaded: dict[Path, Config] = {}  # config file -> its config, in load order

    def for_file(self, resolved: str) -> Config:
        """The configuration of the file at ``resolved`` (its resolved absolute path). A
        file outside ``root`` gets the configuration in its own directory, if any."""
        if self._forced is not None:
            return self._forced
        directory = os.path.dirname(resolved)
        config = self._nearest.get(directory)
        if config is not None:
            return config
        visited = []
        current = directory
        while True:
            config = self._nearest.get(current)
            if config is not None:
                break
            visited.append(current)
            found = _declared_in(current)
            if found is not None:
                config = self._loaded.get(found)
                if config is None:
                    config = self._loaded[found] = load(found)
                break
            parent = os.path.dirname(current)
            if current == self.root or not current.startswith(self._prefix) or parent == current:
                config = self._default
                break
            current = parent
        for seen in visited:
            self._nearest[seen] = config
        return config

    def configs(self) -> list[Config]:
        """The distinct configurations read from files so far (the forced one, if any), in
        the order they were loaded; the defaults are not one of them."""
        if self._forced is not None:
            return [self._forced]
        return list(self._loaded.values())


def _declared_in(directory: str) -> Path | None:
    """The configuration file of ``directory``: flylint.toml, .flylint.toml, or a
    pyproject.toml with a ``[tool.flylint]`` table, in that order."""
    for name in _NAMES:
        path = os.path.join(directory, name)
        observed.note(path)
        if not os.path.isfile(path):
            continue
        if name != "pyproject.toml" or _declares(Path(path)):
            return Path(path)
    return None


def _declares(pyproject: Path) -> bool:
    text = _read(pyproject)
    # A pyproject.toml that never names flylint has no such table: not parsed (nor the
    # TOML parser imported) for each sub-project's own pyproject.toml.
    return "flylint" in text and _table(pyproject, text) is not None


def _read(path: Path) -> str:
    observed.note(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read configuration: {exc}") from exc


def _table(path: Path, text: str | None = None) -> dict[str, Any] | None:
    tomllib = toml_parser.module()
    try:
        document = tomllib.loads(_read(path) if text is None else text)
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
    min_confidence = table.get("min-confidence")
    if min_confidence is not None and min_confidence not in CONFIDENCES:
        raise UsageError(f"{path}: min-confidence must be one of {', '.join(CONFIDENCES)}")
    fail_on = table.get("fail-on")
    if fail_on is not None and fail_on not in LEVELS:
        raise UsageError(f"{path}: fail-on must be one of {', '.join(LEVELS)}")
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
        min_confidence=min_confidence,
        fail_on=fail_on,
        exclude=tuple(_strings(path, "exclude", table.get("exclude", []))),
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
    regex = _linear(where, raw["regex"])
    if regex.search("") is not None:
        raise UsageError(
            f"{where}: the regex matches an empty string, so it would match every value"
        )
    return ExtraPattern(str(raw["id"]), str(raw["description"]), regex)


def _linear(where: str, pattern: str) -> LinearRegex:
    """``pattern`` compiled by RE2; one it rejects is a configuration error."""
    import re2  # ~20 ms: only for a config with extra-patterns

    options = re2.Options()
    options.log_errors = False  # RE2 would print the pattern on stderr, past redact()
    try:
        return LinearRegex(pattern, re2.compile(pattern, options))
    except re2.error as exc:
        reason = _reason(exc)
    try:
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError, ValueError):
        raise UsageError(f"{where}: bad regex: {reason}") from None
    raise UsageError(
        f"{where}: regex not supported: {reason} (extra-patterns are matched by RE2, in time"
        " linear in the value: it has no backreferences, lookahead or lookbehind, and"
        " repeats at most 1000 times)"
    )


def _reason(error: Exception) -> str:
    """RE2's message (bytes in its exception), cut short: it may quote much of the
    pattern."""
    message = error.args[0] if error.args else ""
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    message = str(message)
    return message if len(message) <= 80 else message[:77] + "..."
