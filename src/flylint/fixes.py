"""``flylint check --fix``: apply the findings' edits to fly.toml files with tomlkit, which
keeps every byte it is not asked to change (comments, order, quoting, indentation).

Only the fixes of the kinds asked for are made (the rule data says whether a rule's fixes
are safe, unable to change what a deployed app does, or unsafe); secrets are never moved
(their messages print the ``fly secrets set`` command instead). Writes keep the file what
it is (a symlink, its hard links, owner, group and mode; see ``write``), are atomic
where a file just like it can be made, and skip a file that changed since flylint read
it. One file that cannot be fixed costs that file its fixes, never the others'.
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
    __slots__ = ("after", "before", "findings", "path")

    def __init__(self, path: Path, before: bytes, after: bytes, findings: list[str]) -> None:
        self.path = path
        self.before = before
        self.after = after
        self.findings = findings  # those the change resolves: "FLY201 at fly.toml:6"

    @property
    def fixed(self) -> int:
        return len(self.findings)


class Unkept(Exception):
    """tomlkit cannot write the file back as it is: editing it would change other lines."""


class NotFixed(Exception):
    """The file is left as it is; the message says which and why."""


class Conflict(NotFixed):
    """The file changed on disk since it was read: it is left alone."""


SAFE = ("safe",)
EVERY = ("safe", "unsafe")


def fixable(diagnostics: Iterable[Diagnostic], kinds: tuple[str, ...]) -> list[Diagnostic]:
    """The findings with a fix whose rule's fixes are of one of ``kinds`` (the rule data
    says which: "safe" ones cannot change what a deployed app does, "unsafe" ones can)."""
    from flylint.registry import rule_data

    rules = rule_data.rules()
    return [d for d in diagnostics if d.fix is not None and rules[d.rule_id].fix_kind in kinds]


def plan(
    diagnostics: Iterable[Diagnostic], contents: dict[Path, bytes], kinds: tuple[str, ...] = SAFE
) -> tuple[list[Change], list[str]]:
    """The change each fly.toml needs for the findings among ``diagnostics`` that have a
    fix of ``kinds``, made to ``contents``, the bytes the findings were found in (``write``
    refuses the change if the file no longer holds them); and why the fixes of other
    files cannot be made. One file's failure, whatever it is, is that file's message
    only."""
    chosen: dict[Path, list[Diagnostic]] = {}
    for diagnostic in fixable(diagnostics, kinds):
        chosen.setdefault(diagnostic.path, []).append(diagnostic)
    from tomlkit.exceptions import TOMLKitError

    changes, unfixable = [], []
    for path, found in chosen.items():
        wanted = [d.fix for d in found if d.fix is not None]
        try:
            before = contents[path]
            after = apply(before, wanted)
        except (UnicodeDecodeError, TOMLKitError) as exc:
            # tomllib read it and tomlkit does not (tomlkit stops at 100 nested levels).
            reason = f"tomlkit, which --fix edits with, cannot read it ({_redacted(exc)})"
            unfixable.append(f"{path}: {_findings(len(wanted))} not fixed: {reason}")
            continue
        except Unkept as exc:
            unfixable.append(f"{path}: {_findings(len(wanted))} not fixed: {exc}")
            continue
        except Exception as exc:  # a bug must cost this file its fixes, not the run
            unfixable.append(failure(path, len(wanted), exc))
            continue
        if after != before:
            named = [f"{d.rule_id} at {path.as_posix()}:{d.span.line}" for d in found]
            changes.append(Change(path, before, after, named))
    return changes, unfixable


def failure(path: Path, count: int, exc: Exception) -> str:
    """Why the ``count`` fixes of ``path`` were not made (or shown), from the exception
    that stopped them; ``FLYLINT_DEBUG=1`` prints its traceback too."""
    if isinstance(exc, NotFixed):
        return str(exc)
    if isinstance(exc, OSError):  # a read-only directory, a file deleted meanwhile
        return f"{path}: {exc.strerror or exc}; not fixed"
    if os.environ.get("FLYLINT_DEBUG"):
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__)
    from flylint.detectors import masking

    # Its text may quote the file: masked like everything flylint prints.
    reason = masking.redact(f"{type(exc).__name__}: {exc}")
    return (
        f"{path}: {_findings(count)} not fixed: internal error ({reason}); "
        "please report it at https://github.com/flylint/flylint/issues"
    )


def _redacted(exc: Exception) -> str:
    from flylint.detectors import masking

    return masking.redact(str(exc))


def _findings(count: int) -> str:
    return f"{count} finding{'' if count == 1 else 's'}"


# A changed line whose two sides look the same once masked: the secret in it changed.
SECRET_CHANGED = " # (secret changed; not shown)"


def diff(change: Change) -> str:
    """The change as a unified diff. Its context lines can show [env] next to a fixed
    line, so every credential in the file is masked on both sides. The lines are
    compared as they are and shown masked: a line whose secret changed still shows as
    changed, its new side marked with ``SECRET_CHANGED`` when the masks look the same."""
    import difflib

    from flylint.detectors import masking
    from flylint.output.text import printable

    name = printable(masking.redact(change.path.as_posix()))
    (before, shown_before), (after, shown_after) = (
        _lines(change.path, content) for content in (change.before, change.after)
    )
    matcher = difflib.SequenceMatcher(None, before, after)
    out: list[str] = []
    for group in matcher.get_grouped_opcodes(3):
        if not out:
            out += [f"--- a/{name}\n", f"+++ b/{name}\n"]
        (_, i1, _, j1, _), (_, _, i2, _, j2) = group[0], group[-1]
        out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [f" {line}" for line in shown_before[i1:i2]]
                continue
            out += [f"-{line}" for line in shown_before[i1:i2]]
            removed, removed_shown = set(before[i1:i2]), set(shown_before[i1:i2])
            for line, shown in zip(after[j1:j2], shown_after[j1:j2], strict=True):
                if shown in removed_shown and line not in removed:
                    body = shown.rstrip("\n")
                    shown = body + SECRET_CHANGED + shown[len(body) :]
                out.append(f"+{shown}")
    # As diff and git do: a last line without a newline must not run into the next file.
    return "".join(
        line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n" for line in out
    )


def _range(start: int, stop: int) -> str:
    """A hunk's line range, as ``diff -u`` writes it."""
    length = stop - start
    if length == 1:
        return f"{start + 1}"
    return f"{start + 1 if length else start},{length}"


