"""Baselines: adopt flylint on an existing repository and see only new findings.

``--baseline FILE`` writes FILE with every current finding when it does not exist, and
otherwise hides the findings it lists. Findings are keyed by fingerprint (rule, file,
logical place), so they stay known when lines move. Delete the file to start over.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from flylint import __version__
from flylint.detectors.masking import redact
from flylint.diagnostics import Diagnostic
from flylint.output import json_text
from flylint.output.fingerprints import fingerprints
from flylint.registry.selection import UsageError

SCHEMA_VERSION = 1


def write(path: Path, diagnostics: list[Diagnostic], root: Path) -> None:
    entries = [
        {"fingerprint": fp, "rule": d.rule_id, "path": d.path.as_posix(), "message": d.message}
        for d, fp in zip(diagnostics, fingerprints(diagnostics, root), strict=True)
    ]
    document = {"schema_version": SCHEMA_VERSION, "flylint_version": __version__,
                "findings": entries}  # fmt: skip
    text = redact(json_text(document))  # a path can hold what a message may not
    # Written whole or not at all: a temporary file in the same directory, then a rename.
    directory = path.parent if str(path.parent) else Path()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read(path: Path) -> frozenset[str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return frozenset(entry["fingerprint"] for entry in document["findings"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path}: not a flylint baseline ({exc})") from exc


def known(diagnostics: list[Diagnostic], baseline: frozenset[str], root: Path) -> set[int]:
    """Indexes of the diagnostics the baseline already lists."""
    return {index for index, fp in enumerate(fingerprints(diagnostics, root)) if fp in baseline}
