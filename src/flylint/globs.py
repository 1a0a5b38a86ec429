"""Shell-style patterns (``*_URL``, ``*key*.pem``) matched as ``fnmatch.fnmatchcase`` does,
without compiling a regex for each: the rule catalogs hold ~100 patterns whose only
wildcard is ``*``, and compiling them cost ~6 ms of every run."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable


def _split(pattern: str) -> tuple[str, ...] | None:
    """The literal parts between the ``*`` of a pattern; None when it has ``?`` or ``[``."""
    return None if "?" in pattern or "[" in pattern else tuple(pattern.split("*"))


def _matches(text: str, pattern: str, parts: tuple[str, ...] | None) -> bool:
    if parts is None:
        return fnmatch.fnmatchcase(text, pattern)
    if len(parts) == 1:
        return text == pattern
    first, last = parts[0], parts[-1]
    if len(text) < len(first) + len(last) or not text.startswith(first):
        return False
    if not text.endswith(last):
        return False
    # Each middle part at its leftmost place: for "*" alone that is always a match if any is.
    position, end = len(first), len(text) - len(last)
    for part in parts[1:-1]:
        found = text.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


def match(text: str, pattern: str) -> bool:
    return _matches(text, pattern, _split(pattern))


class Globs:
    """Several patterns, split once: ``match`` is whether any of them matches."""

    __slots__ = ("patterns",)

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple((pattern, _split(pattern)) for pattern in patterns)

    def match(self, text: str) -> bool:
        return any(_matches(text, pattern, parts) for pattern, parts in self.patterns)
