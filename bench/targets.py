"""The targets bench/run.py judges, from the figures the sections recorded."""

from __future__ import annotations

from measure import Sample
from report import Target
from sections import NOT_AVAILABLE, ON_SAVE_KB, Bench


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


def whole_tree(bench: Bench, name: str) -> list[Target]:
    """On an unchanged tree, a run with the cache at least 5x faster than with an empty
    cache dir: the walk again, the named files again, the named files after the walk."""
    figures = bench.figures
    checks = [
        ("`flylint check .` again", "walk cold", "walk warm"),
        ("`flylint check FILES` again (pre-commit-style)", "files cold", "files warm"),
        ("`flylint check FILES` after `flylint check .`", "files cold", "files after walk"),
    ]
    targets = []
    for what, cold, warm in checks:
        goal = f"{name}: {what} on the unchanged tree at least 5x faster than its cold run"
        cold_sample, warm_sample = figures.get(f"{name}: {cold}"), figures.get(f"{name}: {warm}")
        faster = _ratio(cold_sample, warm_sample)
        if faster is None:
            targets.append(Target(goal, NOT_AVAILABLE, None))
        else:
            figure = f"{faster:.2f}x faster ({_ms(cold_sample)} vs {_ms(warm_sample)})"
            targets.append(Target(goal, figure, faster >= 5))
    return targets


def pre_commit(bench: Bench) -> Target:
    goal = (
        "`pre-commit run --all-files` again on an unchanged repository: the hook at least 5x "
        "faster than in the first run"
    )
    figures = bench.figures
    first, second = figures.get("pre-commit first"), figures.get("pre-commit second")
    faster = _ratio(figures.get("pre-commit hook first"), figures.get("pre-commit hook second"))
    if faster is None:
        return Target(goal, "not run", None)
    figure = f"hook {faster:.2f}x faster; whole runs {_ms(first)} then {_ms(second)}"
    return Target(goal, figure, faster >= 5)


def concurrent_batches(bench: Bench) -> Target:
    goal = (
        "two concurrent batches lose no cache entry: the run over every file after them "
        "writes nothing to the cache and takes at most 1.5x a warm run"
    )
    follow_up, warm = bench.figures.get("batches follow-up"), bench.figures.get("batches warm")
    ratio = _ratio(follow_up, warm)
    if ratio is None or bench.batch_writes is None:
        return Target(goal, NOT_AVAILABLE, None)
    wrote, rounds = bench.batch_writes
    figure = (
        f"wrote in {wrote} of {rounds} rounds; {_ms(follow_up)}, {ratio:.2f}x the warm run "
        f"({_ms(warm)})"
    )
    return Target(goal, figure, wrote == 0 and ratio <= 1.5)


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


def keystrokes(bench: Bench) -> list[Target]:
    """The editor targets: a keystroke in a 100 KB Python file updates its diagnostics
    within 150 ms of the last keystroke, and a burst of edits costs one lint."""
    goal = "language server: a keystroke in a 100 KB Python file, diagnostics within 150 ms"
    burst_goal = "language server: a burst of 10 keystrokes 30 ms apart publishes once"
    if bench.lsp_keystroke_ms is None or bench.lsp_burst is None:
        return [Target(goal, "not run", None), Target(burst_goal, "not run", None)]
    after, publishes = bench.lsp_burst
    figure = f"{bench.lsp_keystroke_ms:.1f} ms median; {after:.1f} ms after a burst's last"
    worst = max(bench.lsp_keystroke_ms, after)
    return [
        Target(goal, figure, worst <= 150),
        Target(burst_goal, f"at most {publishes} publish(es) per burst", publishes == 1),
    ]


def real_repositories(bench: Bench) -> list[Target]:
    """Over the real repositories (sums of medians): cold within 1.5x the floor, at least
    8x faster than bandit, warm at least 10x faster than cold."""
    goals = [
        "real repositories: `flylint check .` cold within 1.5x the floor (read + `ast.parse`)",
        "real repositories: at least 8x faster than bandit",
        "real repositories: warm cache at least 10x faster than cold",
    ]
    totals = bench.real_totals
    if totals is None:
        return [Target(goal, "not run", None) for goal in goals]
    cold = totals["cold"]
    floor, bandit, warm = cold / totals["floor"], totals["bandit"] / cold, cold / totals["warm"]
    return [
        Target(goals[0], f"{floor:.2f}x ({cold:.1f} s vs {totals['floor']:.1f} s)", floor <= 1.5),
        Target(goals[1], f"{bandit:.1f}x faster ({totals['bandit']:.1f} s)", bandit >= 8),
        Target(goals[2], f"{warm:.1f}x faster ({totals['warm']:.2f} s)", warm >= 10),
    ]


def on_save(bench: Bench) -> list[Target]:
    """A Python file of each size, saved and linted alone: within 2x its floor."""
    targets = []
    for kb in ON_SAVE_KB:
        goal = f"a {kb} KB Python file on save within 2x the floor (read + `ast.parse`)"
        lint = bench.figures.get(f"on save {kb} KB")
        floor = bench.figures.get(f"on save {kb} KB, floor")
        ratio = _ratio(lint, floor)
        if ratio is None:
            targets.append(Target(goal, "not run", None))
            continue
        figure = f"{ratio:.2f}x ({_ms(lint)} vs {_ms(floor)})"
        targets.append(Target(goal, figure, ratio <= 2))
    return targets


def judge(bench: Bench, full: bool) -> list[Target]:
    return [
        one_file(bench, "fly.toml", "tomllib", None),
        one_file(bench, "Dockerfile", "stdlib read + split lines", None),
        *on_save(bench),
        hadolint(bench),
        checkov(bench),
        both_cores(bench),
        *whole_tree(bench, f"monorepo ({bench.sizes.monorepo_apps} apps)"),
        *whole_tree(bench, f"{bench.sizes.tree_files} Python files"),
        pre_commit(bench),
        concurrent_batches(bench),
        *real_repositories(bench),
        memory(bench),
        *keystrokes(bench),
        *wall_clock(bench, full),
    ]
