"""Regular expressions compiled on first use.

flylint's modules and catalogs define dozens of patterns, ``re.compile`` costs 0.05-0.5 ms
each, and a typical run matches with a handful: compiling them all at import took ~3 ms of
a one-file run.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_METHODS = ("match", "fullmatch", "search", "finditer", "findall", "sub", "split")


class Regex:
    """Used as a compiled ``re.Pattern``; compiles on the first attribute asked for."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    def __getattr__(self, name: str) -> Any:
        # Called only for attributes this object lacks: from the first use on, the compiled
        # pattern's methods are its own, found without coming here again.
        compiled = re.compile(self.pattern, self.flags)
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)