def _lines(path: Path, content: bytes) -> tuple[list[str], list[str]]:
    """The file's lines as they are, and as --diff may show them: each credential value
    masked where the TOML holds it, then each line through ``masking.redact`` (a token in
    a comment, a URL's password, a secret value found elsewhere)."""
    from flylint.detectors import masking

    text, masked = _masked(path, content)
    lines, shown = _split(text), [masking.redact(line) for line in _split(masked)]
    if len(shown) != len(lines):  # masking keeps the lines; if not, show none of them
        shown = ["***\n"] * len(lines)
    return lines, shown


def _split(text: str) -> list[str]:
    """The lines of ``text``, each with its line feed; split at line feeds only (as the
    masking counts lines), where str.splitlines also splits at form feeds, U+2028..."""
    lines = [f"{line}\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _masked(path: Path, content: bytes) -> tuple[str, str]:
    """The file's text (as flylint reads it: no BOM, LF line ends), and that text with
    each credential value replaced by its masked form. A URL with a password shows with
    only its password masked, so that a fix that changes its host shows the change."""
    from flylint.detectors import masking, secrets
    from flylint.files import fly_toml, reading

    source = reading.decode(path, FileKind.FLY_TOML, content)
    config = fly_toml.parse(source) if isinstance(source, reading.Source) else source
    if not isinstance(config, fly_toml.FlyConfig):
        text = reading.normalize(content.decode("utf-8", "replace"))
        return text, text
    text = config.source.text
    lines = text.split("\n")
    found = []
    for key_path, located in config.locations.items():
        value, span = config.get(key_path), located.value
        key = key_path[-1] if isinstance(key_path[-1], str) else None
        secret = secrets.find_secret(key, value) if isinstance(value, str) else None
        if span is not None and secret is not None:
            shown = masking.mask(value)
            if secret.kind == secrets.URL_WITH_PASSWORD:
                partly = masking.redact(value)
                # Only if nothing else in it is a credential once the password is masked.
                if partly != value and secrets.find_secret(key, partly) is None:
                    shown = partly
            found.append((span, shown))
    # Right to left, bottom to top: masking a value shortens its line, and the columns of
    # the values before it on that line (an inline table holds several) stay right.
    for span, shown in sorted(found, key=lambda item: tuple(item[0]), reverse=True):
        first = lines[span.line - 1]
        lines[span.line - 1] = f"{first[: span.column - 1]}{_quoted(shown)}"
        for number in range(span.line, span.end_line):  # a multi-line string's other lines
            lines[number] = ""
        if span.end_line == span.line:
            lines[span.line - 1] += first[span.end_column - 1 :]
        else:
            lines[span.line - 1] += lines[span.end_line - 1][span.end_column - 1 :]
    return text, "\n".join(lines)


def _quoted(shown: str) -> str:
    """A masked value as a TOML string (a URL can hold a quote or a backslash)."""
    import json

    return json.dumps(shown, ensure_ascii=False)


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
    document = tomlkit.parse(text)
    if document.as_string() != text:
        # tomlkit moves some tables split around others (``[[services]]``, ``[env]``,
        # then ``[[services.ports]]``): lines no fix touches would move.
        raise Unkept("tomlkit, which --fix edits with, would move lines no fix changes")
    editor = _Editor(document, indented="\n " in text, blank_end=text.endswith("\n\n"))
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

        parts = self._table(edit.table)
        new = tomlkit.item(edit.value)
        holder = next((part for part in parts if edit.key in _body(part)), None)
        if holder is not None:
            old = _body(holder).item(edit.key).trivia  # keep the line's indentation and comment
            new.trivia.indent, new.trivia.comment_ws = old.indent, old.comment_ws
            new.trivia.comment, new.trivia.trail = old.comment, old.trail
            holder[edit.key] = new
            return
        table = _home(parts)
        if isinstance(table, InlineTable):
            _add_inline(table, edit.key, new)
            return
        indent = self._key_indent(table)
        table.add(edit.key, new)
        # Set after adding: tomlkit would otherwise add the header's indentation again.
        _body(table).item(edit.key).trivia.indent = indent

    def finish(self) -> str:
        import tomlkit

        for table in self.created:  # a blank line after a new table, as between the others
            table.add(tomlkit.nl())
        result = self.document.as_string()
        # ...but not after the last line of the file.
        extra = self.created and not self.blank_end and result.endswith("\n\n")
        return result[:-1] if extra else result

    def _table(self, path: tuple[str | int, ...]) -> list[Any]:
        """The parts of the table at ``path``: one, or several when the file defines it out
        of order (``[http_service]``, then ``[env]``, then ``[[http_service.checks]]``).
        They are the document's own items: tomlkit's view of such a table (its
        OutOfOrderTableProxy) cannot be added to. Missing tables are created after their
        parent's content, the intermediate ones as super tables (no header line)."""
        import tomlkit
        from tomlkit.items import InlineTable

        parts, header = [self.document], None  # header: the nearest table with a header line
        for depth, part in enumerate(path):
            if isinstance(part, int):  # an entry of an array of tables, split or not
                parts = [[entry for array in parts for entry in array.body][part]]
            else:
                found = _children(parts, part)
                if not found:
                    node = _home(parts)
                    if isinstance(node, InlineTable):
                        _add_inline(node, part, _inline_table(padded=_padding(node) is not None))
                    else:
                        last = depth == len(path) - 1
                        # A blank line before a new table header (two newlines after a
                        # last line that has none).
                        for _ in range(2):
                            if node is header and not node.as_string().endswith("\n\n"):
                                node.add(tomlkit.nl())
                        node.append(part, tomlkit.table(is_super_table=not last))
                        if last:
                            created = _children([node], part)[0]
                            indent = header.trivia.indent + self.step if header is not None else ""
                            created.trivia.indent = indent
                            self.created.append(created)
                    found = _children([node], part)
                parts = found
            home = _home(parts)
            if hasattr(home, "is_super_table") and not home.is_super_table():
                header = home
        return parts

    def _key_indent(self, table: Any) -> str:
        from tomlkit.items import AoT, Table, Whitespace

        for key, item in _body(table).body:
            if key is not None and not isinstance(item, (Whitespace, Table, AoT)):
                return item.trivia.indent
        header = getattr(table, "trivia", None)
        return header.indent + self.step if header is not None else ""


def _children(parts: list[Any], name: str) -> list[Any]:
    """The items named ``name`` in the tables ``parts``, in the file's order."""
    return [
        item for part in parts for key, item in _body(part).body
        if key is not None and key.key == name
    ]  # fmt: skip


def _home(parts: list[Any]) -> Any:
    """The part of a table new keys and sub-tables go to: the one under the table's own
    header line (the others only hold sub-tables), else the first."""
    for part in parts:
        if not (hasattr(part, "is_super_table") and part.is_super_table()):
            return part
    return parts[0]


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
    """Write the change to the file, keeping what makes it that file. Raises NotFixed
    (Conflict if it changed since it was read) or OSError, and the file stays as it was.

    - A symlink is written through to its target, if that is inside the repository;
      a symlink to a file outside it is refused. The link itself stays a link.
    - A read-only file (no write permission for us, or none at all when we are root)
      is refused: read-only is the owner's say, though a rename could replace it.
    - Otherwise the new content is written to a temporary file next to the file, with
      the file's owner, group, mode and extended attributes (ACLs), then renamed over
      it: a crash leaves the old file or the new one, never half of one.
    - Where a new file cannot be made the same — a hard-linked file (st_nlink > 1:
      a rename would split it from its other names), a file of another owner or group
      we cannot give a new file, attributes we cannot copy, a directory we may not
      create files in — the file is rewritten in place, through a descriptor its
      content is checked on just before; not atomic, but never a different file.
    """
    path = change.path
    target = _target(path)
    status = target.stat()
    if not _writable(target, status):
        raise NotFixed(f"{path}: read-only; not fixed")
    if status.st_nlink > 1 or not _replace(change, target, status):
        _overwrite(change, target)


def _target(path: Path) -> Path:
    """The file to write for ``path``: itself, or what a symlink points to if that is in
    the repository the link is in (a link into another tree is not ours to change)."""
    from flylint.repository.root import Roots

    here = Path(path.parent).resolve() / path.name
    target = path.resolve()
    if target != here:
        root = Path(Roots().of(str(here)))
        if not target.is_relative_to(root):
            raise NotFixed(
                f"{path}: a symlink to {target}, outside the repository ({root}); not fixed"
            )
    return target


def _writable(target: Path, status: os.stat_result) -> bool:
    # os.access says yes to root for every file: a file without any write bit is read-only
    # by its owner's choice, and --fix does not override it.
    return os.access(target, os.W_OK) and bool(status.st_mode & 0o222)


def _replace(change: Change, target: Path, status: os.stat_result) -> bool:
    """Replace ``target`` atomically with a new file just like it; False, having changed
    nothing, when such a file cannot be made."""
    try:
        # mkstemp: an unpredictable name, created with O_EXCL, mode 0600.
        descriptor, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".flylint", dir=target.parent
        )
    except PermissionError:  # a directory we may not write: the file itself we may
        return False
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as f:
            f.write(change.after)
            f.flush()
            if not _same_identity(f.fileno(), temporary, target, status):
                temporary.unlink()
                return False
            os.fsync(f.fileno())
        if target.read_bytes() != change.before:  # changed while we were writing
            raise Conflict(f"{change.path} changed since flylint read it; not fixed")
        temporary.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return True


