"""Loads the declarative rule data and catalogs from ``rules/`` (shipped in the wheel)."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, NamedTuple

from flylint.model import FileKind

LEVELS = ("error", "warning", "note")
PRECISIONS = ("very-high", "high", "medium", "low")


class DataError(Exception):
    """The rule data shipped with flylint is inconsistent (a packaging or development bug)."""


class Example(NamedTuple):
    kind: str  # "bad" or "good"
    path: str
    code: str


class RuleInfo(NamedTuple):
    id: str
    name: str
    summary: str
    level: str
    security_severity: float
    precision: str
    tags: tuple[str, ...]
    files: tuple[FileKind, ...]
    module: str | None  # None: reported by the engine itself (FLY000)
    description: str
    rationale: str
    fix: str
    examples: tuple[Example, ...]
    references: tuple[str, ...]

    @property
    def docs_url(self) -> str:
        return f"{DOCS_BASE_URL}/{self.id}.md"


DOCS_BASE_URL = "https://github.com/flylint/flylint/blob/main/docs/rules"


@functools.cache
def data_dir() -> Path:
    """The rules/ directory: inside the installed wheel, or at the root of a source checkout."""
    packaged = Path(__file__).parent / "rules_data"
    if packaged.is_dir():
        return packaged
    # Editable installs map only src/ into site-packages; the data stays at the repo root.
    checkout = Path(__file__).resolve().parents[2] / "rules"
    if checkout.is_dir():
        return checkout
    raise DataError(f"flylint rule data not found (looked in {packaged} and {checkout})")


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised only on 3.10
        import tomli as tomllib

    with path.open("rb") as f:
        return tomllib.load(f)


@functools.cache
def _raw() -> dict[str, dict[str, Any]]:
    """Every rule and catalog file as parsed TOML, by file stem: from the cache when the
    data has not changed since it was compiled, which saves parsing ~20 TOML files."""
    from flylint import cache

    directory = data_dir()
    store = cache.active()
    key = cache.key("rules-data", cache.tree_signature(directory, directory / "catalogs"))
    found = store.get(key)
    if isinstance(found, dict):
        return found
    raw = {path.stem: _load_toml(path) for path in directory.glob("FLY*.toml")}
    raw.update(
        (f"catalogs/{path.stem}", _load_toml(path))
        for path in (directory / "catalogs").glob("*.toml")
    )
    store.put(key, raw)
    return raw


def _rule_from_data(raw: dict[str, Any], source: Path) -> RuleInfo:
    try:
        info = RuleInfo(
            id=raw["id"],
            name=raw["name"],
            summary=raw["summary"],
            level=raw["level"],
            security_severity=float(raw["security_severity"]),
            precision=raw["precision"],
            tags=tuple(raw["tags"]),
            files=tuple(FileKind(k) for k in raw["files"]),
            module=raw.get("module"),
            description=raw["description"].strip(),
            rationale=raw["rationale"].strip(),
            fix=raw["fix"].strip(),
            examples=tuple(
                Example(kind=e["kind"], path=e["path"], code=e["code"])
                for e in raw.get("examples", [])
            ),
            references=tuple(raw.get("references", [])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{source}: invalid rule data: {exc!r}") from exc
    if source.stem != info.id:
        raise DataError(f"{source}: file name does not match id {info.id}")
    if info.level not in LEVELS or info.precision not in PRECISIONS:
        raise DataError(f"{source}: unknown level or precision")
    return info


@functools.cache
def rules() -> dict[str, RuleInfo]:
    """Every rule, keyed by id, in id order."""
    found = {}
    for stem, raw in sorted(_raw().items()):
        if stem.startswith("FLY"):
            info = _rule_from_data(raw, data_dir() / f"{stem}.toml")
            found[info.id] = info
    return found


@functools.cache
def catalog(name: str) -> dict[str, Any]:
    """A catalog the rules consult, from ``rules/catalogs/NAME.toml``."""
    try:
        return _raw()[f"catalogs/{name}"]
    except KeyError:
        raise DataError(f"catalog {name!r} not found in {data_dir() / 'catalogs'}") from None
