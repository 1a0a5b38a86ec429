"""FLY002: a value flyctl or Fly's proxy cannot use, in a setting that decides what the
internet reaches and how (service tables, ports, handlers, force_https, TLS, headers)."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from flylint.checks.context import FlyTomlContext
from flylint.detectors.secrets import shown
from flylint.diagnostics import Diagnostic, Edit, Span
from flylint.files.fly_schema import TOP, Entry, header, walk
from flylint.files.fly_toml import integer, port_number
from flylint.registry import rule_data

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "float": "a number",
    "boolean": "true or false",
    "array[string]": "an array of strings",
    "array[integer]": "an array of integers",
    "table": "a table",
    "array[table]": "an array of tables",
}


@functools.cache
def _checked() -> frozenset[str]:
    return frozenset(rule_data.catalog("fly-settings")["invalid_value"]["checked"])


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    settings = rule_data.catalog("fly-settings")["invalid_value"]
    checked = _checked()
    for entry in walk(ctx.config.data):
        if entry.kind == "shape" and (
            _full(entry, array=False) in checked or _full(entry, array=True) in checked
        ):
            yield _finding(ctx, entry, ctx.config.where(entry.path).key, _shape_message(entry))
        elif entry.kind == "key" and not entry.table.free and _full(entry, array=False) in checked:
            yield from _check_key(ctx, entry, settings)


def _check_key(ctx: FlyTomlContext, entry: Entry, settings: dict[str, Any]) -> Iterator[Diagnostic]:
    name, value = entry.name, entry.value
    spec = entry.table.types.get(name, "any")
    where = ctx.config.where(entry.path).entry
    allowed = entry.table.enums.get(name)
    folded = {str(a).lower() for a in allowed} if allowed is not None else set()
    low, high = settings["port_range"]
    if not _type_ok(value, spec):
        message = f"{name} must be {_type_name(spec)}, not {_describe(value)}"
        if spec.startswith("array[") and isinstance(value, str):
            # The lone string in an array, unless that is no valid entry either.
            advice = None
            if allowed is None or value.lower() in folded:
                advice = f'write {name} = ["{shown(value)}"]'
            elif name == "handlers":
                advice = settings["handler_advice"].get(value.lower())
            message += f": {advice}" if advice else ""
        fix = _coerced(entry, spec)
        if fix is not None and name in settings["port_keys"] and not low <= fix.value <= high:
            fix = None  # a number out of the port range would only trade one finding for another
        yield _finding(ctx, entry, where, message, fix)
        return
    if name in settings["port_keys"]:
        number = port_number(value)
        if number is None:
            yield _finding(
                ctx, entry, where, f"{name} must be a port number, not {_describe(value)}"
            )
        elif not low <= number <= high:
            yield _finding(
                ctx, entry, where, f"{name} {number} is outside the port range {low}-{high}"
            )
    if allowed is None:
        return
    items = value if isinstance(value, list) else [value]
    for index, item in enumerate(items):
        if str(item).lower() in folded:
            continue
        path = (*entry.path, index) if isinstance(value, list) else entry.path
        located = ctx.config.where(path)
        advice = settings["handler_advice"].get(str(item).lower()) if name == "handlers" else None
        known = ", ".join(map(str, allowed))
        if isinstance(value, list):
            message = f'unknown {name} entry "{shown(str(item))}" (valid: {known})'
        else:
            message = f"{name} = {_describe(item)} is not one of {known}"
        yield _finding(
            ctx, entry, located.value or located.key, f"{message}: {advice}" if advice else message
        )


def _finding(
    ctx: FlyTomlContext, entry: Entry, span: Span, message: str, fix: Edit | None = None
) -> Diagnostic:
    anchor = ".".join(map(str, entry.path))
    return ctx.diagnostic("FLY002", span, message, anchor, fix=fix)


def _full(entry: Entry, array: bool) -> str:
    return entry.table.child(entry.name, array)


def _shape_message(entry: Entry) -> str:
    table = entry.table
    if entry.name in table.arrays:
        if isinstance(entry.path[-1], int):
            return f"each {entry.name} entry must be a table, not {_describe(entry.value)}"
        single = " or one table" if entry.name in table.single_table_ok else ""
        expected = f"an array of tables {header(_full(entry, array=True))}{single}"
    else:
        expected = f"one table {header(_full(entry, array=False))}"
    where = "" if table.path == TOP else f" in {header(table.path)}"
    found = _describe(entry.value)
    return f"{entry.name}{where} must be {expected}, not {found}; flyctl cannot load it"


def _coerced(entry: Entry, spec: str) -> Edit | None:
    """The fix for a value written as a string where flyctl wants a boolean or a number."""
    value = entry.value
    if not isinstance(value, str) or not isinstance(entry.path[-1], str):
        return None
    text = value.strip().lower()
    if spec == "boolean" and text in ("true", "false"):
        return Edit(entry.path[:-1], entry.path[-1], text == "true")
    number = integer(text)
    if spec == "integer" and number is not None:
        return Edit(entry.path[:-1], entry.path[-1], number)
    return None


def _type_ok(value: Any, spec: str) -> bool:
    return any(_is(value, kind) for kind in spec.split("|"))


def _is(value: Any, kind: str) -> bool:
    if kind == "any":
        return True
    if kind.startswith("array[") and isinstance(value, list):
        return all(_is(item, kind[6:-1]) for item in value)
    checks = {
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "table": isinstance(value, dict),
    }
    return checks.get(kind, False)


def _type_name(spec: str) -> str:
    return " or ".join(_TYPE_NAMES.get(kind, kind) for kind in spec.split("|"))


def _describe(value: Any) -> str:
    """The value as a user wrote it (masked if it is a credential, however unlikely here)."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the {'integer' if isinstance(value, int) else 'number'} {value}"
    if isinstance(value, str):
        return f'the string "{shown(value)}"'
    if isinstance(value, list):
        return "an array"
    return "a table" if isinstance(value, dict) else "a date or time"
