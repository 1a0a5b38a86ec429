"""The git index reader against git itself: what ``tracked`` lists is what
``git ls-files --stage`` lists, for each index version, split and sparse indexes, worktrees
and submodules; and hostile indexes (truncated, forged, mutated) give None, never an
exception."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flylint.repository import git_index
from flylint.repository.git_index import tracked

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary")

EMPTY_BLOB = bytes.fromhex("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
POSIX_BYTES = sys.platform.startswith("linux")  # file names of arbitrary bytes


def _env() -> dict[str, str]:
    # Neither the developer's configuration nor a hook's GIT_DIR / GIT_INDEX_FILE (when the
    # suite runs from pre-commit) may change what the repositories here look like.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    return env


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, env=_env(), check=True, capture_output=True
    ).stdout


def ls_files(repo: Path, *extra: str) -> frozenset[str]:
    """The paths ``git ls-files -z --stage`` lists, decoded as the reader decodes them."""
    out = git(repo, "ls-files", "-z", "--stage", *extra)
    return frozenset(
        record.split(b"\t", 1)[1].decode("utf-8", "surrogateescape")
        for record in out.split(b"\0")
        if record
    )


def write(repo: Path, relative: str, text: str = "") -> None:
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def index_path(repo: Path) -> Path:
    return repo / ".git" / "index"


def index_version(repo: Path) -> int:
    return struct.unpack_from(">I", index_path(repo).read_bytes(), 4)[0]


def reseal(body: bytes) -> bytes:
    """``body`` with its SHA-1 checksum appended: a forged index that passes the checksum,
    so the parser itself is what sees it."""
    return body + hashlib.sha1(body).digest()


def read_raw(repo: Path) -> frozenset[str] | None:
    """The reader without its catch-all: a hostile index must be refused by the parser's
    own checks, not by an exception."""
    return git_index._tracked(str(repo))


def parse_raw(repo: Path, data: bytes) -> frozenset[str] | None:
    """``read_raw`` for ``data`` as the index, without writing it: for thousands of cases."""
    return git_index._paths(str(repo / ".git"), data)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = tmp_path / "repo"
    work.mkdir()
    git(work, "init", "-q")
    for relative in ("fly.toml", "Dockerfile", "app/main.py", "deep/a/b/c.txt", ".github/x.yml"):
        write(work, relative, relative)
    git(work, "add", "-A")
    git(work, "commit", "-qm", "initial")
    return work


# Index versions and entry kinds, against git.


def test_version_2_by_default(repo: Path) -> None:
    assert index_version(repo) == 2
    assert tracked(str(repo)) == ls_files(repo)
    assert "deep/a/b/c.txt" in ls_files(repo)


def test_version_3_with_intent_to_add_and_skip_worktree(repo: Path) -> None:
    git(repo, "update-index", "--index-version", "3")
    write(repo, "later.py", "x = 1\n")
    git(repo, "add", "-N", "later.py")
    git(repo, "update-index", "--skip-worktree", "fly.toml")
    assert index_version(repo) == 3
    found = tracked(str(repo))
    assert found == ls_files(repo)
    assert {"later.py", "fly.toml"} <= found


def test_version_4_prefix_compression(repo: Path) -> None:
    for n in range(200):
        write(repo, f"pkg/module_{n % 7}/{'sub/' * (n % 3)}file_{n}.py")
    git(repo, "add", "-A")
    git(repo, "rm", "-q", "--cached", "pkg/module_3/file_3.py")
    git(repo, "update-index", "--index-version", "4")
    assert index_version(repo) == 4
    found = tracked(str(repo))
    assert found == ls_files(repo)
    assert "pkg/module_3/file_3.py" not in found
    assert "pkg/module_1/sub/file_1.py" in found


UNUSUAL_NAMES = [
    "with space.toml",
    "dir with space/Dockerfile",
    "ünïcödé/fly.toml",
    "日本語/ファイル.py",
    "emoji 🚀/fly.production.toml",
    "a..b/..c/d..",
    ".../x",
    "-leading-dash",
]


@pytest.mark.parametrize("version", [2, 3, 4])
def test_unicode_and_spaces(repo: Path, version: int) -> None:
    for name in UNUSUAL_NAMES:
        write(repo, name)
    if POSIX_BYTES:
        write(repo, "tab\there/new\nline")
        # Not UTF-8: listed as a walk of the work tree names it (surrogate escapes).
        (repo / os.fsdecode(b"latin-\xe9.toml")).write_bytes(b"")
    git(repo, "add", "-A")
    git(repo, "update-index", "--index-version", str(version))
    if version == 3:
        write(repo, "ita é.py")
        git(repo, "add", "-N", "ita é.py")
    found = tracked(str(repo))
    assert found == ls_files(repo)
    assert set(UNUSUAL_NAMES) <= found
    if POSIX_BYTES:
        assert os.fsdecode(b"latin-\xe9.toml") in found
        assert os.fsdecode(b"latin-\xe9.toml") in {path.name for path in repo.iterdir()}


def test_tracked_file_matched_by_gitignore_is_listed(repo: Path) -> None:
    (repo / ".gitignore").write_text("fly.toml\nDockerfile\napp/\n*.secret\n", encoding="utf-8")
    write(repo, "untracked.secret")
    found = tracked(str(repo))
    assert {"fly.toml", "Dockerfile", "app/main.py"} <= found
    assert "untracked.secret" not in found
    assert found == ls_files(repo)


def test_file_removed_from_index_is_not_listed(repo: Path) -> None:
    git(repo, "rm", "-q", "--cached", "Dockerfile")
    git(repo, "rm", "-q", "deep/a/b/c.txt")
    found = tracked(str(repo))
    assert "Dockerfile" not in found
    assert "deep/a/b/c.txt" not in found
    assert (repo / "Dockerfile").exists()
    assert found == ls_files(repo)


def test_conflicted_path_listed_once(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    write(repo, "fly.toml", "app = 'other'\n")
    git(repo, "commit", "-qam", "other")
    git(repo, "checkout", "-q", "-")
    write(repo, "fly.toml", "app = 'mine'\n")
    git(repo, "commit", "-qam", "mine")
    subprocess.run(["git", "merge", "-q", "other"], cwd=repo, env=_env(), capture_output=True)
    stages = git(repo, "ls-files", "--stage", "fly.toml").decode()
    assert " 2\t" in stages and " 3\t" in stages
    found = tracked(str(repo))
    assert "fly.toml" in found
    assert found == ls_files(repo)


def test_empty_index(repo: Path) -> None:
    git(repo, "rm", "-q", "-r", "--cached", ".")
    assert tracked(str(repo)) == frozenset() == ls_files(repo)


def test_sha256_repository(tmp_path: Path) -> None:
    work = tmp_path / "sha256"
    work.mkdir()
    git(work, "init", "-q", "--object-format=sha256")
    for relative in ("fly.toml", "app/Dockerfile", "ünï/x"):
        write(work, relative, relative)
    git(work, "add", "-A")
    git(work, "commit", "-qm", "x")
    assert tracked(str(work)) == ls_files(work)
    git(work, "update-index", "--index-version", "4")
    assert tracked(str(work)) == ls_files(work)


def test_sparse_index_directory_entries(repo: Path) -> None:
    write(repo, "other/sub/deeper/file.py")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "more")
    git(repo, "sparse-checkout", "init", "--cone", "--sparse-index")
    git(repo, "sparse-checkout", "set", "app")
    found = tracked(str(repo))
    # git lists a sparse directory as such only when asked to (--sparse).
    assert found == ls_files(repo, "--sparse")
    assert "other/" in found
    assert "deep/" in found
    assert "app/main.py" in found


# Split indexes.


def split(repo: Path) -> None:
    git(repo, "config", "core.splitIndex", "true")
    # Keep every later change in the split index rather than folding it into a new base.
    git(repo, "config", "splitIndex.maxPercentChange", "100")
    git(repo, "update-index", "--split-index")


def shared_indexes(repo: Path) -> list[Path]:
    return sorted((repo / ".git").glob("sharedindex.*"))


@pytest.mark.parametrize("version", [2, 4])
def test_split_index(repo: Path, version: int) -> None:
    git(repo, "update-index", "--index-version", str(version))
    split(repo)
    write(repo, "app/main.py", "changed\n")
    git(repo, "add", "app/main.py")  # a replaced entry
    git(repo, "rm", "-q", "--cached", "Dockerfile")  # a deleted one
    write(repo, "added/fly.toml")
    git(repo, "add", "added/fly.toml")  # one of the split index's own
    assert b"link" in index_path(repo).read_bytes()
    assert len(shared_indexes(repo)) == 1
    found = tracked(str(repo))
    assert found == ls_files(repo)
    assert "Dockerfile" not in found
    assert {"app/main.py", "added/fly.toml", "fly.toml"} <= found


def test_split_index_without_its_shared_index(repo: Path) -> None:
    split(repo)
    (shared,) = shared_indexes(repo)
    shared.unlink()
    assert read_raw(repo) is None


def test_split_index_with_a_corrupt_shared_index(repo: Path) -> None:
    split(repo)
    (shared,) = shared_indexes(repo)
    data = bytearray(shared.read_bytes())
    data[20] ^= 1
    shared.write_bytes(bytes(data))
    assert read_raw(repo) is None
    # Resealed, it no longer bears the checksum the link names.
    shared.write_bytes(reseal(bytes(data[:-20])))
    assert read_raw(repo) is None


# Where the index is: .git directories and files.


def test_worktree_gitdir_file(repo: Path, tmp_path: Path) -> None:
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "wt", str(worktree))
    assert (worktree / ".git").is_file()
    write(worktree, "only-here/fly.toml")
    git(worktree, "add", "only-here/fly.toml")
    found = tracked(str(worktree))
    assert found == ls_files(worktree)
    assert "only-here/fly.toml" in found
    assert "only-here/fly.toml" not in tracked(str(repo))


def test_submodule_relative_gitdir_file(repo: Path, tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    git(library, "init", "-q")
    write(library, "lib/fly.toml")
    git(library, "add", "-A")
    git(library, "commit", "-qm", "lib")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library), "sub")
    sub = repo / "sub"
    assert (sub / ".git").read_text(encoding="utf-8").startswith("gitdir: ../")
    assert tracked(str(sub)) == ls_files(sub) == {"lib/fly.toml"}
    assert "sub" in tracked(str(repo))  # the gitlink entry


def test_gitdir_file_with_crlf(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / ".git").write_bytes(b"gitdir: ../repo/.git\r\n")
    assert tracked(str(other)) == ls_files(repo)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"gitdir:",
        b"gitdir: ",
        b"gitdir: \n",
        b"gitdir: /nonexistent/flylint/.git\n",
        b"gitdir: ../repo\n",  # a directory, but no git directory (no HEAD)
        b"gitdir: ../repo/.git/index\n",  # not a directory
        b"gitdir: ../repo/.git\nmore\n",
        b"gitdir: ../repo/\0.git\n",
        b"GITDIR: ../repo/.git\n",
        b"\xff\xfe garbage",
        b"gitdir: " + b"a/" * 40_000,
    ],
)
def test_hostile_gitdir_file(repo: Path, tmp_path: Path, content: bytes) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / ".git").write_bytes(content)
    assert read_raw(other) is None


def test_no_repository_or_no_index(tmp_path: Path) -> None:
    assert tracked(str(tmp_path)) is None
    assert tracked(str(tmp_path / "missing")) is None
    (tmp_path / ".git").mkdir()
    assert tracked(str(tmp_path)) is None
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    git(fresh, "init", "-q")
    assert tracked(str(fresh)) is None


def test_index_that_is_not_a_regular_file(repo: Path, tmp_path: Path) -> None:
    index = index_path(repo)
    saved = index.read_bytes()
    index.unlink()
    index.mkdir()
    assert read_raw(repo) is None
    index.rmdir()
    if hasattr(os, "mkfifo"):
        # Opened without blocking, refused for what it is.
        os.mkfifo(index)
        assert read_raw(repo) is None
        index.unlink()
    elsewhere = tmp_path / "elsewhere-index"
    elsewhere.write_bytes(saved)
    try:
        index.symlink_to(elsewhere)
    except OSError:
        pytest.skip("no symlinks here")
    if hasattr(os, "O_NOFOLLOW"):
        assert read_raw(repo) is None


def test_git_is_not_run(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    hook = tmp_path / "fsmonitor.sh"
    hook.write_text(f"#!/bin/sh\ntouch '{marker}'\n", encoding="utf-8")
    hook.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(hook))
    assert tracked(str(repo)) is not None
    assert not marker.exists()


# Indexes built here, byte by byte: forged ones git never writes.


def varint(value: int) -> bytes:
    """git's offset varint (encode_varint in varint.c)."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        value -= 1
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def build_index(paths: list[bytes], version: int = 2, extensions: bytes = b"") -> bytes:
    body = struct.pack(">4sII", b"DIRC", version, len(paths))
    previous = b""
    for path in paths:
        head = struct.pack(">10I", 0, 0, 0, 0, 0, 0, 0o100644, 0, 0, 0) + EMPTY_BLOB
        head += struct.pack(">H", min(len(path), 0xFFF))
        if version == 4:
            common = 0  # the bytes shared with the previous path
            while common < min(len(previous), len(path)) and previous[common] == path[common]:
                common += 1
            body += head + varint(len(previous) - common) + path[common:] + b"\0"
        else:
            entry = head + path
            body += entry + b"\0" * (8 - len(entry) % 8)
        previous = path
    return reseal(body + extensions)


