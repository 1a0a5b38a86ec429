"""The ``flylint`` command: a run replayed when it can be (flylint.engine.replay, which
imports almost nothing), else the command line (flylint.cli)."""

from __future__ import annotations

import sys


def main() -> int:
    from flylint.engine import replay

    replayed = replay.attempt(sys.argv[1:])
    if replayed is not None:
        return replayed
    from flylint import cli

    return cli.main()
