"""The results cache.

First the cache module itself (flylint.engine.cache, through its API, a tmp_path as the
cache dir): what a run puts another finds, concurrent runs lose nothing, the files and
directories are private, an unsafe directory is refused, and nothing read from disk is
trusted. Then, end to end through the CLI: a warm run prints what a cold run prints, and
anything a result depends on (the file, its app's fly.toml, the Dockerfile, the app's
code) invalidates it."""

from __future__ import annotations

import marshal
import multiprocessing
import os
import random
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from flylint import __version__
from flylint.engine import cache
from flylint.support import digests

OLD: cache.Signature = (10, 1_000_000_000, 1_000_000_000, 42, 7)  # long ago: trusted
OTHER: cache.Signature = (11, 2_000_000_000, 2_000_000_000, 42, 7)
ONE = digests.digest(b"one")
TWO = digests.digest(b"two")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A directory of linted files: a save drops the entries of files that do not exist."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.py", "b.py", "c.py", "fly.toml"):
        (src / name).write_text("x = 1\n", encoding="utf-8")
    return src


def pack_path(root: Path, folder: Path | str) -> Path:
    return root / __version__ / "packs" / digests.key(str(folder))


def packed(*fields: object) -> bytes:
    """A pack's bytes, well sealed, whatever ``fields`` hold."""
    return cache._seal(marshal.dumps(fields))


def pack_of(folder: Path | str, entries: dict) -> bytes:
    """A well-formed pack of ``folder`` holding ``entries`` by file name (stored keyed)."""
    names = {digests.key(n) if isinstance(n, str) else n: e for n, e in entries.items()}
    return packed(cache.FORMAT, digests.key(str(folder)), names)


def unpacked(path: Path) -> tuple:
    payload = cache._unseal(path.read_bytes())
    assert payload is not None
    return marshal.loads(payload)


