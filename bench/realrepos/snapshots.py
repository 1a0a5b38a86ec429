"""The real-repository set: public repositories of apps deployed on Fly.io, listed by
name and commit in ``repositories.toml``, and their snapshots as git work trees.

    python bench/realrepos/snapshots.py DEST                 # clone each from GitHub
    python bench/realrepos/snapshots.py DEST --mirror DIR    # from local mirrors

Each repository becomes ``DEST/OWNER+NAME``, a git clone checked out at its listed commit
(detached), as a user's checkout is: flylint reads the git index. With ``--mirror``,
``DIR/OWNER+NAME`` (or ``DIR/OWNER+NAME/repo``) is a git directory already holding the
commit (a bare mirror); without it, the repository is cloned from GitHub. A snapshot
already at its commit is kept. Never run in CI: the tests need no network and no
third-party code.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import tomlkit

LIST = Path(__file__).resolve().parent / "repositories.toml"


@dataclass(frozen=True)
class Repository:
    name: str  # owner/name
    commit: str
    tags: tuple[str, ...]
    python_files: int

    @property
    def directory(self) -> str:
        return self.name.replace("/", "+")


def load(path: Path = LIST) -> list[Repository]:
    data = tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
    return [
        Repository(r["name"], r["commit"], tuple(r.get("tags", ())), r.get("python_files", 0))
        for r in data["repository"]
    ]


def _git(*args: str | Path) -> str:
    done = subprocess.run(["git", *map(str, args)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(map(str, args))}: {done.stderr.strip()}")
    return done.stdout.strip()


def materialize(repository: Repository, dest: Path, mirror: Path | None) -> Path:
    """``repository`` checked out at its commit under ``dest``; its path."""
    tree = dest / repository.directory
    if (tree / ".git").is_dir():
        try:
            if _git("-C", tree, "rev-parse", "HEAD") == repository.commit:
                return tree
        except RuntimeError:
            pass
        raise RuntimeError(f"{tree} exists at another commit: remove it first")
    if mirror is not None:
        held = mirror / repository.directory
        # A git directory, or a folder holding one as ``repo`` (as snapshot tools keep them).
        source = str(held / "repo" if (held / "repo").is_dir() else held)
    else:
        source = f"https://github.com/{repository.name}.git"
    _git("clone", "--quiet", "--no-checkout", source, tree)
    _git("-C", tree, "-c", "advice.detachedHead=false", "checkout", "--quiet", repository.commit)
    return tree


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="where the work trees go")
    parser.add_argument("--mirror", type=Path, help="a directory of git mirrors, OWNER+NAME")
    args = parser.parse_args()
    args.dest.mkdir(parents=True, exist_ok=True)
    failed = 0
    for repository in load():
        try:
            tree = materialize(repository, args.dest, args.mirror)
        except RuntimeError as exc:
            print(f"{repository.name}: not materialized: {exc}", file=sys.stderr)
            failed += 1
        else:
            print(f"{repository.name} {repository.commit[:12]} -> {tree}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
