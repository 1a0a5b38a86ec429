"""The targets bench/run.py judges, from the figures the sections recorded."""

from __future__ import annotations

from measure import Sample
from report import Target
from sections import NOT_AVAILABLE, Bench


def _ratio(sample: Sample | None, other: Sample | None) -> float | None:
    return None if sample is None or other is None else sample.median / other.median


def _ms(sample: Sample | None) -> str:
    return f"{sample.median * 1000:.0f} ms" if sample is not None else "?"


def one_file(bench: Bench, noun: str, floor: str, stdlib: str | None) -> Target:
    """One file end to end within 2x the floor: ``--no-cache`` median over floor median."""
    lint, base = bench.figures.get(f"one {noun}"), bench.figures.get(f"one {noun}, {floor}")
    goal = f"one {noun} end to end within 2x the floor ({floor})"
    ratio = _ratio(lint, base)
    if ratio is None:
        return Target(goal, "not measured", None)
    figure = f"{ratio:.2f}x ({_ms(lint)} vs {_ms(base)})"
    other = _ratio(lint, bench.figures.get(f"one {noun}, {stdlib}")) if stdlib else None
    if other is not None:
        figure += f"; {other:.2f}x the stdlib-only floor"
    return Target(goal, figure, ratio <= 2)


def hadolint(bench: Bench) -> Target:
    goal = f"{bench.sizes.dockerfiles} Dockerfiles at least as fast as hadolint"
    ratio = _ratio(bench.figures.get("Dockerfile corpus"), bench.figures.get("hadolint"))
    if ratio is None:
        return Target(goal, "hadolint not run", None)
    return Target(goal, f"flylint/hadolint = {ratio:.2f}", ratio <= 1)


def checkov(bench: Bench) -> Target:
    goal = f"{bench.sizes.dockerfiles} Dockerfiles at least 20x faster than checkov"
    faster = _ratio(bench.figures.get("checkov"), bench.figures.get("Dockerfile corpus"))
    if faster is None:
        return Target(goal, "checkov not run", None)
    return Target(goal, f"{faster:.1f}x faster than `--framework dockerfile`", faster >= 20)


def both_cores(bench: Bench) -> Target:
    """``-j 2`` beats ``-j 1`` and keeps more than 1.5 cores busy on average."""
    goal = "monorepo: both cores used with `-j 2` (faster than `-j 1`, over 1.5 cores busy)"
    serial, parallel = bench.figures.get("monorepo -j 1"), bench.figures.get("monorepo -j 2")
    faster = _ratio(serial, parallel)
    if faster is None or parallel is None:
        return Target(goal, NOT_AVAILABLE, None)
    busy = parallel.cores_busy
    figure = f"{faster:.2f}x faster than `-j 1`, {busy:.2f} cores busy"
    return Target(goal, figure, faster > 1 and busy > 1.5)


def cache(bench: Bench) -> Target:
    goal = "second pre-commit-style run over an unchanged tree at least 5x faster than the first"
    faster = _ratio(bench.figures.get("cache cold"), bench.figures.get("cache warm"))
    if faster is None:
        return Target(goal, NOT_AVAILABLE, None)
    return Target(goal, f"{faster:.1f}x faster", faster >= 5)


def memory(bench: Bench) -> Target:
    goal = "peak RSS under 150 MB on the largest corpus (the largest of every flylint run)"
    if bench.largest_rss is None:
        return Target(goal, "not measured: no /usr/bin/time", None)
    megabytes, which = bench.largest_rss
    return Target(goal, f"{megabytes:.0f} MB: {which}", megabytes < 150)


def wall_clock(bench: Bench, full: bool) -> list[Target]:
    """The earlier absolute targets; judged only at the full corpus sizes."""
    figures = bench.figures
    python = [figures.get("Python corpus"), figures.get("Python corpus, walk")]
    slower = max((s for s in python if s is not None), key=lambda s: s.median, default=None)
    checks = [
        ("200 fly.toml in under 1 s", figures.get("fly.toml corpus"), 1.0),
        ("500 Dockerfiles in under 2 s", figures.get("Dockerfile corpus"), 2.0),
        ("10,000 Python files in under 3 s (the slower of FILES and DIR)", slower, 3.0),
    ]
    targets = []
    for goal, sample, limit in checks:
        if sample is None or not full:
            targets.append(Target(goal, "not measured at this size", None))
        else:
            targets.append(Target(goal, f"{sample.median:.2f} s", sample.median < limit))
    save = bench.lsp_save_ms
    goal = "language server answers a didSave within 100 ms"
    if save is None:
        targets.append(Target(goal, "not run", None))
    else:
        targets.append(Target(goal, f"{save:.1f} ms median", save < 100))
    return targets


def judge(bench: Bench, full: bool) -> list[Target]:
    return [
        one_file(bench, "fly.toml", "tomllib", None),
        one_file(bench, "Dockerfile", "dockerfile-parse", "stdlib read + split lines"),
        hadolint(bench),
        checkov(bench),
        both_cores(bench),
        cache(bench),
        memory(bench),
        *wall_clock(bench, full),
    ]