def ewah(words: list[int]) -> bytes:
    body = b"".join(struct.pack(">Q", word) for word in words)
    return struct.pack(">II", 64 * len(words), len(words)) + body + struct.pack(">I", 0)


def marker(run_bit: int = 0, run_words: int = 0, literals: int = 0) -> int:
    return run_bit | run_words << 1 | literals << 33


@pytest.mark.parametrize("version", [2, 4])
def test_built_indexes_match_git(repo: Path, version: int) -> None:
    """The builder writes what git reads: long paths (a length of 0xFFF, "or more") and
    multi-byte varints included."""
    long_dir = b"d" * 200 + b"/"
    paths = sorted(
        [
            b"a",
            b"a" * 5000,
            long_dir + b"x" * 4200,
            long_dir + b"y",
            b"z/" + b"q" * 300,
            b"z/short",
            "ü/ファイル".encode(),
        ]
    )
    index_path(repo).write_bytes(build_index(paths, version))
    found = tracked(str(repo))
    assert found == ls_files(repo)
    assert found == {path.decode() for path in paths}


@pytest.mark.parametrize("version", [2, 4])
@pytest.mark.parametrize(
    "path",
    [b"/etc/passwd", b"../x", b"a/../../x", b"a/..", b"..", b".", b"./a", b"a/./b", b"a//b"],
)
def test_paths_leading_elsewhere(repo: Path, version: int, path: bytes) -> None:
    index_path(repo).write_bytes(build_index([b"fly.toml", path], version))
    assert read_raw(repo) is None


