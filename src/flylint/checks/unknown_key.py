"""FLY001: a key or table flyctl does not know, so it silently ignores it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flylint.checks.context import FlyTomlContext
from flylint.detectors.secrets import shown
from flylint.diagnostics import Diagnostic
from flylint.files.fly_schema import Entry, Table, header, schema, walk
from flylint.registry import rule_data


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    config = ctx.config
    for entry in walk(config.data):
        if entry.kind != "unknown":
            continue
        if _table_like(entry.value):
            written = _written_table(entry)
            what = f"unknown table {written}"
        else:
            where = (
                "at the top level" if entry.table.path == "." else f"in {header(entry.table.path)}"
            )
            what = f"unknown key {shown(entry.name)} {where}"
        yield ctx.diagnostic(
            "FLY001",
            config.where(entry.path).key,
            f"{what}: {_advice(entry)}",
            ".".join(map(str, entry.path)),
        )


def _advice(entry: Entry) -> str:
    advice = rule_data.catalog("fly-settings")["unknown_key_advice"].get(entry.table.path, {})
    if entry.name in advice:
        return f"flyctl ignores it; {advice[entry.name]}"
    effect = "none of its settings apply" if _table_like(entry.value) else "it has no effect"
    ignored = f"flyctl ignores it, so {effect}"
    known = entry.table.keys | entry.table.tables | entry.table.arrays
    match = _same_words(entry.name, known)
    if match is not None and match.lower() == entry.name.lower():
        # flyctl's loader matches names case-insensitively; its strict check and every
        # other tool (flylint's own checks included) read the exact name.
        return f"write it {_as_written(entry, match)}; only flyctl's loader accepts another case"
    if match is not None:
        return f"did you mean {_as_written(entry, match)}? {ignored}"
    home = _belongs_in(entry)
    if home is not None:
        return f"flyctl reads {home[0]} only in {home[1]}, so here {effect}"
    close = _close(entry.name, known)
    if close is not None:
        return f"did you mean {_as_written(entry, close)}? {ignored}"
    return ignored


def _same_words(name: str, known: frozenset[str]) -> str | None:
    """The known name spelled with other case or separators (``forcehttps``,
    ``http-service``), or with its words reordered or pluralised (``auto_machine_start``)."""
    squashed = {_squash(k): k for k in known}
    if _squash(name) in squashed:
        return squashed[_squash(name)]
    words = {_words(k): k for k in known}
    if _words(name) in words:
        return words[_words(name)]
    # A word dropped: `target` for `build-target`, `port` for `internal_port`.
    wider = [k for k in known if set(_words(name)) < set(_words(k))]
    return wider[0] if len(wider) == 1 else None


def _squash(name: str) -> str:
    return re.sub(r"[-_]", "", name.lower())


def _words(name: str) -> tuple[str, ...]:
    return tuple(sorted(w.removesuffix("s") for w in re.split(r"[-_]", name.lower()) if w))


def _close(name: str, known: frozenset[str]) -> str | None:
    import difflib  # only when there is an unknown key to explain

    found = difflib.get_close_matches(name.lower(), sorted(known), n=1, cutoff=0.8)
    return found[0] if found else None


def _belongs_in(entry: Entry) -> tuple[str, str] | None:
    """The name and the tables next to this one (sub-tables, parent) that read this key."""
    tables = schema()
    table = entry.table
    nearby = [table.child(t, False) for t in sorted(table.tables)]
    nearby += [table.child(t, True) for t in sorted(table.arrays)]
    parent = _parent(table)
    if parent is not None:
        nearby.append(parent)
    squashed = _squash(entry.name)
    homes = {}
    for path in nearby:
        for name in _names(tables.get(path), entry):
            if _squash(name) == squashed:
                homes[path] = name
    if not homes:
        return None
    return next(iter(homes.values())), " and ".join(header(path) for path in homes)


def _names(table: Table | None, entry: Entry) -> frozenset[str]:
    if table is None:
        return frozenset()
    if _table_like(entry.value):
        return table.tables | table.arrays
    return table.keys


def _parent(table: Table) -> str | None:
    if table.path == ".":
        return None
    cut = table.path.rsplit(".", 1)
    return cut[0] if len(cut) == 2 else "."


def _as_written(entry: Entry, name: str) -> str:
    if _table_like(entry.value):
        parents = [str(p) for p in entry.path[:-1] if isinstance(p, str)]
        return _brackets(entry, ".".join([*parents, name]))
    return name


def _written_table(entry: Entry) -> str:
    return _brackets(entry, ".".join(shown(p) for p in entry.path if isinstance(p, str)))


def _brackets(entry: Entry, dotted: str) -> str:
    return f"[[{dotted}]]" if _is_tables(entry.value) else f"[{dotted}]"


def _table_like(value: object) -> bool:
    return isinstance(value, dict) or _is_tables(value)


def _is_tables(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
