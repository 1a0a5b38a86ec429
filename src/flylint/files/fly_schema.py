"""What flyctl accepts in a fly.toml (``rules/catalogs/fly-schema.toml``), and a walk of a
parsed fly.toml against it: FLY001 reports the keys it does not know, FLY002 the values
it cannot use.

Schema paths name tables as the catalog does: ``"."`` for the top level, ``x[]`` for an
element of an array of tables, ``x.*`` for a table under a free-named key
(``services[].ports[]``, ``checks.*``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from types import MappingProxyType

from flylint.files.toml_locations import KeyPath
from flylint.registry import rule_data
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TOP = "."


class Table(Record):
    __slots__ = (
        "aliases",
        "any_name",
        "array_form",
        "arrays",
        "enums",
        "free",
        "keys",
        "legacy",
        "path",
        "single_table_ok",
        "tables",
        "types",
    )

    def __init__(
        self,
        path: str,
        keys: frozenset[str],
        tables: frozenset[str],
        arrays: frozenset[str],
        any_name: bool,
        free: bool,
        aliases: Mapping[str, str],
        single_table_ok: frozenset[str],
        array_form: frozenset[str],
        legacy: frozenset[str],
        types: Mapping[str, str],
        enums: Mapping[str, tuple[Any, ...]],
    ) -> None:
        self.path = path
        self.keys = keys  # scalar and array-of-scalar keys
        self.tables = tables  # sub-tables written [x]
        self.arrays = arrays  # sub-tables written [[x]]
        self.any_name = any_name  # sub-tables under free names (checks.NAME)
        self.free = free  # any key allowed (env, build.args, headers, ...)
        self.aliases = aliases
        self.single_table_ok = single_table_ok  # arrays that may also be written as one [x]
        self.array_form = array_form  # tables that may also be written as [[x]]
        self.legacy = legacy  # keys flyctl once wrote and now ignores
        self.types = types
        self.enums = enums

    def child(self, name: str, array: bool) -> str:
        prefix = "" if self.path == TOP else f"{self.path}."
        return f"{prefix}{name}[]" if array else f"{prefix}{name}"


class Entry(Record):
    """One key of the file, as the walk met it.

    ``kind`` is ``"key"`` for a known key (``name`` is its canonical name, aliases
    resolved), ``"unknown"`` for one flyctl does not read, ``"shape"`` for a known table
    written as something else (``name`` is the table's name)."""

    __slots__ = ("kind", "name", "path", "table", "value")

    def __init__(self, kind: str, path: KeyPath, table: Table, name: str, value: Any) -> None:
        self.kind = kind
        self.path = path
        self.table = table
        self.name = name
        self.value = value


@functools.cache
def schema() -> dict[str, Table]:
    tables = {}
    for path, raw in rule_data.catalog("fly-schema")["tables"].items():
        declared = raw.get("tables", [])
        tables[path] = Table(
            path=path,
            keys=frozenset(raw.get("keys", [])),
            tables=frozenset(t for t in declared if not t.endswith("[]") and t != "*"),
            arrays=frozenset(t[:-2] for t in declared if t.endswith("[]")),
            any_name="*" in declared,
            free=raw.get("free", False),
            aliases=MappingProxyType(raw.get("aliases", {})),
            single_table_ok=frozenset(raw.get("single_table_ok", [])),
            array_form=frozenset(raw.get("array_form", [])),
            legacy=frozenset(raw.get("legacy", [])),
            types=MappingProxyType(raw.get("types", {})),
            enums=MappingProxyType({k: tuple(v) for k, v in raw.get("enums", {}).items()}),
        )
    return tables


def walk(document: dict[str, Any]) -> Iterator[Entry]:
    """Every key of a parsed fly.toml, in file order within each table, against the schema."""
    yield from _walk_table(document, (), schema()[TOP])


def _walk_table(node: dict[str, Any], path: KeyPath, table: Table) -> Iterator[Entry]:
    if table.free:
        for key, value in node.items():
            yield Entry("key", (*path, key), table, key, value)
        return
    tables = schema()
    for key, value in node.items():
        here = (*path, key)
        name = table.aliases.get(key, key)
        if name in table.tables:
            if isinstance(value, dict):
                yield from _walk_table(value, here, tables[table.child(name, False)])
            elif isinstance(value, list) and name in table.array_form:
                yield from _walk_array(value, here, tables[table.child(name, True)], table, name)
            elif name in table.types:  # another form flyctl also reads ("soft,hard" limits)
                yield Entry("key", here, table, name, value)
            elif value != []:  # flyctl drops empty arrays (v1 wrote `processes = []`)
                yield Entry("shape", here, table, name, value)
        elif name in table.arrays:
            element = tables[table.child(name, True)]
            if isinstance(value, list):
                yield from _walk_array(value, here, element, table, name)
            elif isinstance(value, dict) and name in table.single_table_ok:
                yield from _walk_table(value, here, element)
            else:
                yield Entry("shape", here, table, name, value)
        elif name in table.keys:
            yield Entry("key", here, table, name, value)
        elif table.any_name and isinstance(value, dict):
            yield from _walk_table(value, here, tables[table.child("*", False)])
        elif name not in table.legacy:
            yield Entry("unknown", here, table, key, value)


def _walk_array(
    items: list[Any], path: KeyPath, element: Table, parent: Table, name: str
) -> Iterator[Entry]:
    for index, item in enumerate(items):
        if isinstance(item, dict):
            yield from _walk_table(item, (*path, index), element)
        else:
            yield Entry("shape", (*path, index), parent, name, item)


def header(table: str) -> str:
    """How a user writes the table at a schema path: ``[[services.ports]]``, ``[build]``."""
    if table == TOP:
        return "the top level"
    parts = table.replace("[]", "").replace(".*", ".NAME")
    return f"[[{parts}]]" if table.endswith("[]") else f"[{parts}]"