def test_unusual_but_safe_paths(repo: Path) -> None:
    paths = [b"...", b"..a", b"a..", b".a/.b", b"a/...", b"x./y.", b"dir/"]
    index_path(repo).write_bytes(build_index(paths))
    assert read_raw(repo) == {path.decode() for path in paths}


def test_zero_checksum_is_accepted(repo: Path) -> None:
    """``index.skipHash`` writes zeros in place of the checksum."""
    data = build_index([b"fly.toml", b"app/Dockerfile"])
    index_path(repo).write_bytes(data[:-20] + bytes(20))
    assert read_raw(repo) == {"fly.toml", "app/Dockerfile"}


def test_wrong_checksum(repo: Path) -> None:
    data = bytearray(index_path(repo).read_bytes())
    data[-1] ^= 1
    index_path(repo).write_bytes(bytes(data))
    assert read_raw(repo) is None


def test_v4_expansion_is_bounded(repo: Path) -> None:
    """Prefix compression turns a 64-byte entry into a path as long as the previous one:
    the paths' total length is bounded by the file's size."""
    head = struct.pack(">10I", 0, 0, 0, 0, 0, 0, 0o100644, 0, 0, 0) + EMPTY_BLOB
    first = head + struct.pack(">H", 0xFFF) + varint(0) + b"p" * 60_000 + b"\0"
    repeat = head + struct.pack(">H", 0xFFF) + varint(1) + b"q\0"
    count = 2_000  # 120 MB of paths from 190 kB
    body = struct.pack(">4sII", b"DIRC", 4, count) + first + repeat * (count - 1)
    index_path(repo).write_bytes(reseal(body))
    started = time.perf_counter()
    assert read_raw(repo) is None
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("version", [2, 3, 4])
def test_header_forgeries(repo: Path, version: int) -> None:
    git(repo, "update-index", "--index-version", str(version))
    body = index_path(repo).read_bytes()[:-20]
    _, _, count = struct.unpack_from(">4sII", body)
    forgeries = [
        b"CRID" + body[4:],
        b"dirc" + body[4:],
        body[:4] + struct.pack(">I", 1) + body[8:],
        body[:4] + struct.pack(">I", 5) + body[8:],
        body[:4] + struct.pack(">I", 0xFFFFFFFF) + body[8:],
        body[:8] + struct.pack(">I", 0xFFFFFFFF) + body[12:],
        body[:8] + struct.pack(">I", count + 1) + body[12:],
        body[:8] + struct.pack(">I", 10_000_000) + body[12:],
        body + b"junk" * 3,
    ]
    for forged in forgeries:
        index_path(repo).write_bytes(reseal(forged))
        assert read_raw(repo) is None, forged[:12]


