"""fly.toml: parsed values plus the exact position of every key, header and value.

Values come from the standard library's TOML parser (tomli before Python 3.11): it is
strict like flyctl's parser, and 20x faster to import and run than tomlkit, which
flylint keeps for rewriting files (``--fix``), where comments and layout must survive.
"""

from __future__ import annotations

from flylint.diagnostics import Diagnostic, Span
from flylint.files.reading import PARSE_ERROR, Source
from flylint.support import toml_parser
from flylint.support.lazy_regex import Regex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from flylint.files.toml_locations import KeyPath, Located


class FlyConfig:
    __slots__ = ("_locations", "data", "source")

    def __init__(self, source: Source, data: dict[str, Any]) -> None:
        self.source = source
        self.data = data
        self._locations: dict[KeyPath, Located] | None = None

    @property
    def locations(self) -> dict[KeyPath, Located]:
        """Where each key and table is written. Found when first asked for: a run whose
        results for this file are cached reads the config for its app map only."""
        if self._locations is None:
            from flylint.files.toml_locations import locate  # when a rule reports

            self._locations = locate(self.source.text)
        return self._locations

    @property
    def app_name(self) -> str | None:
        name = self.data.get("app")
        return name if isinstance(name, str) and name else None

    def get(self, path: KeyPath) -> Any:
        """The value at ``path``, or None when the path does not lead anywhere."""
        node: Any = self.data
        for part in path:
            if isinstance(node, dict) and isinstance(part, str):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                return None
        return node

    def table(self, *path: str | int) -> dict[str, Any]:
        """The table at ``path``, or {} when it is absent or not a table."""
        node = self.get(path)
        return node if isinstance(node, dict) else {}

    def tables(self, *path: str | int) -> list[tuple[KeyPath, dict[str, Any]]]:
        """The tables of the array at ``path`` with their paths; a lone table counts as one.

        Real configs write ``[services]`` as a single table as often as ``[[services]]``.
        """
        node = self.get(path)
        if isinstance(node, dict):
            return [(tuple(path), node)]
        if isinstance(node, list):
            return [((*path, i), t) for i, t in enumerate(node) if isinstance(t, dict)]
        return []

    def where(self, path: KeyPath) -> Located:
        """Where ``path`` is written; for a path that is not written, its nearest written parent."""
        for cut in range(len(path), 0, -1):
            found = self.locations.get(path[:cut])
            if found is not None:
                return found
        from flylint.files.toml_locations import Located

        return Located(Span.at_line(1), None)


_ERROR_AT = Regex(r"\s*\(at line (\d+), column (\d+)\)$|\s*\(at end of document\)$")


def parse(source: Source) -> FlyConfig | Diagnostic:
    """Parse a fly.toml, or return FLY000 at the line of the syntax error."""
    tomllib = toml_parser.module()
    try:
        data = tomllib.loads(source.text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = _ERROR_AT.search(message)
        if where is None or where.group(1) is None:
            line, column = (source.text.count("\n") + 1 if where else 1), 1
        else:
            line, column = int(where.group(1)), int(where.group(2))
        reason = message[: where.start()] if where else message
        text_line = source.text.split("\n")[line - 1] if line <= source.text.count("\n") + 1 else ""
        if text_line.startswith(("<<<<<<<", "=======", ">>>>>>>", "|||||||")):
            reason = "unresolved merge-conflict marker"
        return Diagnostic(
            PARSE_ERROR, source.path, Span(line, column, line, column), f"invalid TOML: {reason}"
        )
    except RecursionError:
        return Diagnostic(
            PARSE_ERROR, source.path, Span.at_line(1), "invalid TOML: nested too deeply"
        )
    return FlyConfig(source, data)


def integer(text: str) -> int | None:
    """The number a string of ASCII digits spells, as flyctl's ``strconv.Atoi`` reads one:
    None for anything else, such as ``²`` (a digit to ``str.isdigit``, not to ``int``) or
    more digits than a 64-bit integer holds (or ``int`` converts)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def port_number(value: Any) -> int | None:
    """A port as flyctl reads it: an integer, or a string of digits (seen in real configs)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return integer(value) if isinstance(value, str) else None


def handlers(port: dict[str, Any]) -> list[str]:
    """A ``[[services.ports]]`` entry's handlers, lower-cased (a lone string counts as one)."""
    value = port.get("handlers")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [h.lower() for h in value if isinstance(h, str)]
