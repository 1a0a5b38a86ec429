"""Score flylint on the real repositories against the hand-judged findings.

    python bench/realrepos/score.py DIR [--flylint PATH] [--write docs/real-repositories.md]

DIR holds the snapshots (``snapshots.py DIR``). flylint runs at each repository's root as a
user runs it, ``flylint check --format json .``, once with default options and once with
``--min-confidence low``; every finding is matched by (rule, path, line) to the verdicts
in ``judgements/OWNER+NAME.toml`` (TP, FP, UNSURE; and the known misses); where one line
holds several findings of a rule (FLY105: one per secret file a COPY . . takes), a
verdict's ``subject`` names the one it judges, a text of its message. Per rule:
precision = TP / (TP + FP) of what the default output shows (UNSURE left out and counted
apart), recall = TP shown / (every TP judged + the misses). A finding no judgement names
is listed as unjudged: judge it before trusting the figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit
from snapshots import Repository, load

HERE = Path(__file__).resolve().parent
JUDGEMENTS = HERE / "judgements"
Key = tuple[str, str, int]  # rule, path, line


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    unsure: int = 0
    hidden_tp: int = 0  # true findings only --min-confidence low shows
    hidden_fp: int = 0
    missed: int = 0
    patterns: Counter[str] = field(default_factory=Counter)

    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    def recall(self) -> float | None:
        found = self.tp + self.hidden_tp + self.missed
        return self.tp / found if found else None


def findings(flylint: str, tree: Path, low: bool) -> list[dict]:
    command = [flylint, "check", "--no-cache", "--format", "json", "."]
    command += ["--min-confidence", "low"] if low else []
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{tree.name}: flylint exited {done.returncode}: {done.stderr[-500:]}")
    return json.loads(done.stdout)["findings"]


def _key(finding: dict) -> Key:
    return (finding["rule"], finding["path"], finding["line"])


def verdicts(repository: Repository) -> tuple[list[dict], list[dict]] | None:
    path = JUDGEMENTS / f"{repository.directory}.toml"
    if not path.exists():
        return None
    data = tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
    return data.get("finding", []), data.get("miss", [])


def _verdict(finding: dict, judged: list[dict]) -> dict | None:
    """The verdict on a finding: the one of its rule, path and line whose subject its
    message holds, else the one with no subject."""
    here = [j for j in judged if (j["rule"], j["path"], j["line"]) == _key(finding)]
    named = [j for j in here if "subject" in j and j["subject"] in finding["message"]]
    return (named or [j for j in here if "subject" not in j] or [None])[0]


def score(trees: Path, flylint: str) -> tuple[dict[str, Tally], list[str], list[str]]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    unjudged, stale = [], []
    for repository in load():
        tree = trees / repository.directory
        judged = verdicts(repository)
        if not (tree / ".git").exists() or judged is None:
            stale.append(f"{repository.name}: not materialized or not judged")
            continue
        judged_here, misses = judged
        shown = {(*_key(f), f["message"]) for f in findings(flylint, tree, low=False)}
        used = set()
        for finding in findings(flylint, tree, low=True):
            verdict = _verdict(finding, judged_here)
            if verdict is None:
                unjudged.append(
                    f"{repository.name}: {finding['path']}:{finding['line']} {finding['rule']} "
                    f"{finding['message']}"
                )
                continue
            used.add(id(verdict))
            tally = tallies[finding["rule"]]
            kind = verdict["verdict"]
            if (*_key(finding), finding["message"]) in shown:
                if kind == "TP":
                    tally.tp += 1
                elif kind == "FP":
                    tally.fp += 1
                    tally.patterns[verdict.get("pattern", "?")] += 1
                else:
                    tally.unsure += 1
            elif kind == "TP":
                tally.hidden_tp += 1
            elif kind == "FP":
                tally.hidden_fp += 1
        for verdict in judged_here:
            if id(verdict) not in used:
                key = (verdict["rule"], verdict["path"], verdict["line"])
                stale.append(f"{repository.name}: judged {key} no longer reported")
        for miss in misses:
            tallies[miss["rule"]].missed += 1
    return tallies, unjudged, stale


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def table(tallies: dict[str, Tally]) -> list[str]:
    lines = [
        "| rule | TP | FP | unsure | hidden TP | hidden FP | missed | precision | recall "
        "| false-positive patterns |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    total = Tally()
    for rule in sorted(tallies):
        t = tallies[rule]
        patterns = ", ".join(f"{name} {count}" for name, count in t.patterns.most_common())
        lines.append(
            f"| {rule} | {t.tp} | {t.fp} | {t.unsure} | {t.hidden_tp} | {t.hidden_fp} "
            f"| {t.missed} | {_ratio(t.precision())} | {_ratio(t.recall())} | {patterns} |"
        )
        for name in ("tp", "fp", "unsure", "hidden_tp", "hidden_fp", "missed"):
            setattr(total, name, getattr(total, name) + getattr(t, name))
    lines.append(
        f"| **all** | {total.tp} | {total.fp} | {total.unsure} | {total.hidden_tp} "
        f"| {total.hidden_fp} | {total.missed} | {_ratio(total.precision())} "
        f"| {_ratio(total.recall())} | |"
    )
    return lines


def page(table_lines: list[str]) -> str:
    """docs/real-repositories.md: how the figures are made, and the table."""
    repositories = load()
    flylint = subprocess.run(
        ["git", "-C", str(HERE), "describe", "--always", "--dirty"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    intro = [
        "# flylint on real repositories",
        "",
        "Generated by `python bench/realrepos/score.py DIR --write "
        "docs/real-repositories.md` (flylint commit "
        f"{flylint or 'unknown'}); do not edit by hand.",
        "",
        f"The {len(repositories)} public repositories of "
        "[`bench/realrepos/repositories.toml`](../bench/realrepos/repositories.toml) (apps "
        "deployed on Fly.io: Django, FastAPI and Flask apps, bots and workers, Fly Postgres "
        "and Redis apps, monorepos; and, for the secret files a build context holds, Node "
        "and Laravel apps), each checked out at its listed commit, linted at its "
        "root as a user runs it. Every finding flylint reports, with `--min-confidence low`, "
        "was judged by hand (true, false or unsure, with the evidence) and the misses found "
        "were recorded: [`bench/realrepos/judgements/`](../bench/realrepos/judgements).",
        "",
        "- **TP, FP, unsure**: findings the default output shows (medium and high "
        "confidence). Unsure: the repository cannot tell (an app serving HTTP whose "
        "hostnames it never names); left out of precision.",
        "- **hidden TP, hidden FP**: low-confidence findings, shown with `--min-confidence low`.",
        "- **precision** = TP / (TP + FP); **recall** = TP / (TP + hidden TP + missed).",
        "",
    ]
    return "\n".join([*intro, *table_lines]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", type=Path, help="the snapshots, as snapshots.py made them")
    parser.add_argument("--flylint", default="flylint", help="the flylint to run")
    parser.add_argument("--write", type=Path, metavar="FILE", help="write the table there")
    args = parser.parse_args()
    tallies, unjudged, stale = score(args.trees, args.flylint)
    lines = table(tallies)
    print("\n".join(lines))
    for line in unjudged:
        print(f"unjudged: {line}", file=sys.stderr)
    for line in stale:
        print(f"note: {line}", file=sys.stderr)
    if args.write is not None:
        args.write.write_text(page(lines), encoding="utf-8")
    return 1 if unjudged else 0


if __name__ == "__main__":
    raise SystemExit(main())