def small_index(repo: Path, version: int) -> bytes:
    git(repo, "update-index", "--index-version", str(version))
    if version == 3:
        write(repo, "ita.py")
        git(repo, "add", "-N", "ita.py")
    return index_path(repo).read_bytes()


@pytest.mark.parametrize("version", [2, 3, 4])
def test_every_truncation(repo: Path, version: int) -> None:
    data = small_index(repo, version)
    expected = ls_files(repo)
    body = data[:-20]
    for length in range(len(data)):
        assert parse_raw(repo, data[:length]) is None, length
        # Resealed, the parser sees every cut: only one at the end of the entries or of an
        # extension (the rest dropped) leaves a valid index.
        assert parse_raw(repo, reseal(body[: min(length, len(body))])) in (None, expected), length
    index_path(repo).write_bytes(data[:-1])
    assert read_raw(repo) is None


def test_every_truncation_of_a_split_index(repo: Path) -> None:
    split(repo)
    git(repo, "rm", "-q", "--cached", "Dockerfile")
    data = index_path(repo).read_bytes()
    expected = ls_files(repo)
    for length in range(len(data)):
        assert parse_raw(repo, data[:length]) is None, length
        # A cut before the link extension leaves the split index's own entries, valid.
        result = parse_raw(repo, reseal(data[: max(length - 20, 0)]))
        assert result is None or result <= expected, length


