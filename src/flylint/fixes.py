"""``flylint check --fix``: apply the findings' edits to fly.toml files with tomlkit, which
keeps every byte it is not asked to change (comments, order, quoting, indentation).

Only what a rule marked as a safe, mechanical edit is changed; secrets are never moved
(their messages print the ``fly secrets set`` command instead). Writes are atomic (a
temporary file in the same directory, fsync, rename), keep the file's mode, and skip a
file that changed since flylint read it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from flylint.diagnostics import Diagnostic, Edit, FileKind
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_BOM = "\ufeff"


class Change(Record):
    __slots__ = ("after", "before", "fixed", "path")

    def __init__(self, path: Path, before: bytes, after: bytes, fixed: int) -> None:
        self.path = path
        self.before = before
        self.after = after
        self.fixed = fixed  # how many findings the change resolves


class Conflict(Exception):
    """The file changed on disk since it was read: it is left alone."""


def plan(
    diagnostics: Iterable[Diagnostic], contents: dict[Path, bytes]
) -> tuple[list[Change], list[str]]:
    """The change each fly.toml needs for the fixable findings among ``diagnostics``,
    made to ``contents``, the bytes the findings were found in (``write`` refuses the
    change if the file no longer holds them); and why the fixes of other files cannot
    be made."""
    edits: dict[Path, list[Edit]] = {}
    for diagnostic in diagnostics:
        if diagnostic.fix is not None:
            edits.setdefault(diagnostic.path, []).append(diagnostic.fix)
    from tomlkit.exceptions import TOMLKitError

    changes, unfixable = [], []
    for path, wanted in edits.items():
        before = contents[path]
        try:
            after = apply(before, wanted)
        except (UnicodeDecodeError, TOMLKitError) as exc:
            # tomllib read it and tomlkit does not (tomlkit stops at 100 nested levels).
            count = f"{len(wanted)} finding{'' if len(wanted) == 1 else 's'}"
            reason = f"tomlkit, which --fix edits with, cannot read it ({exc})"
            unfixable.append(f"{path}: {count} not fixed: {reason}")
            continue
        if after != before:
            changes.append(Change(path, before, after, len(wanted)))
    return changes, unfixable


def diff(change: Change) -> str:
    """The change as a unified diff. Its context lines can show [env] next to a fixed
    line, so every credential in the file is masked on both sides."""
    import difflib

    name = change.path.as_posix()
    before, after = (_masked(change.path, content) for content in (change.before, change.after))
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True),
            f"a/{name}", f"b/{name}",
        )
    )  # fmt: skip


def _masked(path: Path, content: bytes) -> str:
    """The file's text with each credential value replaced by its masked form."""
    from flylint.detectors import masking, secrets
    from flylint.files import fly_toml, reading

    source = reading.decode(path, FileKind.FLY_TOML, content)
    config = fly_toml.parse(source) if isinstance(source, reading.Source) else source
    if not isinstance(config, fly_toml.FlyConfig):
        return content.decode("utf-8", "replace")
    lines = config.source.text.split("\n")
    found = []
    for key_path, located in config.locations.items():
        value, span = config.get(key_path), located.value
        key = key_path[-1] if isinstance(key_path[-1], str) else None
        if span is not None and isinstance(value, str) and secrets.find_secret(key, value):
            found.append((span, value))
    # Right to left, bottom to top: masking a value shortens its line, and the columns of
    # the values before it on that line (an inline table holds several) stay right.
    for span, value in sorted(found, key=lambda item: tuple(item[0]), reverse=True):
        first = lines[span.line - 1]
        lines[span.line - 1] = f'{first[: span.column - 1]}"{masking.mask(value)}"'
        for number in range(span.line, span.end_line):  # a multi-line string's other lines
            lines[number] = ""
        if span.end_line == span.line:
            lines[span.line - 1] += first[span.end_column - 1 :]
        else:
            lines[span.line - 1] += lines[span.end_line - 1][span.end_column - 1 :]
    return "\n".join(lines)


def apply(content: bytes, edits: Iterable[Edit]) -> bytes:
    """``content`` with ``edits`` applied; untouched bytes stay as they are."""
    import tomlkit

    text = content.decode("utf-8")
    bom = text.startswith(_BOM)
    text = text.removeprefix(_BOM)
    # tomlkit writes new lines with "\n": a file that uses CRLF throughout keeps CRLF.
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    if crlf:
        text = text.replace("\r\n", "\n")
    editor = _Editor(tomlkit.parse(text), indented="\n " in text, blank_end=text.endswith("\n\n"))
    for edit in edits:
        editor.set(edit)
    result = editor.finish()
    if crlf:
        result = result.replace("\n", "\r\n")
    return ((_BOM if bom else "") + result).encode("utf-8")


