"""Rule selection (``--select`` / ``--ignore``) and the modules that implement the rules."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable
from types import ModuleType

from flylint.diagnostics import FileKind
from flylint.registry import rule_data

TYPE_CHECKING = False
if TYPE_CHECKING:
    from flylint.repository.facts import Producer


class UsageError(Exception):
    """A mistake in how flylint was called or configured (exit code 2)."""


def expand(selector: str) -> set[str]:
    """Rule ids a selector names: ``ALL``, a full id, or an id prefix such as ``FLY1``."""
    known = rule_data.rules()
    token = selector.strip().upper()
    if token == "ALL":
        return set(known)
    matched = {rule_id for rule_id in known if rule_id.startswith(token)}
    if not token.startswith("FLY") or not matched:
        raise UsageError(f"unknown rule selector {selector.strip()!r} (see `flylint rule --all`)")
    return matched


def select(select: Iterable[str] | None, ignore: Iterable[str] = ()) -> frozenset[str]:
    chosen = set(rule_data.rules()) if select is None else set()
    for selector in select or ():
        chosen |= expand(selector)
    for selector in ignore:
        chosen -= expand(selector)
    return frozenset(chosen)


@functools.cache
def _modules(kind: FileKind, selected: frozenset[str] | None) -> tuple[ModuleType, ...]:
    """The rule modules that report a rule of ``selected`` (None: any rule that consumes
    facts) on files of ``kind``, each imported once."""
    modules: dict[str, ModuleType] = {}
    for info in rule_data.rules().values():
        if (
            info.module
            and (info.id in selected if selected is not None else info.facts)
            and kind in info.files
            and info.module not in modules
        ):
            modules[info.module] = importlib.import_module(f"flylint.checks.{info.module}")
    return tuple(modules.values())


def checks_for(kind: FileKind, selected: frozenset[str]) -> list:
    """The ``check_<kind>`` functions that can report a selected rule for files of ``kind``."""
    attribute = "check_" + kind.value.replace("-", "_")
    return [getattr(module, attribute) for module in _modules(kind, selected)]


def producers_for(kind: FileKind) -> list[Producer]:
    """The facts that the rule modules for files of ``kind`` consume (their ``FACTS``),
    whichever rules are selected."""
    found: dict[int, Producer] = {}
    for module in _modules(kind, None):
        for producer in getattr(module, "FACTS", ()):
            found.setdefault(id(producer), producer)
    return list(found.values())
