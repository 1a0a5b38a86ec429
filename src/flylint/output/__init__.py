"""Output formats. Each module renders a whole Report to a string."""

from __future__ import annotations

from pathlib import Path

from flylint.diagnostics import Report
from flylint.support.lazy_regex import Regex
from flylint.support.records import Record

FORMATS = ("text", "concise", "json", "sarif", "github")

_SURROGATE = Regex(r"[\ud800-\udfff]")


class OutputOptions(Record):
    __slots__ = ("color", "root")

    def __init__(self, root: Path, color: bool) -> None:
        self.root = root  # repository root: SARIF URIs are relative to it
        self.color = color  # ANSI colour (text format only, and only on a TTY)


def escape_surrogates(text: str) -> str:
    """``text`` with each lone surrogate written as a ``\\udcXX`` escape. A byte of a file
    name that is not UTF-8 reaches Python as one, and UTF-8 output cannot hold it; a JSON
    reader turns the escape back into the same character."""
    if text.isascii():
        return text
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def json_text(document: object) -> str:
    """``document`` as indented JSON, non-ASCII text kept readable."""
    import json

    return escape_surrogates(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def render(fmt: str, report: Report, options: OutputOptions) -> str:
    """Render ``report`` in format ``fmt`` (one of FORMATS)."""
    # Imported on demand: a run pays only for the format it prints.
    if fmt == "text":
        from flylint.output import text as module
    elif fmt == "concise":
        from flylint.output import concise as module
    elif fmt == "json":
        from flylint.output import json as module
    elif fmt == "sarif":
        from flylint.output import sarif as module
    elif fmt == "github":
        from flylint.output import github as module
    else:
        raise ValueError(f"unknown format {fmt!r}")
    from flylint.detectors.masking import redact

    return redact(module.render(report, options))
