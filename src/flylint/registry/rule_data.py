"""Loads the declarative rule data and catalogs from ``rules/`` (shipped in the wheel)."""

from __future__ import annotations

import functools
from pathlib import Path

from flylint.diagnostics import Diagnostic, FileKind
from flylint.support import installation
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

LEVELS = ("error", "warning", "note")
PRECISIONS = ("very-high", "high", "medium", "low")
CONFIDENCES = ("high", "medium", "low")  # surest first
FIX_KINDS = (None, "safe", "unsafe")


class DataError(Exception):
    """The rule data shipped with flylint is inconsistent (a packaging or development bug)."""


class Example(Record):
    __slots__ = ("code", "kind", "path")

    def __init__(self, kind: str, path: str, code: str) -> None:
        self.kind = kind  # "bad" or "good"
        self.path = path
        self.code = code


class RuleInfo(Record):
    __slots__ = (
        "confidence",
        "confidence_evidence",
        "description",
        "examples",
        "facts",
        "files",
        "fix",
        "fix_kind",
        "fix_why",
        "id",
        "level",
        "module",
        "name",
        "precision",
        "rationale",
        "references",
        "security_severity",
        "summary",
        "tags",
    )

    def __init__(
        self,
        id: str,
        name: str,
        summary: str,
        level: str,
        security_severity: float,
        precision: str,
        confidence: str,
        tags: tuple[str, ...],
        files: tuple[FileKind, ...],
        module: str | None,
        description: str,
        rationale: str,
        fix: str,
        examples: tuple[Example, ...],
        references: tuple[str, ...],
        facts: tuple[str, ...] = (),
        confidence_evidence: tuple[tuple[str, str], ...] = (),
        fix_kind: str | None = None,
        fix_why: str = "",
    ) -> None:
        self.id = id
        self.name = name
        self.summary = summary
        self.level = level
        self.security_severity = security_severity
        self.precision = precision
        # A finding's confidence when its check names none: what the rule's evidence
        # usually is (see the rule's docs for what raises or lowers it).
        self.confidence = confidence
        # (level, the evidence that gives a finding that level), surest first: the docs.
        self.confidence_evidence = confidence_evidence
        self.tags = tags
        self.files = files
        self.module = module  # None: reported by the engine itself (FLY000)
        self.description = description
        self.rationale = rationale
        self.fix = fix
        # What ``--fix`` may do for its findings: None (nothing), "safe" (cannot change what
        # a deployed app does) or "unsafe" (can: only with --unsafe-fixes), and why.
        self.fix_kind = fix_kind
        self.fix_why = fix_why
        self.examples = examples
        self.references = references
        # Facts its module consumes (declared there as FACTS): the engine imports the
        # modules that produce facts without importing every rule's.
        self.facts = facts

    @property
    def docs_url(self) -> str:
        return f"{DOCS_BASE_URL}/{self.id}.md"


DOCS_BASE_URL = "https://github.com/flylint/flylint/blob/main/docs/rules"


@functools.cache
def data_dir() -> Path:
    """The rules/ directory: inside the installed wheel, or at the root of a source checkout."""
    found = installation.rules_dir()
    if found is None:
        raise DataError(f"flylint rule data not found (looked in {installation.PACKAGE})")
    return Path(found)


# rules/ compiled into one marshal file: loading it costs ~0.3 ms where parsing ~25 TOML
# files costs ~15 ms, on every run. It holds the digest of the TOML it was compiled from
# and is used only while that still matches, so editing rules/ can never serve stale
# data; `python -m flylint.registry.rule_data` rewrites it (a test fails when it is out of date).
SNAPSHOT = "compiled.marshal"


def _sources(directory: Path) -> dict[str, bytes]:
    """The bytes of every rule and catalog file, by stem (``FLY201``, ``catalogs/secrets``)."""
    files = {path.stem: path for path in directory.glob("FLY*.toml")}
    files.update((f"catalogs/{p.stem}", p) for p in (directory / "catalogs").glob("*.toml"))
    return {stem: files[stem].read_bytes() for stem in sorted(files)}


def _digest(sources: dict[str, bytes]) -> str:
    from flylint.support.digests import key

    return key(*(part for item in sources.items() for part in item))


def _parse(sources: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    from flylint.support import toml_parser

    tomllib = toml_parser.module()
    return {stem: tomllib.loads(text.decode("utf-8")) for stem, text in sources.items()}


def _snapshot(directory: Path) -> tuple[str, dict[str, dict[str, Any]]] | None:
    import marshal

    try:
        digest, raw = marshal.loads((directory / SNAPSHOT).read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return (digest, raw) if isinstance(digest, str) and isinstance(raw, dict) else None


@functools.cache
def _raw() -> dict[str, dict[str, Any]]:
    """Every rule and catalog file as parsed TOML, by stem."""
    directory = data_dir()
    sources = _sources(directory)
    snapshot = _snapshot(directory)
    if snapshot is not None and snapshot[0] == _digest(sources):
        return snapshot[1]
    return _parse(sources)


def compile_snapshot(directory: Path) -> None:
    """Write the compiled form of the rule data in ``directory``."""
    import marshal

    sources = _sources(directory)
    (directory / SNAPSHOT).write_bytes(marshal.dumps((_digest(sources), _parse(sources))))


def _rule_from_data(raw: dict[str, Any], source: Path) -> RuleInfo:
    try:
        info = RuleInfo(
            id=raw["id"],
            name=raw["name"],
            summary=raw["summary"],
            level=raw["level"],
            security_severity=float(raw["security_severity"]),
            precision=raw["precision"],
            confidence=raw["confidence"],
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
            facts=tuple(raw.get("facts", [])),
            confidence_evidence=tuple(
                (level, raw["confidence_evidence"][level].strip())
                for level in CONFIDENCES
                if level in raw.get("confidence_evidence", {})
            ),
            fix_kind=raw.get("fixes", {}).get("kind"),
            fix_why=raw.get("fixes", {}).get("why", "").strip(),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{source}: invalid rule data: {exc!r}") from exc
    if source.stem != info.id:
        raise DataError(f"{source}: file name does not match id {info.id}")
    if (
        info.level not in LEVELS
        or info.precision not in PRECISIONS
        or info.confidence not in CONFIDENCES
        or info.confidence not in dict(info.confidence_evidence)
        or info.fix_kind not in FIX_KINDS
        or (info.fix_kind is not None and not info.fix_why)
    ):
        raise DataError(f"{source}: unknown level, precision, confidence or fix kind")
    return info


def confidence_of(d: Diagnostic) -> str:
    """How sure a finding is: as its check decided from the evidence, else its rule's usual."""
    return d.confidence or rules()[d.rule_id].confidence


def fixable(kind: str) -> list[str]:
    """The ids of the rules whose fixes are of ``kind`` ("safe" or "unsafe")."""
    return [rule_id for rule_id, info in rules().items() if info.fix_kind == kind]


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


if __name__ == "__main__":
    compile_snapshot(data_dir())
    print(f"wrote {data_dir() / SNAPSHOT}")
