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
    """Several patterns, split once: ``match`` is whether any of them matches. Patterns of
    the common shapes (``name``, ``prefix*``, ``*suffix``, ``*part*``) are grouped so that
    one C-level test settles each group."""

    __slots__ = ("exact", "other", "parts", "prefixes", "suffixes")

    def __init__(self, patterns: Iterable[str]) -> None:
        exact, prefixes, suffixes, parts, other = set(), [], [], [], []
        for pattern in patterns:
            split = _split(pattern)
            if split is None or len(split) > 3:
                other.append((pattern, split))
            elif len(split) == 1:
                exact.add(pattern)
            elif len(split) == 3 and split[0] == split[2] == "":
                parts.append(split[1])
            elif len(split) == 3:
                other.append((pattern, split))
            elif split[1] == "":
                prefixes.append(split[0])
            elif split[0] == "":
                suffixes.append(split[1])
            else:
                other.append((pattern, split))
        self.exact = frozenset(exact)
        self.prefixes = tuple(prefixes)
        self.suffixes = tuple(suffixes)
        self.parts = tuple(parts)
        self.other = tuple(other)

    def match(self, text: str) -> bool:
        return (
            text in self.exact
            or text.startswith(self.prefixes)
            or text.endswith(self.suffixes)
            or any(part in text for part in self.parts)
            or any(_matches(text, pattern, parts) for pattern, parts in self.other)
        )