def write_pack(root: Path, folder: Path, data: bytes) -> Path:
    path = pack_path(root, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- Round trips -------------------------------------------------------------------------


def test_what_a_run_puts_the_next_one_finds(root: Path, folder: Path) -> None:
    name = str(folder / "a.py")
    first = cache.Cache(root).index()
    assert first.enabled
    first.put(name, OLD, ONE, "result", "k1", ("finding", 3, [1, 2], {"x": b"y"}))
    first.put(name, OLD, ONE, "facts", "k2", {"app": "storefront"})
    assert first.get(name, ONE, "result", "k1") == ("finding", 3, [1, 2], {"x": b"y"})
    first.save()

    second = cache.Cache(root).index()
    assert second.known(name, OLD) == ONE
    assert second.known(name, OTHER) is None  # the file changed since: read it
    assert second.get(name, ONE, "result", "k1") == ("finding", 3, [1, 2], {"x": b"y"})
    assert second.get(name, ONE, "facts", "k2") == {"app": "storefront"}
    slots = {
        "result": ("k1", ("finding", 3, [1, 2], {"x": b"y"})),
        "facts": ("k2", {"app": "storefront"}),
    }
    assert second.entry(name) == cache.Entry(OLD, ONE, slots)
    assert second.entry(str(folder / "b.py")) is None
    assert second.known(str(folder / "b.py"), OLD) is None
    assert second.get(str(folder / "b.py"), ONE, "result", "k1") is None


def test_a_changed_digest_drops_the_other_slots_and_keys_must_match(
    root: Path, folder: Path
) -> None:
    name = str(folder / "a.py")
    index = cache.Cache(root).index()
    index.put(name, OLD, ONE, "result", "k", "about one")
    index.put(name, OLD, ONE, "facts", "k", "also about one")
    index.put(name, OTHER, TWO, "result", "k", "about two")
    for run in (index, None):
        if run is None:
            index.save()
            run = cache.Cache(root).index()
        assert run.get(name, TWO, "result", "k") == "about two"
        assert run.get(name, TWO, "facts", "k") is None  # was about other bytes
        assert run.get(name, ONE, "result", "k") is None
        assert run.get(name, ONE, "facts", "k") is None
        assert run.get(name, TWO, "result", "other key") is None
        assert run.get(name, TWO, "no such slot", "k") is None
        assert run.known(name, OTHER) == TWO
        assert run.known(name, OLD) is None


def test_a_recent_or_buffered_file_is_not_vouched_for(root: Path, folder: Path) -> None:
    """A signature too recent to trust (the racy case) is stored as None, as is a buffer's:
    its value is found by digest, but the file must be read again to learn the digest."""
    recent = (folder / "a.py").stat()
    index = cache.Cache(root).index()
    index.put(str(folder / "a.py"), cache.signature(recent), ONE, "result", "k", 1)
    index.put(str(folder / "b.py"), None, TWO, "result", "k", 2)
    index.save()
    again = cache.Cache(root).index()
    assert again.known(str(folder / "a.py"), cache.signature(recent)) is None
    assert again.entry(str(folder / "a.py")) == cache.Entry(None, ONE, {"result": ("k", 1)})
    assert again.get(str(folder / "a.py"), ONE, "result", "k") == 1
    assert again.known(str(folder / "b.py"), OLD) is None
    assert again.get(str(folder / "b.py"), TWO, "result", "k") == 2


def test_only_changes_are_written_and_a_pack_is_read_once(
    root: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [str(folder / n) for n in ("a.py", "b.py", "c.py")]
    first = cache.Cache(root).index()
    for name in names:
        first.put(name, OLD, ONE, "result", "k", [name])
    first.save()

    reads: list[str] = []
    writes: list[str] = []
    read_pack, write = cache._read_pack, cache._write
    monkeypatch.setattr(cache, "_read_pack", lambda *a: reads.append(a[0]) or read_pack(*a))
    monkeypatch.setattr(cache, "_write", lambda *a: writes.append(a[0]) or write(*a))
    second = cache.Cache(root).index()
    for name in names * 3:
        assert second.known(name, OLD) == ONE
        assert second.get(name, ONE, "result", "k") == [name]
        second.put(name, OLD, ONE, "result", "k", [name])  # the same again: no change
    assert len(reads) == 1
    second.save()
    assert writes == []
    second.put(names[0], OLD, ONE, "result", "k", ("changed",))
    second.put(names[1], OLD, ONE, "result", "k", object())  # marshal cannot: not stored
    second.save()
    assert len(writes) == 1 and len(reads) == 2  # read again to merge, under the lock
    third = cache.Cache(root).index()
    assert third.get(names[0], ONE, "result", "k") == ("changed",)
    assert third.get(names[1], ONE, "result", "k") == [names[1]]


def test_off_is_off(root: Path, folder: Path) -> None:
    index = cache.Cache(None).index()
    assert not index.enabled and cache.Cache(None).directory is None
    index.put(str(folder / "a.py"), OLD, ONE, "result", "k", 1)
    assert index.get(str(folder / "a.py"), ONE, "result", "k") is None
    assert index.known(str(folder / "a.py"), OLD) is None
    assert index.entry(str(folder / "a.py")) is None
    index.save()
    cache.configure(None)
    assert cache.active().directory is None
    cache.configure(root)
    try:
        assert cache.active().directory == root / __version__
    finally:
        cache.configure(None)


def test_nothing_is_created_until_something_is_saved(root: Path, folder: Path) -> None:
    store = cache.Cache(root / "deep" / "er")
    assert store.directory == root / "deep" / "er" / __version__ and store.refusal is None
    index = store.index()
    assert index.get(str(folder / "a.py"), ONE, "result", "k") is None
    index.save()
    assert not root.exists()
    index.put(str(folder / "a.py"), OLD, ONE, "result", "k", 1)
    index.save()
    assert cache.Cache(root / "deep" / "er").index().get(str(folder / "a.py"), ONE, "result", "k")


# --- Concurrent runs -----------------------------------------------------------------------

WRITERS, FILES = 4, 200


def _writer(root: Path, folder: str, number: int, barrier: object) -> None:
    index = cache.Cache(root).index()
    barrier.wait()  # type: ignore[attr-defined]
    for n in range(FILES):
        name = os.path.join(folder, f"{number}-{n}.py")  # noqa: PTH118
        index.put(name, OLD, digests.digest(name.encode()), "result", "k", (number, n))
    index.save()


def run_writers(root: Path, folder: Path) -> int:
    """Start WRITERS processes together, each saving FILES files of ``folder``; how many
    entries a later run finds."""
    for number in range(WRITERS):
        for n in range(FILES):
            (folder / f"{number}-{n}.py").touch()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WRITERS)
    writers = [
        context.Process(target=_writer, args=(root, str(folder), number, barrier))
        for number in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
    assert [writer.exitcode for writer in writers] == [0] * WRITERS
    index = cache.Cache(root).index()
    found = 0
    for number in range(WRITERS):
        for n in range(FILES):
            name = str(folder / f"{number}-{n}.py")
            if index.get(name, digests.digest(name.encode()), "result", "k") == (number, n):
                found += 1
    return found


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_concurrent_saves_of_one_directory_lose_nothing(root: Path, folder: Path) -> None:
    assert run_writers(root, folder) == WRITERS * FILES


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("locked", [True, False])
def test_the_lock_is_what_keeps_slow_concurrent_saves_whole(
    root: Path, folder: Path, monkeypatch: pytest.MonkeyPatch, locked: bool
) -> None:
    """Each writer takes 0.2 s between reading the pack to merge and replacing it: with the
    lock they take turns and lose nothing; without it each merges the same old pack and the
    last to write wins, which shows the test above can catch lost entries."""
    write = cache._write

    def slow(path: str, data: bytes) -> None:
        time.sleep(0.2)
        write(path, data)

    monkeypatch.setattr(cache, "_write", slow)
    if not locked:
        monkeypatch.setattr(cache, "_acquire", lambda path: None)
    found = run_writers(root, folder)
    if locked:
        assert found == WRITERS * FILES
    else:
        assert found < WRITERS * FILES


@pytest.mark.parametrize("merge", [True, False])
def test_a_save_keeps_what_another_run_saved_since_this_one_loaded(
    root: Path, folder: Path, monkeypatch: pytest.MonkeyPatch, merge: bool
) -> None:
    a, b, c = (str(folder / name) for name in ("a.py", "b.py", "c.py"))
    if not merge:  # as a cache that writes only what it loaded: B's entry is lost
        monkeypatch.setattr(cache._Pack, "merged", lambda self, disk: {**self.loaded, **self.mine})
    first = cache.Cache(root).index()
    first.put(a, OLD, ONE, "result", "k", "a by first")  # loads the (empty) pack
    second = cache.Cache(root).index()
    second.put(b, OLD, ONE, "result", "k", "b by second")
    second.put(c, OLD, ONE, "facts", "k", "c facts by second")
    second.save()
    first.put(c, OLD, ONE, "result", "k", "c result by first")  # same bytes, other slot
    first.save()
    last = cache.Cache(root).index()
    assert last.get(a, ONE, "result", "k") == "a by first"
    assert last.get(c, ONE, "result", "k") == "c result by first"
    if merge:
        assert last.get(b, ONE, "result", "k") == "b by second"
        assert last.get(c, ONE, "facts", "k") == "c facts by second"
    else:
        assert last.get(b, ONE, "result", "k") is None


def test_a_save_drops_the_entries_of_deleted_files_and_keeps_those_it_used(
    root: Path, folder: Path
) -> None:
    a, b, c = (str(folder / name) for name in ("a.py", "b.py", "c.py"))
    first = cache.Cache(root).index()
    for name in (a, b, c):
        first.put(name, OLD, ONE, "result", "k", name)
    first.save()
    (folder / "b.py").unlink()
    second = cache.Cache(root).index()
    assert second.get(c, ONE, "result", "k") == c
    (folder / "c.py").unlink()  # found by this run: kept (it may be back the next)
    second.put(a, OLD, TWO, "result", "k", "new a")
    second.save()
    entries = unpacked(pack_path(root, folder))[2]
    assert set(entries) == {digests.key("a.py"), digests.key("c.py")}


# --- Files, modes, trust ---------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX modes")
@pytest.mark.parametrize("umask", [0, 0o022, 0o277])
def test_files_are_private_whatever_the_umask(root: Path, folder: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        index = cache.Cache(root / "parent").index()
        index.put(str(folder / "a.py"), OLD, ONE, "result", "k", 1)
        index.save()
    finally:
        os.umask(previous)
    top = root / "parent"
    version = top / __version__
    for directory in (root, top, version, version / "packs"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    pack = pack_path(top, folder)
    lock = Path(f"{pack}.lock")
    tag = top / "CACHEDIR.TAG"
    for file in (pack, lock, tag):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert tag.read_text(encoding="ascii").splitlines()[0] == (
        "Signature: 8a477f597d28d172789f06886806bc55"
    )
    assert sorted(p.name for p in version.rglob("*")) == sorted(["packs", pack.name, lock.name])


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757])
@pytest.mark.parametrize("level", ["root", "version"])
def test_a_directory_others_can_write_is_refused(
    root: Path, folder: Path, mode: int, level: str
) -> None:
    unsafe = root if level == "root" else root / __version__
    unsafe.mkdir(parents=True, mode=0o700)
    unsafe.chmod(mode)
    store = cache.Cache(root)
    assert store.directory is None
    assert store.refusal is not None
    assert store.refusal.startswith(f"cache directory {unsafe} is writable by other users")
    assert "\n" not in store.refusal
    index = store.index()
    assert not index.enabled
    index.put(str(folder / "a.py"), OLD, ONE, "result", "k", 1)
    index.save()
    assert not (root / __version__ / "packs").exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_a_directory_of_another_user_is_refused(root: Path) -> None:
    root.mkdir(mode=0o700)
    os.chown(root, 12345, -1)
    store = cache.Cache(root)
    assert store.directory is None
    assert store.refusal == (
        f"cache directory {root} is owned by another user (uid 12345);"
        " not used (run without a cache)"
    )


def test_a_file_in_place_of_the_directory_is_refused(root: Path) -> None:
    root.write_text("not a directory\n", encoding="utf-8")
    store = cache.Cache(root)
    assert store.directory is None
    assert store.refusal is not None and str(root) in store.refusal


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX modes")
def test_a_symlinked_safe_directory_is_used(tmp_path: Path, folder: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    index = cache.Cache(tmp_path / "link").index()
    assert index.enabled
    index.put(str(folder / "a.py"), OLD, ONE, "result", "k", 1)
    index.save()
    assert pack_path(real, folder).is_file()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX modes")
def test_a_directory_made_unsafe_during_the_run_is_not_written(root: Path, folder: Path) -> None:
    """Missing when the run began, made by someone else before the run saved: checked again."""
    index = cache.Cache(root).index()
    index.put(str(folder / "a.py"), OLD, ONE, "result", "k", 1)
    (root / __version__ / "packs").mkdir(parents=True)
    (root / __version__).chmod(0o777)
    index.save()
    assert list((root / __version__ / "packs").iterdir()) == []


def test_an_unwritable_directory_only_costs_speed(tmp_path: Path, folder: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("a file where the cache directory's parent should be\n", "utf-8")
    store = cache.Cache(blocked / "cache")
    assert store.refusal is None  # cannot be made: found at the first save
    index = store.index()
    index.put(str(folder / "a.py"), OLD, ONE, "result", "k", 1)
    index.save()
    assert blocked.read_text("utf-8").startswith("a file")


# --- Nothing read is trusted ---------------------------------------------------------------

GOOD = (OLD, ONE, {"result": ("k", "good")})


def _sealed(*fields: object) -> Callable[[str], bytes]:
    """A sealed pack of ``fields``, the folder's name where one says FOLDER."""
    return lambda folder: packed(*(folder if f == "FOLDER" else f for f in fields))


def _flipped(folder: str) -> bytes:
    data = bytearray(packed(cache.FORMAT, folder, {"a.py": GOOD}))
    data[-3] ^= 1
    return bytes(data)


HUGE = {  # what marshal.loads would spend seconds to minutes allocating, were it let see them
    "huge list header": b"[\xff\xff\xff\x7f",
    "huge tuple header": b"(\xff\xff\xff\x7f",
    "huge dict of huge tuples": b"{" + b"(\xff\xff\xff\x7f" * 4,
}
GARBAGE: dict[str, Callable[[str], bytes]] = {
    "empty": lambda folder: b"",
    "random bytes": lambda folder: bytes(random.Random(7).randrange(256) for _ in range(4096)),
    "magic only": lambda folder: cache._MAGIC,
    "unsealed": lambda folder: marshal.dumps((cache.FORMAT, folder, {"a.py": GOOD})),
    "truncated": lambda folder: packed(cache.FORMAT, folder, {"a.py": GOOD})[:-7],
    "a bit flipped": _flipped,
    **{name: (lambda folder, data=data: data) for name, data in HUGE.items()},
    **{
        f"{name}, after magic": (lambda folder, d=data: cache._MAGIC + d)
        for name, data in HUGE.items()
    },
    # Sealed, as only flylint writes them: the check holds, the contents do not.
    "sealed truncated marshal": lambda folder: cache._seal(
        marshal.dumps((cache.FORMAT, folder, {"a.py": GOOD}))[:-7]
    ),
    "sealed bad type code": lambda folder: cache._seal(b"\xfe\xfe\xfe"),
    "not a tuple": lambda folder: cache._seal(
        marshal.dumps([cache.FORMAT, folder, {"a.py": GOOD}])
    ),
    "short tuple": _sealed(cache.FORMAT, "FOLDER"),
    "long tuple": _sealed(cache.FORMAT, "FOLDER", {"a.py": GOOD}, {}),
    "older format": _sealed("flylint-pack-3", "FOLDER", {"a.py": GOOD}),
    "other folder": _sealed(cache.FORMAT, "/elsewhere", {"a.py": GOOD}),
    "entries a list": _sealed(cache.FORMAT, "FOLDER", [("a.py", GOOD)]),
    "entries None": _sealed(cache.FORMAT, "FOLDER", None),
    "the whole a str": lambda folder: cache._seal(marshal.dumps(cache.FORMAT)),
}


@pytest.mark.parametrize("name", list(GARBAGE))
def test_a_garbage_pack_is_a_miss(root: Path, folder: Path, name: str) -> None:
    write_pack(root, folder, GARBAGE[name](str(folder)))
    a = str(folder / "a.py")
    index = cache.Cache(root).index()
    started = time.perf_counter()
    assert index.get(a, ONE, "result", "k") is None
    assert time.perf_counter() - started < 0.5
    assert index.known(a, OLD) is None
    assert index.entry(a) is None
    index.put(a, OLD, TWO, "result", "k", "fresh")
    index.save()
    assert cache.Cache(root).index().get(a, TWO, "result", "k") == "fresh"


def test_the_good_pack_of_the_garbage_test_is_a_hit(root: Path, folder: Path) -> None:
    """The control of the test above: the same pack, well formed, is read."""
    write_pack(root, folder, pack_of(folder, {"a.py": GOOD}))
    index = cache.Cache(root).index()
    assert index.get(str(folder / "a.py"), ONE, "result", "k") == "good"


MALFORMED = {
    "b.py": "an entry",
    "c.py": (OLD, ONE),
    "d.py": ("not a signature", ONE, {"result": ("k", 1)}),
    "e.py": ((1, 2, 3), ONE, {"result": ("k", 1)}),
    "f.py": ((1, 2, 3, 4, "5"), ONE, {"result": ("k", 1)}),
    "g.py": ((1, 2, 3, 4, True), ONE, {"result": ("k", 1)}),
    "h.py": (OLD, "a str digest", {"result": ("k", 1)}),
    "i.py": (OLD, ONE, [("result", ("k", 1))]),
    "j.py": (OLD, ONE, {"result": "k"}),
    "k.py": (OLD, ONE, {"result": ("k",)}),
    "l.py": (OLD, ONE, {"result": (b"k", 1)}),
    "m.py": (OLD, ONE, {"result": ("k", 1, 2)}),
    "n.py": (OLD, ONE, {1: ("k", 1), "result": ["k", 1]}),
    7: GOOD,
}


def test_malformed_entries_are_misses_beside_good_ones(root: Path, folder: Path) -> None:
    entries = {"a.py": GOOD, **MALFORMED}
    write_pack(root, folder, pack_of(folder, entries))
    index = cache.Cache(root).index()
    assert index.get(str(folder / "a.py"), ONE, "result", "k") == "good"
    assert index.known(str(folder / "a.py"), OLD) == ONE
    for base in MALFORMED:
        name = str(folder / str(base))
        assert index.get(name, ONE, "result", "k") is None, base
        # A bad slot spoils only itself: the signature still vouches for the digest.
        slot_only = base in {"j.py", "k.py", "l.py", "m.py", "n.py"}
        assert index.known(name, OLD) == (ONE if slot_only else None), base
        entry = index.entry(name)
        assert entry is None or entry.slots == {}, base
    for base in ("b.py", "j.py", "n.py"):  # put over a malformed entry
        index.put(str(folder / base), OLD, ONE, "result", "k", base)
    index.save()
    again = cache.Cache(root).index()
    for base in ("b.py", "j.py", "n.py"):
        assert again.get(str(folder / base), ONE, "result", "k") == base


def test_a_pack_over_the_size_bound_is_not_read(
    root: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_pack(root, folder, pack_of(folder, {"a.py": GOOD}))
    monkeypatch.setattr(cache, "MAX_PACK_BYTES", path.stat().st_size - 1)
    assert cache.Cache(root).index().get(str(folder / "a.py"), ONE, "result", "k") is None
    monkeypatch.undo()
    with path.open("r+b") as f:  # sparse: the size is checked before anything is read
        f.truncate(cache.MAX_PACK_BYTES + 1)
    started = time.perf_counter()
    assert cache.Cache(root).index().get(str(folder / "a.py"), ONE, "result", "k") is None
    assert time.perf_counter() - started < 0.5


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_at_a_packs_path_is_a_miss_and_does_not_block(root: Path, folder: Path) -> None:
    path = pack_path(root, folder)
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    index = cache.Cache(root).index()
    assert index.get(str(folder / "a.py"), ONE, "result", "k") is None
    index.put(str(folder / "a.py"), OLD, ONE, "result", "k", 1)
    index.save()
    assert path.is_file()


# --- Symlinks --------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="POSIX symlinks")
def test_a_symlink_at_a_packs_path_is_neither_read_nor_written_through(
    root: Path, folder: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    planted = pack_of(folder, {"a.py": GOOD})
    outside.write_bytes(planted)
    path = pack_path(root, folder)
    path.parent.mkdir(parents=True)
    path.symlink_to(outside)
    index = cache.Cache(root).index()
    assert index.get(str(folder / "a.py"), ONE, "result", "k") is None  # not followed
    index.put(str(folder / "b.py"), OLD, ONE, "result", "k", 1)
    index.save()
    assert outside.read_bytes() == planted
    assert not path.is_symlink() and path.is_file()
    assert cache.Cache(root).index().get(str(folder / "b.py"), ONE, "result", "k") == 1


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="POSIX symlinks")
def test_a_symlink_at_a_lock_path_is_not_followed(root: Path, folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside-lock"
    path = pack_path(root, folder)
    path.parent.mkdir(parents=True)
    Path(f"{path}.lock").symlink_to(outside)
    index = cache.Cache(root).index()
    index.put(str(folder / "a.py"), OLD, ONE, "result", "k", 1)
    index.save()  # cannot lock: not saved, no error
    assert not outside.exists()
    assert not path.exists()


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="POSIX symlinks")
def test_a_symlink_at_the_temporary_files_path_is_not_written_through(
    root: Path, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary file's name is random; were it guessed, O_EXCL still would not follow a
    symlink there: the save takes another name."""
    outside = tmp_path / "outside-temporary"
    outside.write_bytes(b"untouched")
    path = pack_path(root, folder)
    path.parent.mkdir(parents=True)
    guessed = path.parent / f".{path.name}.{'00' * 8}.tmp"
    guessed.symlink_to(outside)
    randoms = iter([b"\0" * 8, b"\1" * 8])
    monkeypatch.setattr(cache.os, "urandom", lambda n: next(randoms))
    index = cache.Cache(root).index()
    index.put(str(folder / "a.py"), OLD, ONE, "result", "k", 1)
    index.save()
    monkeypatch.undo()
    assert outside.read_bytes() == b"untouched"
    assert guessed.is_symlink()
    assert cache.Cache(root).index().get(str(folder / "a.py"), ONE, "result", "k") == 1


# --- End to end, through the CLI ---------------------------------------------------------------
# These run flylint itself: they need the engine (flylint.engine.run) on the API above.

EXAMPLE = Path(__file__).parent.parent / "examples" / "storefront"


def flylint(
    cwd: Path, cache: Path, *args: str, importtime: bool = False
) -> subprocess.CompletedProcess[str]:
    python = [sys.executable, "-X", "importtime"] if importtime else [sys.executable]
    return subprocess.run(
        [*python, "-m", "flylint", "check", "--format", "concise", *args],
        cwd=cwd, capture_output=True, text=True, check=False,
        env={**os.environ, "FLYLINT_CACHE_DIR": str(cache)},
    )  # fmt: skip


def imported(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}


@pytest.fixture
def app(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "app")
    return tmp_path / "app"


def test_a_warm_run_prints_the_same_without_parsing_anything(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = flylint(app, cache, ".", importtime=True)
    warm = flylint(app, cache, ".", importtime=True)
    assert cold.returncode == warm.returncode == 1
    assert "FLY401" in cold.stdout and "FLY103" in cold.stdout
    assert warm.stdout == cold.stdout
    parsers = {"flylint.files.python", "flylint.files.dockerfile", "tomllib"}
    assert parsers <= imported(cold)
    assert not parsers & imported(warm)


def test_editing_the_apps_fly_toml_changes_its_python_findings(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = flylint(app, cache, ".")
    assert "app.py:11:16: FLY401 [medium] requests.post calls billing-api over" in before.stdout
    fly_toml = app / "fly.toml"
    # Renamed to the called app, app.py calls the app itself: not a finding any more.
    text = fly_toml.read_text(encoding="utf-8")
    fly_toml.write_text(text.replace('app = "storefront"', 'app = "billing-api"'), "utf-8")
    after = flylint(app, cache, ".")
    assert "app.py:11:16: FLY401" not in after.stdout


def test_the_apps_code_and_dockerfile_invalidate_its_fly_toml(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    # The app names only its fly.dev host: FLY202 is of low confidence there.
    assert "FLY202 [low]" in flylint(app, cache, "--min-confidence", "low", ".").stdout
    (app / "settings.py").write_text("SECURE_HSTS_SECONDS = 63072000\n", encoding="utf-8")
    assert "FLY202" not in flylint(app, cache, "--min-confidence", "low", ".").stdout

    (app / "fly.toml").write_text(
        'app = "search"\n\n[http_service]\n  internal_port = 8080\n  force_https = true\n',
        encoding="utf-8",
    )
    (app / "Dockerfile").write_text("FROM python:3.12-slim\n", encoding="utf-8")
    assert "FLY301" not in flylint(app, cache, "fly.toml").stdout
    (app / "Dockerfile").write_text("FROM postgres:16\n", encoding="utf-8")
    assert "fly.toml:3:1: FLY301" in flylint(app, cache, "fly.toml").stdout


def test_no_cache_writes_nothing(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = flylint(app, cache, "--no-cache", ".")
    assert result.returncode == 1
    assert not cache.exists()


def test_broken_entries_are_ignored(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = flylint(app, cache, ".")
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert entries
    for number, entry in enumerate(entries):
        entry.write_bytes(b"" if number % 2 else b"\xffnot an entry")
    again = flylint(app, cache, ".")
    assert (again.returncode, again.stdout, again.stderr) == (1, cold.stdout, cold.stderr)


def test_a_cache_dir_that_cannot_be_made_only_costs_speed(app: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache directory's parent should be\n", "utf-8")
    result = flylint(app, blocked / "cache", ".")
    assert result.returncode == 1
    assert result.stdout == flylint(app, tmp_path / "cache", "--no-cache", ".").stdout
    assert result.stderr == ""


def test_an_unsafe_cache_dir_is_refused_with_a_warning(app: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache directory should be\n", encoding="utf-8")
    result = flylint(app, blocked, ".")
    assert result.returncode == 1
    assert result.stdout == flylint(app, tmp_path / "cache", "--no-cache", ".").stdout
    assert result.stderr == (
        f"flylint: warning: cache directory {blocked} is not a directory;"
        " not used (run without a cache)\n"
    )


def age(*paths: Path, seconds: int = 3600) -> None:
    """Date files back, out of the window in which a file's stat signature is not trusted."""
    when = time.time_ns() - seconds * 1_000_000_000
    for path in paths:
        os.utime(path, ns=(when, when))


def test_a_warm_pre_commit_run_reads_only_what_changed(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    files = ["fly.toml", "Dockerfile", "app.py"]
    age(*(app / name for name in files))
    cold = flylint(app, cache, *files, importtime=True)
    warm = flylint(app, cache, *files, importtime=True)
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout) == (1, cold.stdout)
    assert "app.py:11:16: FLY401" in warm.stdout
    assert "flylint.files.python" not in imported(warm)

    # Same size, mtime restored: the ctime still tells the file changed.
    script = app / "app.py"
    status = script.stat()
    text = script.read_text(encoding="utf-8")
    script.write_text(text.replace("billing-api.fly.dev", "billing-api.flycast"), "utf-8")
    assert script.stat().st_size == status.st_size
    os.utime(script, ns=(status.st_atime_ns, status.st_mtime_ns))
    changed = flylint(app, cache, *files)
    assert changed.stdout == flylint(app, cache, "--no-cache", *files).stdout
    assert "FLY401" not in changed.stdout


def test_touching_a_file_changes_nothing(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = flylint(app, cache, ".")
    (app / "app.py").touch()
    age(app / "Dockerfile")
    for _ in range(2):
        again = flylint(app, cache, ".")
        assert (again.returncode, again.stdout, again.stderr) == (1, cold.stdout, cold.stderr)


def test_a_change_a_coarse_clock_cannot_see_is_still_read(
    app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a filesystem with a coarse clock, a file rewritten in the same tick as it was
    linted keeps its whole stat signature: it was changed too recently to trust it."""
    from flylint.cli import main
    from flylint.engine import cache

    def coarse(status: os.stat_result) -> tuple[int, int, int, int, int]:
        return (status.st_size, status.st_mtime_ns // 10**9 * 10**9, 0, 0, 0)

    monkeypatch.setattr(cache, "signature", coarse)
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "cache"))
    script = app / "app.py"
    text = script.read_text(encoding="utf-8")
    script.write_text(text, encoding="utf-8")  # written just now
    main(["check", "--format", "concise", str(script)])
    assert "FLY401" in capsys.readouterr().out
    mtime = script.stat().st_mtime_ns  # rewritten in the same tick: the same mtime
    script.write_text(text.replace("billing-api.fly.dev", "billing-api.flycast"), "utf-8")
    os.utime(script, ns=(mtime, mtime))
    main(["check", "--format", "concise", str(script)])
    assert "FLY401" not in capsys.readouterr().out


def test_foreign_entries_of_the_right_format_are_misses(app: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    cold = flylint(app, cache_dir, ".")
    (pack,) = (p for p in (cache_dir / __version__ / "packs").iterdir() if p.suffix != ".lock")
    tag, folder, entries = unpacked(pack)
    assert tag == cache.FORMAT
    foreign = [
        ("a", b"b", {"c": ("d",)}),
        (None, "b", {}),
        (None, b"b", {"result": (1, 2)}),
        "entry",
        (1, 2),
    ]
    rows = {name: foreign[n % len(foreign)] for n, name in enumerate(entries)}
    pack.write_bytes(packed(tag, folder, rows))
    again = flylint(app, cache_dir, ".")
    assert (again.returncode, again.stdout, again.stderr) == (1, cold.stdout, cold.stderr)
    again = flylint(app, cache_dir, ".")
    assert (again.returncode, again.stdout, again.stderr) == (1, cold.stdout, cold.stderr)


def test_a_run_over_some_files_keeps_the_others_cached(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (app / "worker.py").write_text("import requests\n", encoding="utf-8")
    age(*app.iterdir())
    cold = flylint(app, cache, ".")
    (app / "worker.py").write_text("import httpx\n", encoding="utf-8")
    assert flylint(app, cache, "worker.py").returncode == 0
    (app / "requirements.txt").unlink()
    warm = flylint(app, cache, ".", importtime=True)
    assert (warm.returncode, warm.stdout) == (1, cold.stdout)
    assert "flylint.files.python" not in imported(warm)


def test_concurrent_runs_do_not_corrupt_the_cache(app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    expected = flylint(app, cache, "--no-cache", ".")
    command = [sys.executable, "-m", "flylint", "check", "--format", "concise", "."]
    env = {**os.environ, "FLYLINT_CACHE_DIR": str(cache)}
    runs = [
        subprocess.Popen(command, cwd=app, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    assert [run.communicate()[0] for run in runs] == [expected.stdout] * 4
    assert flylint(app, cache, ".").stdout == expected.stdout


def test_a_walk_warms_a_named_files_run_from_any_directory(app: Path, tmp_path: Path) -> None:
    """Keys come from content, not from how a file was reached: CI walks the tree,
    pre-commit names the changed files, an editor runs from elsewhere; they share entries."""
    cache = tmp_path / "cache"
    files = ["fly.toml", "Dockerfile", "app.py"]
    age(*(app / name for name in files))
    (app / ".git").mkdir()
    walk = flylint(app, cache, ".")
    named = flylint(app, cache, *files, importtime=True)
    assert (named.returncode, named.stdout) == (walk.returncode, walk.stdout) == (1, walk.stdout)
    assert not {"flylint.files.python", "tomllib"} & imported(named)
    above = flylint(app.parent, cache, *(f"app/{name}" for name in files), importtime=True)
    assert above.stdout.replace("app/", "") == walk.stdout
    assert not {"flylint.files.python", "tomllib"} & imported(above)


def test_files_too_recent_to_trust_are_vouched_for_once_they_settle(
    app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file written just before a run is read again by the next one (its signature is
    not trusted yet); once read with a settled signature, later runs stop reading it, its
    results and facts served from the cache by that signature."""
    from flylint.cli import main
    from flylint.files import reading

    (app / ".git").mkdir()
    monkeypatch.chdir(app)
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "cache"))
    read: list[str] = []
    original = reading.read_checked

    def counting(path: Path | str) -> bytes:
        read.append(Path(path).name)
        return original(path)

    monkeypatch.setattr(reading, "read_checked", counting)
    assert main(["check", "--format", "concise", "."]) == 1  # written just now: untrusted
    time.sleep(cache.RACY_NS / 1e9 + 0.2)
    main(["check", "--format", "concise", "."])  # reads them, and vouches for them
    read.clear()
    assert main(["check", "--format", "concise", "."]) == 1
    # Only the fly.toml is read (its bytes are kept for --fix); the Dockerfile and the
    # Python file are not.
    assert sorted(read) == ["fly.toml"]
