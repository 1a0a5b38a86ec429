"""The standard library's TOML parser (tomli before Python 3.11), imported on first use:
a run that reads no TOML (a Dockerfile, no configuration file) does not pay ~4 ms for it."""

from __future__ import annotations

import sys
from types import ModuleType


def module() -> ModuleType:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised only on 3.10
        import tomli as tomllib
    return tomllib