@pytest.mark.parametrize("version", [2, 3, 4, "split"])
def test_mutations_never_raise(repo: Path, version: int | str) -> None:
    if version == "split":
        split(repo)
        git(repo, "rm", "-q", "--cached", "Dockerfile")
        data = index_path(repo).read_bytes()
    else:
        data = small_index(repo, version)
    body = data[:-20]
    rng = random.Random(f"git-index-{version}")
    for _ in range(3000):
        mutated = bytearray(body)
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(mutated))
            choice = rng.random()
            if choice < 0.5:
                mutated[position] ^= 1 << rng.randrange(8)
            elif choice < 0.8:
                mutated[position] = rng.choice([0, 0x2E, 0x2F, 0x7F, 0x80, 0xFF])
            else:
                del mutated[position : position + rng.randint(1, 16)]
        result = parse_raw(repo, reseal(bytes(mutated)))
        assert result is None or all(isinstance(path, str) for path in result)


def test_garbage_never_raises(repo: Path) -> None:
    rng = random.Random("git-index-garbage")
    for size in [0, 1, 11, 12, 31, 32, 33, 64, 100, 1000, 10_000]:
        for version in (2, 3, 4, 7):
            for count in (0, 1, 3, 0xFFFFFFFF):
                noise = rng.randbytes(max(size - 12, 0))
                body = struct.pack(">4sII", b"DIRC", version, count) + noise
                for data in (body, reseal(body), rng.randbytes(size)):
                    result = parse_raw(repo, data)
                    assert result is None or (count == 0 and result == frozenset())


