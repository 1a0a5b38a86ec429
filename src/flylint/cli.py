"""Command line: ``flylint check``, ``flylint rule``, ``flylint --version``."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from flylint import __version__
from flylint.registry.selection import UsageError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        jobs = -1
    if jobs < 0:
        raise argparse.ArgumentTypeError(f"expected a number of processes, got {value!r}")
    # More workers than CPUs only costs memory and start-up: -j 400 would fork 400.
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(jobs, cpus or 1) if jobs else cpus or 1


def _ids(value: str) -> list[str]:
    return [part for part in value.replace(" ", ",").split(",") if part]


class _HelpFormatter(argparse.HelpFormatter):
    """argparse builds a formatter for every argument it adds, each asking shutil for the
    terminal width (importing shutil costs ~2 ms at every start); ask the OS once, here."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_terminal_width())


@functools.cache
def _terminal_width() -> int:
    try:
        return max(int(os.environ.get("COLUMNS", "")), 40) - 2
    except ValueError:  # unset, or not a number
        pass
    try:
        return max(os.get_terminal_size(sys.__stdout__.fileno()).columns, 40) - 2
    except (AttributeError, ValueError, OSError):  # not a terminal, or no stdout at all
        return 78


def _parser() -> argparse.ArgumentParser:
    from flylint.output import FORMATS

    parser = argparse.ArgumentParser(
        prog="flylint",
        formatter_class=_HelpFormatter,
        description="Static security linter for apps deployed on Fly.io.",
    )
    parser.add_argument("--version", action="version", version=f"flylint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "check",
        formatter_class=_HelpFormatter,
        help="lint fly.toml files, Dockerfiles and Python source",
        description="Lint PATHs (files or directories, default: the current directory).",
    )
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    check.add_argument("--format", choices=FORMATS, default="text", help="output format")
    check.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the output to FILE")
    check.add_argument(
        "--select", type=_ids, metavar="IDS", help="only these rules (ids or prefixes, e.g. FLY1)"
    )
    check.add_argument(
        "--ignore", type=_ids, default=[], metavar="IDS", help="skip these rules (ids or prefixes)"
    )
    check.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when there are findings"
    )
    check.add_argument(
        "--fail-on",
        choices=("note", "warning", "error"),
        metavar="LEVEL",
        help="exit 1 only for findings at or above LEVEL (note, warning, error; default: "
        "the fail-on configured, else any finding); given, files that were not linted "
        "(too large, too deeply nested) count as warnings",
    )
    check.add_argument(
        "--min-confidence",
        choices=("low", "medium", "high"),
        metavar="LEVEL",
        help="show findings of at least this confidence (low, medium, high; default: "
        "the min-confidence configured, else medium)",
    )
    safe, unsafe = _fixable("safe"), _fixable("unsafe")
    check.add_argument(
        "--fix",
        action="store_true",
        help=f"apply the safe fixes to fly.toml files ({safe}: they cannot change "
        "what a deployed app does), then report what remains; secrets are never moved",
    )
    check.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help=f"with --fix, also apply the unsafe fixes ({unsafe}: they change what "
        "the deployed app does; see each rule's page)",
    )
    check.add_argument(
        "--exclude",
        action="append",
        metavar="PATTERN",
        help="do not lint the files a walk finds that match PATTERN (gitignore syntax, "
        "relative to the working directory), in place of the configuration's exclude",
    )
    check.add_argument(
        "--extend-exclude",
        action="append",
        metavar="PATTERN",
        help="as --exclude, in addition to the configuration's exclude",
    )
    check.add_argument(
        "--force-exclude",
        action="store_true",
        help="exclude the files named on the command line too (for pre-commit, which names them)",
    )
    check.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text format: auto (on a terminal, unless NO_COLOR is set; "
        "FORCE_COLOR forces it), always or never",
    )
    check.add_argument(
        "--exit-non-zero-on-fix",
        action="store_true",
        help="with --fix, exit 1 when a fix was applied, even if no finding remains",
    )
    check.add_argument(
        "--statistics",
        action="store_true",
        help="print how many findings each rule has, most first, instead of the findings",
    )
    check.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print the findings only (the text format without its summary), and no "
        "warning that nothing was linted",
    )
    check.add_argument(
        "--diff",
        action="store_true",
        help="print the fixes as unified diffs, safe then unsafe, each marked; write "
        "nothing (exit 1 when there is one)",
    )
    check.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="hide the findings listed in FILE; write FILE with every finding if it does not exist",
    )
    check.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="configuration file (default: the nearest flylint.toml, .flylint.toml or "
        "pyproject.toml with [tool.flylint])",
    )
    check.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default="0",
        metavar="N",
        help="lint many files in N processes, at most one per CPU (default 0: one per CPU; "
        "1: no workers)",
    )
    check.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the cache of results (default: in the user cache "
        "directory, or $FLYLINT_CACHE_DIR)",
    )
    check.add_argument(
        "--stdin-filename",
        type=Path,
        metavar="NAME",
        help="lint standard input as if it were the file NAME (for editors)",
    )

    commands.add_parser(
        "server",
        formatter_class=_HelpFormatter,
        help="run the language server (LSP over stdio) for editors",
        description="Language server for editors (needs: pip install 'flylint[lsp]').",
    )

    rule = commands.add_parser(
        "rule", formatter_class=_HelpFormatter, help="print a rule's documentation"
    )
    rule.add_argument("rule_id", nargs="?", metavar="RULE", help="a rule id such as FLY201")
    rule.add_argument("--all", action="store_true", help="list every rule")
    return parser


def _use_color(stream, choice: str = "auto") -> bool:
    """--color always/never decide; auto: NO_COLOR, then FORCE_COLOR, then a terminal."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def _check(args: argparse.Namespace) -> int:
    from flylint.diagnostics import Notice
    from flylint.engine import cache
    from flylint.engine import run as engine
    from flylint.files import reading
    from flylint.output import OutputOptions, render
    from flylint.output.text import printable
    from flylint.registry import selection
    from flylint.repository.root import Roots

    # Unknown rule ids and a bad --config are errors even when no file is linted.
    selection.select(args.select, args.ignore)
    if args.config is not None:
        from flylint.repository import settings

        settings.load(args.config)
    if args.unsafe_fixes and not args.fix:
        raise selection.UsageError("--unsafe-fixes goes with --fix (--diff shows every fix)")
    options = engine.Options(
        args.select,
        args.ignore,
        args.config,
        args.min_confidence,
        exclude=tuple(args.exclude) if args.exclude is not None else None,
        extend_exclude=tuple(args.extend_exclude or ()),
        force_exclude=args.force_exclude,
    )
    refusal = cache.active().refusal
    if refusal:
        print(f"flylint: warning: {printable(refusal)}", file=sys.stderr)
    fixed = False
    if args.stdin_filename is not None:
        if args.paths:
            raise selection.UsageError("--stdin-filename lints standard input: pass no PATH")
        if args.fix or args.diff:
            raise selection.UsageError("--fix and --diff change files on disk, not stdin")
        # One byte over the limit is enough to know the buffer is too large to lint.
        buffer = (args.stdin_filename, sys.stdin.buffer.read(reading.MAX_FILE_BYTES + 1))
        run = engine.lint([], options, stdin=buffer)
    else:
        paths = args.paths or [Path()]
        run = engine.lint(paths, options, jobs=args.jobs)
        if args.diff:
            return _diff(run)
        if args.fix and _fix(run, args.unsafe_fixes):
            fixed = True
            run = engine.lint(paths, options, jobs=args.jobs)
    for missing in run.missing:
        print(
            f"flylint: error: {printable(str(missing))}: no such file or directory", file=sys.stderr
        )
    # Text and concise output list the files not linted themselves; machine formats carry
    # them too, and standard error says it for the person reading a CI log.
    for notice in run.report.notices if args.format not in ("text", "concise") else ():
        kind = "error" if notice.error else "warning"
        # A file name, or a path a config names, may hold control characters.
        where, message = printable(str(notice.path)), printable(notice.message)
        print(f"flylint: {kind}: {where}: {message}", file=sys.stderr)
    # A path that does not exist is a path not linted, in every output: no format says
    # "no problems" of a run that fails for it.
    run.report.notices += [
        Notice(missing, "no such file or directory", error=True) for missing in run.missing
    ]
    nothing = not run.report.files_checked and not run.report.notices and not run.excluded
    if nothing and not args.quiet:
        # As ruff warns: a run that lints nothing is usually a mistaken path or exclude.
        named = ", ".join(printable(str(p)) for p in args.paths) or "."
        print(
            f"flylint: warning: nothing to lint in {named}: no Fly config, Dockerfile or "
            "Python file",
            file=sys.stderr,
        )

    cwd = Path.cwd()
    git = Roots().git_root(str(cwd))
    root = Path(git) if git else cwd
    if args.baseline is not None:
        from flylint.engine import baseline

        report = run.report
        if not args.baseline.exists():
            baseline.write(args.baseline, report.diagnostics, root)
            print(
                f"flylint: wrote {args.baseline} with {len(report.diagnostics)} findings; "
                "later runs with --baseline show only new ones",
                file=sys.stderr,
            )
            return EXIT_CLEAN
        hidden = baseline.known(report.diagnostics, baseline.read(args.baseline), root)
        report.diagnostics = [d for i, d in enumerate(report.diagnostics) if i not in hidden]
        report.baselined = len(hidden)
    to_file = args.output is not None
    options = OutputOptions(root=root, color=not to_file and _use_color(sys.stdout, args.color))
    if args.statistics:
        rendered = _statistics(run.report)
    else:
        rendered = render(args.format, run.report, options)
        if args.quiet and args.format == "text":
            rendered = rendered[: rendered.rfind("\n\n") + 1] if run.report.diagnostics else ""
    if to_file:
        args.output.write_text(rendered, encoding="utf-8")
    else:
        sys.stdout.write(rendered)

    if run.missing or any(notice.error for notice in run.report.notices):
        return EXIT_ERROR
    if fixed and args.exit_non_zero_on_fix and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN if args.exit_zero or not _fails(run.report, args.fail_on) else EXIT_FINDINGS


def _statistics(report) -> str:
    """How many findings each rule has, most first (ruff's --statistics): count, rule,
    name, and whether --fix (safe) or --fix --unsafe-fixes can fix them."""
    from collections import Counter

    from flylint.registry import rule_data

    rules = rule_data.rules()
    counts = Counter(d.rule_id for d in report.diagnostics)
    lines = []
    for rule_id, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        info = rules[rule_id]
        fix = {"safe": "[*] ", "unsafe": "[-] "}.get(info.fix_kind or "", "    ")
        lines.append(f"{count:>5}\t{rule_id}\t{fix}{info.name}")
    return "".join(f"{line}\n" for line in lines)


def _fails(report, fail_on: str | None) -> bool:
    """Whether the report holds a finding at or above ``fail_on``; when not given, one
    at or above the fail-on of its file's configuration (any finding, without one).
    With ``fail_on`` given, a file not linted counts as a warning."""
    if fail_on is None:
        return any(d not in report.passing for d in report.diagnostics)
    from flylint.registry import rule_data

    rules, rank = rule_data.rules(), rule_data.LEVELS.index  # most severe first
    if report.notices and rank("warning") <= rank(fail_on):
        return True
    return any(rank(rules[d.rule_id].level) <= rank(fail_on) for d in report.diagnostics)


class _Redacted:
    """A text stream whose every write goes through ``masking.redact``: nothing flylint
    prints (findings, notices, errors, diffs, tracebacks) can carry a credential.
    ``copy`` keeps what was written, redacted, for a run to be replayed."""

    def __init__(self, stream, copy: list[str] | None = None) -> None:
        self._stream = stream
        self._copy = copy

    def write(self, text: str) -> int:
        from flylint.detectors.masking import redact

        text = redact(text)
        if self._copy is not None:
            self._copy.append(text)
        return self._stream.write(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _count(findings: int, files: int | list) -> str:
    files = files if isinstance(files, int) else len(files)
    return (
        f"{findings} finding{'' if findings == 1 else 's'} "
        f"in {files} file{'' if files == 1 else 's'}"
    )


def _fixable(kind: str) -> str:
    """The rules with fixes of ``kind``, for --help (from the rule data, as the docs)."""
    from flylint.registry import rule_data

    try:
        return ", ".join(rule_data.fixable(kind)) or "none"
    except rule_data.DataError:  # the run reports it; --help must still print
        return "see `flylint rule --all`"


def _warn(messages: list[str]) -> None:
    from flylint.output.text import printable

    for message in messages:
        print(f"flylint: warning: {printable(message)}", file=sys.stderr)


def _diff(run) -> int:
    """The safe fixes as diffs of the files as they are, then the unsafe ones as diffs of
    the files the safe ones make (``patch`` applies them in turn), each headed by a line
    naming its kind and findings."""
    from flylint import fixes
    from flylint.detectors import masking
    from flylint.output.text import printable

    safe, unfixable = fixes.plan(run.report.diagnostics, run.fly_tomls, fixes.SAFE)
    _warn(unfixable)
    after_safe = {**run.fly_tomls, **{change.path: change.after for change in safe}}
    unsafe, unfixable = fixes.plan(run.report.diagnostics, after_safe, ("unsafe",))
    _warn(unfixable)
    shown: dict[str, list] = {"safe": [], "unsafe": []}
    groups = (("safe", "--fix", safe), ("unsafe", "--fix --unsafe-fixes", unsafe))
    for kind, options, changes in groups:
        for change in changes:
            try:
                text = fixes.diff(change)
            except Exception as exc:  # one file's failure must not cost the others their diffs
                _warn([fixes.failure(change.path, change.fixed, exc)])
                continue
            findings = printable(masking.redact(", ".join(change.findings)))
            sys.stdout.write(f"# flylint: {kind} fixes ({options}): {findings}\n{text}")
            shown[kind].append(change)
    counts = [
        f"{options} would fix {_count(sum(c.fixed for c in shown[kind]), shown[kind])}"
        for kind, options, _ in groups
        if shown[kind] or kind == "safe"
    ]
    print(f"flylint: {'; '.join(counts)}", file=sys.stderr)
    return EXIT_FINDINGS if shown["safe"] or shown["unsafe"] else EXIT_CLEAN


def _fix(run, unsafe: bool) -> bool:
    """Write the fixes (the unsafe ones too when asked); whether any file changed."""
    from flylint import fixes

    fixed = files = 0
    kinds = fixes.EVERY if unsafe else fixes.SAFE
    changes, unfixable = fixes.plan(run.report.diagnostics, run.fly_tomls, kinds)
    _warn(unfixable)
    for change in changes:
        try:
            fixes.write(change)
        except Exception as exc:  # refused, changed meanwhile, an OS error, or a bug
            _warn([fixes.failure(change.path, change.fixed, exc)])
            continue
        fixed += change.fixed
        files += 1
    print(f"flylint: fixed {_count(fixed, files)}", file=sys.stderr)
    held = [] if unsafe else fixes.fixable(run.report.diagnostics, ("unsafe",))
    if held:
        print(
            f"flylint: {len(held)} unsafe fix{'' if len(held) == 1 else 'es'} not applied: "
            "they change what the deployed app does (--diff shows them, --fix "
            "--unsafe-fixes applies them)",
            file=sys.stderr,
        )
    return files > 0


def _server() -> int:
    try:
        from flylint.server import app
    except ImportError as exc:
        raise UsageError(
            f"the language server needs {exc.name}: pip install 'flylint[lsp]'"
        ) from exc
    return app.main()


def _rule(args: argparse.Namespace) -> int:
    from flylint.registry import docs, rule_data

    known = rule_data.rules()
    if args.all or not args.rule_id:
        for info in known.values():
            print(f"{info.id}  {info.name:<28} {info.summary}")
        return EXIT_CLEAN
    info = known.get(args.rule_id.upper())
    if info is None:
        print(f"flylint: error: unknown rule {args.rule_id!r}", file=sys.stderr)
        return EXIT_ERROR
    # The page as docs/rules/ holds it, without the comment that says it is generated.
    page = docs.rule_page(info)
    sys.stdout.write(page.split("\n", 1)[1] if page.startswith("<!--") else page)
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help/--version
        return int(exc.code or 0)
    from flylint.engine import cache

    cache.configure(None if getattr(args, "no_cache", False) else cache.default_dir())
    if args.command != "check":
        return _run(args)
    from flylint.engine import replay

    words = list(sys.argv[1:] if argv is None else argv)
    recording = None
    if cache.active().directory is not None and replay.replayable(words):
        recording = replay.Recording(words)
    # What a check prints quotes the repository and its configuration: all is redacted.
    streams = sys.stdout, sys.stderr
    out, err = (recording.out, recording.err) if recording else (None, None)
    sys.stdout, sys.stderr = _Redacted(sys.stdout, out), _Redacted(sys.stderr, err)
    try:
        code = _run(args)
    except BaseException:
        if recording is not None:
            recording.abandon()
        raise
    finally:
        sys.stdout, sys.stderr = streams
    if recording is not None:
        recording.finish(code)
    return code


def _run(args: argparse.Namespace) -> int:
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "server":
            return _server()
        return _rule(args)
    except UsageError as exc:
        print(f"flylint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"flylint: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # the contract is exit 2, never a bare traceback
        print(
            f"flylint: internal error: {type(exc).__name__}. Please report it at "
            "https://github.com/flylint/flylint/issues (run with FLYLINT_DEBUG=1 for details).",
            file=sys.stderr,
        )
        if os.environ.get("FLYLINT_DEBUG"):
            raise
        return EXIT_ERROR
