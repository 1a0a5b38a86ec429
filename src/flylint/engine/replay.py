"""A run replayed: ``flylint check`` invoked again as before (the same arguments, working
directory, terminals and environment flylint reads) over files none of which changed
prints what it printed and exits as it exited, without linting.

A replayable run records everything it looked at on disk (flylint.support.observed): the
files it read, the directories it listed, the paths it probed and found missing, each
with its stat signature. Its output and exit code are kept in the cache directory, in
``<version>/runs/``, one sealed file per invocation, under a key of the invocation and of
flylint's code and rule data. A later run with that key stats each recorded path; one
signature that differs (a file edited, added, removed or renamed; a directory listing
that changed; a configuration created) and the run lints as usual. Only the output is
kept, already masked: it holds no secret. A run that looked at a path changed within
RACY_NS of its start is not kept (the change may not show in the signature).

Runs that write files (``--fix``, ``--baseline``, ``--output``), read standard input,
or pass an option this module does not know (argparse accepts abbreviations) are never
replayed; nor is any run with the cache off. This module imports nothing costly: a
replay starts, stats and prints in the time Python takes to start.
"""

from __future__ import annotations

import os
import sys
import time

from flylint import __version__
from flylint.engine import sealed
from flylint.support import digests, installation, observed

FORMAT = "flylint-run-1"
_MAGIC = FORMAT.encode("ascii") + b"\n"
MAX_RUN_BYTES = 16 * 1024 * 1024  # a run's record larger than this is neither kept nor read
KEPT_RUNS = 64  # the most recently kept runs; older ones are deleted when one is kept
RACY_NS = 3_000_000_000  # as the cache's: a path changed this close to the run is not trusted

# The options of ``check`` that leave a run replayable, spelled out in full.
_WITH_VALUE = frozenset(
    {"--format", "--select", "--ignore", "--fail-on", "--min-confidence", "--config", "--jobs"}
)
_FLAGS = frozenset({"--exit-zero"})
# What flylint reads of its environment, and what decides where the cache is.
_ENVIRONMENT = (
    "FLYLINT_CACHE_DIR", "FLYLINT_DEBUG", "NO_COLOR", "FORCE_COLOR", "HOME",
    "XDG_CACHE_HOME", "LOCALAPPDATA",
)  # fmt: skip


def replayable(argv: list[str]) -> bool:
    """Whether the command line ``argv`` (without the program name) may be replayed."""
    return _paths(argv) is not None


def _paths(argv: list[str]) -> list[str] | None:
    """The paths a replayable command line names (the working directory when none); None
    when it is not replayable."""
    if not argv or argv[0] != "check":
        return None
    paths: list[str] = []
    expect_value = only_paths = False
    for word in argv[1:]:
        if expect_value:
            expect_value = False
        elif only_paths:
            paths.append(word)
        elif word == "--":
            only_paths = True
        elif word.startswith("--"):
            name, equals, _ = word.partition("=")
            if name in _WITH_VALUE:
                expect_value = not equals
            elif equals or name not in _FLAGS:
                return None
        elif word.startswith("-j") and (word == "-j" or word[2:].isdigit()):
            expect_value = word == "-j"
        elif word.startswith("-") and word != "-":
            return None
        else:
            paths.append(word)
    if expect_value:
        return None
    return [os.path.abspath(path) for path in paths or ["."]]


def _key(argv: list[str]) -> str:
    terminals = [_isatty(sys.stdout), _isatty(sys.stderr)]
    environment = [f"{name}={os.environ.get(name)!r}" for name in _ENVIRONMENT]
    return digests.key(
        FORMAT,
        __version__,
        installation.code_signature(),
        sys.version,
        os.getcwd(),
        repr(terminals),
        *environment,
        "\0".join(argv),
    )


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except (OSError, ValueError):  # closed
        return False


def _runs_dir() -> str | None:
    """The directory of kept runs, if the cache directory may be used."""
    root = sealed.default_dir()
    version = os.path.join(root, __version__)
    runs = os.path.join(version, "runs")
    if any(sealed.refusal(directory) is not None for directory in (root, version, runs)):
        return None
    return runs


def attempt(argv: list[str]) -> int | None:
    """Print what the kept run of this invocation printed and give its exit code; None
    when there is none or anything it looked at changed."""
    named = _paths(argv)
    if named is None:
        return None
    try:
        runs = _runs_dir()
        if runs is None:
            return None
        data = sealed.read(os.path.join(runs, _key(argv)), MAX_RUN_BYTES)
    except (OSError, ValueError):
        return None
    payload = sealed.unseal(_MAGIC, data) if data is not None else None
    if payload is None:
        return None
    try:
        kept = sealed.loads(payload)
    except Exception:  # garbage that passed the check cannot happen; foreign data can
        return None
    if not (type(kept) is tuple and len(kept) == 5 and kept[0] == FORMAT):
        return None
    _, inputs, out, err, code = kept
    if not (type(inputs) is dict and type(out) is str and type(err) is str and type(code) is int):
        return None
    # A record that does not vouch for the paths named cannot be this run's (one forged
    # in a cache restored from elsewhere cannot know their inodes and times).
    if any(path not in inputs for path in named):
        return None
    for path, recorded in inputs.items():
        if type(path) is not str or observed.signature(path) != recorded:
            return None
    sys.stdout.write(out)
    sys.stdout.flush()
    sys.stderr.write(err)
    return code


class Recording:
    """One replayable run being recorded: what it prints (through ``tee``) and what it
    looks at, kept by ``finish``."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.started = time.time_ns()  # before anything of the run is looked at
        self.out: list[str] = []
        self.err: list[str] = []
        observed.start()

    def finish(self, code: int) -> None:
        """Keep the run, unless it failed (exit 2: a usage error, a file that could not be
        read) or something it looked at is too recent to trust."""
        inputs = observed.stop()
        if inputs is None or code not in (0, 1) or self._racy(inputs):
            return
        record = (FORMAT, inputs, "".join(self.out), "".join(self.err), code)
        try:
            runs = _runs_dir()
            if runs is None:
                return
            data = sealed.seal(_MAGIC, sealed.dumps(record))
            if len(data) > MAX_RUN_BYTES:
                return
            if not os.path.isdir(runs):
                # Inside the version's directory, which this run's cache save made (0700,
                # tagged): made the same way, and checked again.
                os.mkdir(runs, 0o700)
                os.chmod(runs, 0o700)  # mkdir's mode is filtered by the umask
                if sealed.refusal(runs) is not None:
                    return
            sealed.write(os.path.join(runs, _key(self.argv)), data)
            _prune(runs)
        except (OSError, ValueError):
            return  # a run not kept costs speed only

    def abandon(self) -> None:
        observed.stop()

    def _racy(self, inputs: dict[str, observed.Signature]) -> bool:
        newest = self.started - RACY_NS
        for recorded in inputs.values():
            if recorded is None:
                continue
            # mtime and ctime of the path, and of a symbolic link's target
            times = recorded[2:4] + recorded[8:10]
            if any(t > newest for t in times):
                return True
        return False


def _prune(runs: str) -> None:
    """Delete the oldest kept runs beyond KEPT_RUNS."""
    import contextlib  # when a run is kept only: not on a replay's path

    with os.scandir(runs) as listing:
        kept = [(e.stat().st_mtime_ns, e.path) for e in listing if not e.name.startswith(".")]
    for _, path in sorted(kept)[: max(len(kept) - KEPT_RUNS, 0)]:
        with contextlib.suppress(OSError):
            os.unlink(path)