def _same_identity(descriptor: int, temporary: Path, target: Path, status: os.stat_result) -> bool:
    """Give the new file the owner, group, extended attributes and mode of ``target``;
    False when the OS does not let us (we may not give a file away)."""
    new = os.fstat(descriptor)
    try:
        if (new.st_uid, new.st_gid) != (status.st_uid, status.st_gid):
            os.fchown(descriptor, status.st_uid, status.st_gid)
        for name in _xattrs(target):
            value = os.getxattr(target, name)
            # A new file often has them already (an SELinux label): set only what differs.
            if name not in os.listxattr(descriptor) or os.getxattr(descriptor, name) != value:
                os.setxattr(descriptor, name, value)
    except OSError:
        return False
    # After chown, which clears the set-user-ID bits. (Windows has no fchmod before 3.13.)
    if hasattr(os, "fchmod"):
        os.fchmod(descriptor, status.st_mode & 0o7777)
    else:
        temporary.chmod(status.st_mode & 0o7777)
    return True


def _xattrs(target: Path) -> list[str]:
    if not hasattr(os, "listxattr"):  # not on macOS or Windows
        return []
    try:
        return os.listxattr(target)
    except OSError:  # a file system without extended attributes
        return []


def _overwrite(change: Change, target: Path) -> None:
    """Rewrite ``target`` in place through one descriptor, after checking it still holds
    what was read; its inode, links, owner and mode stay as they are."""
    flags = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(target, flags), "r+b") as f:
        if f.read() != change.before:
            raise Conflict(f"{change.path} changed since flylint read it; not fixed")
        f.seek(0)
        f.write(change.after)
        f.truncate()
        f.flush()
        os.fsync(f.fileno())
