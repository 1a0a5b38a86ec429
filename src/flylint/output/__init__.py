"""Output formats. Each module renders a whole Report to a string."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from flylint.model import Report

FORMATS = ("text", "concise", "json", "sarif", "github")


class OutputOptions(NamedTuple):
    root: Path  # repository root: SARIF URIs are relative to it
    color: bool  # ANSI colour (text format only, and only on a TTY)


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
    return module.render(report, options)
