"""Where flylint's code and rule data are, and a signature of them: in a source checkout,
editing a rule, a catalog or the code must not serve results of the old one. Plain ``os``
paths: a replayed run computes the signature before anything else is imported."""

from __future__ import annotations

import os

from flylint.support.digests import blake2b

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rules_dir() -> str | None:
    """The rules/ directory: inside the installed wheel, or at the root of a source
    checkout (editable installs map only src/ into site-packages); None if neither."""
    packaged = os.path.join(PACKAGE, "rules_data")
    if os.path.isdir(packaged):
        return packaged
    checkout = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(PACKAGE))), "rules")
    return checkout if os.path.isdir(checkout) else None


def tree_signature(*directories: str) -> str:
    """Names, sizes and modification times of the files directly in ``directories``."""
    entries = []
    for directory in directories:
        try:
            with os.scandir(directory) as listing:
                for entry in listing:
                    if entry.is_file():
                        status = entry.stat()
                        entries.append(f"{entry.path}:{status.st_size}:{status.st_mtime_ns}")
        except OSError:
            entries.append(f"{directory}:missing")
    entries.sort()
    return blake2b("\n".join(entries).encode(), digest_size=16).hexdigest()


def code_signature() -> str:
    """The signature of the package's modules (its folders one level deep, as laid out)
    and of the rule data."""
    folders = [PACKAGE]
    with os.scandir(PACKAGE) as listing:
        folders += sorted(e.path for e in listing if e.is_dir() and e.name != "__pycache__")
    rules = rules_dir()
    if rules is not None:
        folders += [rules, os.path.join(rules, "catalogs")]
    return tree_signature(*folders)
