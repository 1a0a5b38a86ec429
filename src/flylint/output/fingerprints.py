"""Stable identities for findings: the same finding keeps its fingerprint when unrelated
lines move, so code scanning alerts and baselines follow it."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from flylint.diagnostics import Diagnostic


def repo_path(path: Path, root: Path) -> str | None:
    """``path`` relative to the repository root, in posix form; None when it is outside."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def fingerprints(diagnostics: Iterable[Diagnostic], root: Path) -> list[str]:
    """One fingerprint per diagnostic, in order. Built from the rule, the file and the
    finding's logical anchor (a key path, not a line number); a counter keeps repeated
    findings with the same anchor distinct."""
    seen: Counter[tuple[str, str, str]] = Counter()
    result = []
    for diagnostic in diagnostics:
        where = repo_path(diagnostic.path, root) or diagnostic.path.as_posix()
        identity = (diagnostic.rule_id, where, diagnostic.anchor or diagnostic.message)
        occurrence = seen[identity]
        seen[identity] += 1
        material = "\0".join((*identity, str(occurrence)))
        result.append(hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()[:32])
    return result