class _Editor:
    """Sets keys in a tomlkit document, laying new lines out the way the file already is
    (flyctl indents keys and sub-tables by two spaces per level; others do not indent)."""

    def __init__(self, document: Any, *, indented: bool, blank_end: bool) -> None:
        self.document = document
        self.blank_end = blank_end
        self.step = "  " if indented else ""
        self.created: list[Any] = []

    def set(self, edit: Edit) -> None:
        import tomlkit
        from tomlkit.items import InlineTable

        table = self._table(edit.table)
        new = tomlkit.item(edit.value)
        body = _body(table)
        if edit.key in table:
            old = body.item(edit.key).trivia  # keep the line's indentation and comment
            new.trivia.indent, new.trivia.comment_ws = old.indent, old.comment_ws
            new.trivia.comment, new.trivia.trail = old.comment, old.trail
            table[edit.key] = new
            return
        if isinstance(table, InlineTable):
            _add_inline(table, edit.key, new)
            return
        indent = self._key_indent(table)
        table.add(edit.key, new)
        # Set after adding: tomlkit would otherwise add the header's indentation again.
        body.item(edit.key).trivia.indent = indent

    def finish(self) -> str:
        import tomlkit

        for table in self.created:  # a blank line after a new table, as between the others
            table.add(tomlkit.nl())
        result = self.document.as_string()
        # ...but not after the last line of the file.
        extra = self.created and not self.blank_end and result.endswith("\n\n")
        return result[:-1] if extra else result

    def _table(self, path: tuple[str | int, ...]) -> Any:
        """The table at ``path``; missing tables are created after their parent's content,
        the intermediate ones as super tables (no header line of their own)."""
        import tomlkit
        from tomlkit.items import InlineTable

        node, header = self.document, None  # header: the nearest table with a header line
        for depth, part in enumerate(path):
            if isinstance(part, str) and part not in node:
                if isinstance(node, InlineTable):
                    _add_inline(node, part, _inline_table(padded=_padding(node) is not None))
                else:
                    last = depth == len(path) - 1
                    if node is header and not node.as_string().endswith("\n\n"):
                        node.add(tomlkit.nl())  # a blank line before a new table header
                    node.append(part, tomlkit.table(is_super_table=not last))
                    if last:
                        indent = header.trivia.indent + self.step if header is not None else ""
                        node[part].trivia.indent = indent
                        self.created.append(node[part])
            node = node[part]
            if hasattr(node, "is_super_table") and not node.is_super_table():
                header = node
        return node

    def _key_indent(self, table: Any) -> str:
        from tomlkit.items import AoT, Table, Whitespace

        for key, item in _body(table).body:
            if key is not None and not isinstance(item, (Whitespace, Table, AoT)):
                return item.trivia.indent
        header = getattr(table, "trivia", None)
        return header.indent + self.step if header is not None else ""


def _padding(table: Any) -> Any:
    """The blank space before an inline table's ``}``, if it has any."""
    from tomlkit.items import Whitespace

    body = table.value.body
    if body and body[-1][0] is None and isinstance(body[-1][1], Whitespace):
        return body[-1][1] if not body[-1][1].as_string().strip() else None
    return None


def _add_inline(table: Any, key: str, item: Any) -> None:
    """Add ``key = item`` to an inline table in its style: `{ a = 1 }` becomes
    `{ a = 1, b = 2 }`, `{a = 1}` becomes `{a = 1, b = 2}` (tomlkit alone would reuse the
    space before "}" after the comma and indent the new key like the table's line)."""
    pad = _padding(table)
    body = table.value.body
    if pad is not None:
        body.pop()
    empty = all(name is None for name, _ in body)
    item.trivia.indent = (pad.as_string() if pad is not None else "") if empty else " "
    table.append(key, item)
    if pad is not None:
        body.append((None, pad))


def _inline_table(padded: bool) -> Any:
    import tomlkit
    from tomlkit.items import Whitespace

    table = tomlkit.inline_table()
    if padded:
        table.value.body.append((None, Whitespace(" ")))
    return table


def _body(node: Any) -> Any:
    from tomlkit.container import Container

    return node if isinstance(node, Container) else node.value


def write(change: Change) -> None:
    """Replace the file atomically, keeping its mode; Conflict if it changed meanwhile."""
    path = change.path
    status = path.stat()
    if path.read_bytes() != change.before:
        raise Conflict(f"{path} changed since flylint read it; not fixed")
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as f:
            f.write(change.after)
            f.flush()
            os.fsync(f.fileno())
        Path(temporary).chmod(status.st_mode & 0o7777)
        if path.read_bytes() != change.before:  # changed while we were writing
            raise Conflict(f"{path} changed since flylint read it; not fixed")
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise
