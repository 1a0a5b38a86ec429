"""Process timing for bench/run.py: wall time with ``time.perf_counter`` around each run,
CPU time from ``os.wait4`` and peak RSS from ``/usr/bin/time -f %M``.

Peak RSS cannot come from ``os.wait4`` here: a child's ``ru_maxrss`` starts at the RSS of
the process that spawned it (Linux carries the spawner's high-water mark across exec), so
every command would weigh at least as much as this script. Under ``/usr/bin/time`` the
spawner is a tiny C program and ``%M`` is the command's own figure.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

TIME = Path("/usr/bin/time")


@dataclass
class Sample:
    """The timed runs of one command, and the peak RSS of one run of it."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_rss_kb: int | None = None  # None: no /usr/bin/time on this machine

    @property
    def best(self) -> float:
        return min(self.wall)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cores_busy(self) -> float:
        """CPU seconds (user + system, workers included) per wall second, of the medians."""
        return statistics.median(self.cpu) / self.median

    @property
    def peak_rss_mb(self) -> float | None:
        return None if self.peak_rss_kb is None else self.peak_rss_kb / 1024


class CommandFailed(RuntimeError):
    pass


def clean_environment(cache_dir: Path) -> dict[str, str]:
    """The caller's environment without ``PYTHONDONTWRITEBYTECODE`` (an installed package
    runs from bytecode; without .pyc files every start recompiles every module), with the
    flylint cache in ``cache_dir``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["FLYLINT_CACHE_DIR"] = str(cache_dir)
    return env


def run_once(
    command: Sequence[str], env: dict[str, str], cwd: Path, output: IO[bytes] | None = None
) -> tuple[float, float]:
    """Run ``command``, its output discarded (or written to ``output``): its (wall, CPU)
    seconds. Exit status 0 and 1 (findings) are success; anything else raises
    ``CommandFailed``."""
    return run_together([command], env, cwd, output)


def run_together(
    commands: Sequence[Sequence[str]],
    env: dict[str, str],
    cwd: Path,
    output: IO[bytes] | None = None,
) -> tuple[float, float]:
    """Start every command at once (each spawned without waiting for the others), output
    as ``run_once``: the wall seconds until the last one exits, and the CPU seconds of them
    all. Any exit status but 0 and 1 raises ``CommandFailed``."""
    with tempfile.TemporaryFile() as errors:
        stdout = subprocess.DEVNULL if output is None else output
        start = time.perf_counter()
        processes = [
            subprocess.Popen(command, stdout=stdout, stderr=errors, env=env, cwd=cwd)
            for command in commands
        ]
        cpu, failed = 0.0, None
        for process in processes:
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            cpu += usage.ru_utime + usage.ru_stime
            if process.returncode not in (0, 1) and failed is None:
                failed = process
        elapsed = time.perf_counter() - start
        if failed is not None:
            errors.seek(0)
            message = errors.read().decode(errors="replace")[-2000:]
            raise CommandFailed(f"{failed.args[0]} exited {failed.returncode}: {message}")
    return elapsed, cpu


def run_with_rss(
    command: Sequence[str], env: dict[str, str], cwd: Path
) -> tuple[float, float, int | None]:
    """``run_once`` under ``/usr/bin/time -f %M``, with the peak RSS in KiB it reports."""
    if not TIME.exists():
        return (*run_once(command, env, cwd), None)
    with tempfile.NamedTemporaryFile("r") as report:
        wall, cpu = run_once([str(TIME), "-f", "%M", "-o", report.name, *command], env, cwd)
        # the last line: GNU time puts "Command exited with non-zero status 1" before it
        return wall, cpu, int(report.read().split()[-1])


class Timer:
    """Runs commands in ``cwd`` with a clean environment and a new, empty cache dir under
    ``scratch`` for each measurement."""

    def __init__(self, scratch: Path, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.scratch = scratch
        self.cwd = cwd
        self.env = env or {}  # set in every environment, over the caller's

    def fresh_env(self) -> dict[str, str]:
        cache_dir = Path(tempfile.mkdtemp(prefix="cache-", dir=self.scratch))
        return {**clean_environment(cache_dir), **self.env}

    def measure(self, commands: Sequence[Sequence[str]], repeat: int) -> list[Sample]:
        """``repeat`` rounds running each command once, in turn, so that a change in the
        machine's load weighs on all of them alike; before them, an untimed warm-up run of
        each under ``/usr/bin/time`` for its peak RSS. Each command has its own cache dir."""
        envs = [self.fresh_env() for _ in commands]
        samples = [
            Sample(peak_rss_kb=run_with_rss(command, env, self.cwd)[2])
            for command, env in zip(commands, envs, strict=True)
        ]
        for _ in range(repeat):
            for command, env, sample in zip(commands, envs, samples, strict=True):
                self.add(sample, run_once(command, env, self.cwd))
        return samples

    def measure_slow(self, command: Sequence[str], repeat: int) -> Sample:
        """``repeat`` runs and no warm-up, the first under ``/usr/bin/time`` (whose ~1 ms
        does not matter to a command of seconds)."""
        env = self.fresh_env()
        wall, cpu, rss = run_with_rss(command, env, self.cwd)
        sample = Sample([wall], [cpu], rss)
        for _ in range(repeat - 1):
            self.add(sample, run_once(command, env, self.cwd))
        return sample

    def cold_and_warm(self, command: Sequence[str], repeat: int) -> tuple[Sample, Sample]:
        """``repeat`` rounds of a run with an empty cache dir, then the same command again
        over the unchanged files with the cache the first run wrote; after one untimed
        round under ``/usr/bin/time`` for the peak RSS of each."""
        ((cold, warm),) = self.pairs([(command, command)], repeat)
        return cold, warm

    def pairs(
        self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]], repeat: int
    ) -> list[tuple[Sample, Sample]]:
        """``repeat`` rounds running each pair in turn: its first command with a new, empty
        cache dir, then its second with the cache the first wrote; after one untimed round
        under ``/usr/bin/time`` for the peak RSS of each command."""
        samples = []
        for first, then in pairs:
            env = self.fresh_env()
            rss = [run_with_rss(command, env, self.cwd)[2] for command in (first, then)]
            samples.append((Sample(peak_rss_kb=rss[0]), Sample(peak_rss_kb=rss[1])))
        for _ in range(repeat):
            for (first, then), (cold, warm) in zip(pairs, samples, strict=True):
                env = self.fresh_env()
                self.add(cold, run_once(first, env, self.cwd))
                self.add(warm, run_once(then, env, self.cwd))
        return samples

    @staticmethod
    def add(sample: Sample, run: tuple[float, float]) -> None:
        sample.wall.append(run[0])
        sample.cpu.append(run[1])