def test_oversized_index_is_refused(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(git_index, "MAX_INDEX_SIZE", index_path(repo).stat().st_size - 1)
    assert read_raw(repo) is None


# Split indexes built here: the replace and delete bitmaps.


def build_split(repo: Path, base: list[bytes], link_tail: bytes, own: list[bytes]) -> None:
    shared = build_index(base)
    base_hash = shared[-20:]
    (repo / ".git" / f"sharedindex.{base_hash.hex()}").write_bytes(shared)
    link = base_hash + link_tail
    extension = b"link" + struct.pack(">I", len(link)) + link
    index_path(repo).write_bytes(build_index(own, extensions=extension))


BASE = [b"a", b"b", b"c"]


def test_built_split_index_matches_git(repo: Path) -> None:
    # Delete "b" (bit 1); replace "a" (bit 0) with the one nameless entry; add "d".
    tail = ewah([marker(literals=1), 0b10]) + ewah([marker(literals=1), 0b1])
    build_split(repo, BASE, tail, [b"", b"d"])
    assert ls_files(repo) == {"a", "c", "d"}
    assert read_raw(repo) == {"a", "c", "d"}


def test_split_index_with_a_run_of_deletions(repo: Path) -> None:
    base = [f"f{n:03}".encode() for n in range(130)]
    # Two words of ones (bits 0-127) by a run, then bit 129 by a literal.
    tail = ewah([marker(run_bit=1, run_words=2, literals=1), 0b10]) + ewah([])
    build_split(repo, base, tail, [b"new"])
    expected = {"f128", "new"}
    assert ls_files(repo) == expected
    assert read_raw(repo) == expected


def test_split_index_with_a_null_base(repo: Path) -> None:
    extension = b"link" + struct.pack(">I", 20) + bytes(20)
    index_path(repo).write_bytes(build_index([b"x", b"y"], extensions=extension))
    assert ls_files(repo) == {"x", "y"}
    assert read_raw(repo) == {"x", "y"}


@pytest.mark.parametrize(
    ("tail", "own"),
    [
        pytest.param(
            ewah([marker(run_bit=1, run_words=0xFFFFFFFF)]) + ewah([]),
            [b"d"],
            id="run-of-2^38-ones",
        ),
        pytest.param(ewah([marker(literals=1), 1 << 3]) + ewah([]), [b"d"], id="delete-past-base"),
        pytest.param(
            ewah([]) + ewah([marker(literals=1), 1 << 40]), [b"", b"d"], id="replace-past-base"
        ),
        pytest.param(ewah([marker(literals=5), 1]) + ewah([]), [b"d"], id="missing-literals"),
        pytest.param(struct.pack(">II", 64, 1000) + bytes(12), [b"d"], id="words-past-end"),
        pytest.param(
            ewah([]) + ewah([marker(literals=1), 0b11]), [b"", b"d"], id="too-many-replaced"
        ),
        pytest.param(
            ewah([]) + ewah([marker(literals=1), 0b1]), [b"", b"", b"d"], id="too-few-replaced"
        ),
        pytest.param(
            ewah([]) + ewah([marker(literals=1), 0b1]), [b"d", b""], id="nameless-after-named"
        ),
        pytest.param(ewah([]) + ewah([]) + b"\0", [b"d"], id="garbage-after-bitmaps"),
        pytest.param(ewah([]), [b"d"], id="one-bitmap"),
        pytest.param(b"\0\0", [b"d"], id="short-bitmap"),
    ],
)
def test_hostile_split_indexes(repo: Path, tail: bytes, own: list[bytes]) -> None:
    build_split(repo, BASE, tail, own)
    started = time.perf_counter()
    assert read_raw(repo) is None
    assert time.perf_counter() - started < 1


def test_nameless_entry_outside_a_split_index(repo: Path) -> None:
    index_path(repo).write_bytes(build_index([b"", b"a"]))
    assert read_raw(repo) is None


def test_shared_index_that_is_itself_split(repo: Path) -> None:
    inner = b"link" + struct.pack(">I", 20) + bytes(20)
    shared = build_index([b"a"], extensions=inner)
    base_hash = shared[-20:]
    (repo / ".git" / f"sharedindex.{base_hash.hex()}").write_bytes(shared)
    link = base_hash + ewah([]) + ewah([])
    extension = b"link" + struct.pack(">I", len(link)) + link
    index_path(repo).write_bytes(build_index([b"b"], extensions=extension))
    assert read_raw(repo) is None


def test_unknown_required_extension(repo: Path) -> None:
    optional = b"ZZZZ" + struct.pack(">I", 3) + b"abc"
    required = b"zzzz" + struct.pack(">I", 3) + b"abc"
    index_path(repo).write_bytes(build_index([b"a"], extensions=optional))
    assert read_raw(repo) == {"a"}
    index_path(repo).write_bytes(build_index([b"a"], extensions=required))
    assert read_raw(repo) is None


# Size.


def test_hundred_thousand_entries(tmp_path: Path) -> None:
    work = tmp_path / "big"
    work.mkdir()
    git(work, "init", "-q")
    blob = EMPTY_BLOB.hex()
    lines = (
        f"100644 {blob}\tsrc/pkg{n % 97}/module_{n // 97}/sub dir/file_{n}.py"
        for n in range(100_000)
    )
    git(work, "update-index", "--index-info", stdin="\n".join(lines).encode())
    expected = ls_files(work)
    assert len(expected) == 100_000
    for version in (2, 4):
        git(work, "update-index", "--index-version", str(version))
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            found = tracked(str(work))
            timings.append(time.perf_counter() - started)
        assert found == expected
        # ~70-100 ms measured; generous, for a loaded machine.
        assert min(timings) < 1.5, version
