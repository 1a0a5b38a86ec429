"""Rule selection (``--select`` / ``--ignore``) and the modules that implement the rules."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType

from flylint.diagnostics import FileKind
from flylint.registry import rule_data


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


def checks_for(kind: FileKind, selected: frozenset[str]) -> list:
    """The ``check_<kind>`` functions that can report a selected rule for files of ``kind``."""
    modules: dict[str, ModuleType] = {}
    for info in rule_data.rules().values():
        if (
            info.module
            and info.id in selected
            and kind in info.files
            and info.module not in modules
        ):
            modules[info.module] = importlib.import_module(f"flylint.checks.{info.module}")
    attribute = "check_" + kind.value.replace("-", "_")
    return [getattr(module, attribute) for module in modules.values()]
