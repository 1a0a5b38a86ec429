"""The paths git tracks in a work tree, read from its index file without running git.

A file that is committed and also matched by ``.gitignore`` is still the repository's: a
walk honouring ``.gitignore`` alone skips it, a way for a hostile repository past the
check. The index lists every tracked path. It is read here rather than asked of
``git ls-files``: git run inside a hostile checkout can run commands its configuration
names (``core.fsmonitor``), and a process per run costs more than the read.

Everything read is untrusted (a repository may ship its own ``.git``). Anything that is not
a well-formed index (truncated, over ``MAX_INDEX_SIZE``, an unknown version or required
extension, a checksum that does not match, a path git never writes such as ``../x``) makes
``tracked`` return None, and the caller falls back to ``.gitignore``. Nothing raises, and
what is allocated stays proportional to the files read.

Read: index versions 2, 3 and 4; SHA-1 and SHA-256 repositories; a checksum of zeros
(``index.skipHash``); split indexes (the ``link`` extension: ``sharedindex.<hash>`` in the
git directory is read and merged with the replace and delete bitmaps); sparse indexes (a
directory entry, mode 040000, is listed as git names it: its directory path ending in
``/``, as ``git ls-files --sparse`` shows it). Entries at
every stage are listed (a conflicted path is tracked), intent-to-add and skip-worktree
ones too, as ``git ls-files`` lists them.

Not consulted: ``GIT_DIR``, ``GIT_INDEX_FILE`` and ``core.worktree`` (the index read is the
one of ``work_tree/.git``, a directory or a ``gitdir:`` file), and nothing above
``work_tree`` is searched for a repository.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import struct

from flylint.support import observed

# Larger indexes are refused (None): a linter must not read gigabytes for a hostile repo.
MAX_INDEX_SIZE = 512 * 1024 * 1024
# A ``.git`` file holds one line, a path.
_MAX_GITFILE_SIZE = 64 * 1024

_HEADER = struct.Struct(">4sII")
_U16 = struct.Struct(">H")
_EXTENSION = struct.Struct(">4sI")
_EWAH_HEADER = struct.Struct(">II")

_NAME_MASK = 0x0FFF
_EXTENDED = 0x4000
# The extended flags git knows (intent-to-add, skip-worktree): it refuses an entry with
# another set, and so does this reader.
_KNOWN_EXTENDED = 0x6000

# A "." or ".." component (with what follows it): a candidate, confirmed by what precedes.
_DOT_COMPONENT = re.compile(rb"\.\.?(?=[/\0])")

_HASHES = ((20, "sha1"), (32, "sha256"))


def tracked(work_tree: str) -> frozenset[str] | None:
    """The repository-relative paths (``/``-separated) of every entry in the index of the
    git work tree at ``work_tree``, at any stage; a sparse index's directory entries end in
    ``/``. None when there is no index, or it cannot be read or understood."""
    try:
        return _tracked(work_tree)
    except Exception:
        # The reader is written not to raise on any content; this only keeps an oversight
        # (or MemoryError) from stopping a run. None falls back to .gitignore.
        return None


def _tracked(work_tree: str) -> frozenset[str] | None:
    git_dir = _git_dir(work_tree)
    if git_dir is None:
        return None
    data = _read_regular(os.path.join(git_dir, "index"), MAX_INDEX_SIZE, follow=False)
    return None if data is None else _paths(git_dir, data)


def _paths(git_dir: str, data: bytes) -> frozenset[str] | None:
    """The paths of the index ``data`` of the git directory ``git_dir``."""
    for hash_size in _hash_sizes(data):
        parsed = _parse(data, hash_size)
        if parsed is not None:
            break
    else:
        return None
    names, link = parsed
    if link is None:
        # An entry without a name only stands for a replaced one of a split index.
        if b"" in names:
            return None
        return _decode(names)
    merged = _merge_split(git_dir, names, link, hash_size)
    return None if merged is None else _decode(merged)


def _git_dir(work_tree: str) -> str | None:
    """``work_tree/.git`` if it is a directory; the directory a ``.git`` file names in its
    ``gitdir: PATH`` line (worktrees, submodules), relative to the work tree unless
    absolute, if that is a git directory; else None."""
    dot_git = os.path.join(work_tree, ".git")
    observed.note(dot_git)
    try:
        mode = os.stat(dot_git).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(mode):
        return dot_git
    if not stat.S_ISREG(mode):
        return None
    text = _read_regular(dot_git, _MAX_GITFILE_SIZE, follow=True)
    if text is None or not text.startswith(b"gitdir: "):
        return None
    # git strips the line ending only; anything else is part of the path.
    target = text[len(b"gitdir: ") :].rstrip(b"\r\n")
    if not target or any(c in target for c in (b"\0", b"\n", b"\r")):
        return None
    git_dir = os.path.join(os.path.dirname(dot_git), os.fsdecode(target))
    # What git takes for a git directory holds HEAD; anything else is not followed.
    observed.note(git_dir)
    observed.note(os.path.join(git_dir, "HEAD"))
    if not os.path.isdir(git_dir) or not os.path.lexists(os.path.join(git_dir, "HEAD")):
        return None
    return git_dir


def _read_regular(path: str, limit: int, follow: bool) -> bytes | None:
    """The bytes of the regular file at ``path`` if it holds at most ``limit``; else None.
    Opened non-blocking (a FIFO in its place must not hang the run), and, unless
    ``follow``, not through a symlink (git renames a new index into place: a symlink there
    is not git's doing)."""
    observed.note(path)
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NONBLOCK", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        with open(fd, "rb", closefd=True) as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
                return None
            data = file.read(status.st_size)
    except OSError:
        return None
    # A file changing while read is not a file to trust.
    return data if len(data) == status.st_size else None


def _hash_sizes(data: bytes) -> list[int]:
    """The hash sizes (SHA-1, SHA-256) to parse ``data`` with: the one whose checksum ends
    it, as git verifies; both when it ends in zeros (``index.skipHash``), the structure
    then telling them apart; none when neither matches (a corrupt index git refuses)."""
    view = memoryview(data)
    for size, name in _HASHES:
        if len(data) >= 12 + size:
            digest = hashlib.new(name, view[:-size], usedforsecurity=False).digest()
            if digest == data[-size:]:
                return [size]
    return [size for size, _ in _HASHES if len(data) >= 12 + size and not any(data[-size:])]


def _parse(data: bytes, hash_size: int) -> tuple[list[bytes], bytes | None] | None:
    """The entry paths (in index order, bytes) of the index ``data`` and the payload of its
    ``link`` extension (None without), or None if ``data`` is not an index with hashes of
    ``hash_size`` bytes."""
    end = len(data) - hash_size
    if end < 12:
        return None
    signature, version, count = _HEADER.unpack_from(data, 0)
    if signature != b"DIRC" or version not in (2, 3, 4):
        return None
    # The smallest entry: 40 bytes of stat data, the hash, 16 bits of flags and 2 bytes more
    # (a NUL and padding, or a varint and a NUL). A count beyond that is a lie.
    if count * (44 + hash_size) > end - 12:
        return None
    entries = _entries_v4 if version == 4 else _entries_v2
    read = entries(data, count, hash_size, end)
    if read is None:
        return None
    names, offset = read
    link = _extensions(data, offset, end)
    if link is False:
        return None
    return names, link


def _entries_v2(
    data: bytes, count: int, hash_size: int, end: int
) -> tuple[list[bytes], int] | None:
    """Versions 2 and 3: each path NUL-terminated, the entry padded with NULs to a multiple
    of 8 bytes. Reads past the data raise (struct.error, IndexError): bounds are checked by
    the unpacking and indexing themselves, the loop being the cost of the whole read."""
    unpack = struct.Struct(f">{40 + hash_size}xH").unpack_from  # flags
    fixed = 42 + hash_size  # the bytes before the path (without extended flags)
    find, unpack_u16 = data.find, _U16.unpack_from
    names: list[bytes] = []
    append = names.append
    offset = 12
    try:
        for _ in range(count):
            (flags,) = unpack(data, offset)
            start = offset + fixed
            if flags & _EXTENDED:
                if unpack_u16(data, start)[0] & ~_KNOWN_EXTENDED:
                    return None
                start += 2
            length = flags & _NAME_MASK
            if length == _NAME_MASK:
                # "0xFFF or more": the NUL ends the path, as in git.
                nul = find(b"\0", start, end)
                if nul < 0:
                    return None
            else:
                nul = start + length
                if data[nul]:
                    return None
            append(data[start:nul])
            # The entry's size rounded up past the NUL to a multiple of 8; entries start at
            # 12 + 8k, so from the NUL: the next multiple of 8 above nul - 4, plus 4.
            offset = ((nul + 4) & ~7) + 4
    except (struct.error, IndexError):
        return None
    # Each path lies before the next entry, so the slices never add up to more than data.
    if offset > end:
        return None
    return names, offset


def _entries_v4(
    data: bytes, count: int, hash_size: int, end: int
) -> tuple[list[bytes], int] | None:
    """Version 4: each path is the previous one less a varint count of its last bytes,
    followed by a NUL-terminated suffix; no padding."""
    unpack = struct.Struct(f">{40 + hash_size}xH").unpack_from  # flags
    fixed = 42 + hash_size
    find, unpack_u16 = data.find, _U16.unpack_from
    names: list[bytes] = []
    append = names.append
    # Prefix compression lets a small file expand into long paths: bound their total to a
    # multiple of the file's size (real indexes expand by ~1-3x).
    budget = 4 * len(data) + (64 << 20)
    previous = b""
    offset = 12
    try:
        for _ in range(count):
            (flags,) = unpack(data, offset)
            start = offset + fixed
            if flags & _EXTENDED:
                if unpack_u16(data, start)[0] & ~_KNOWN_EXTENDED:
                    return None
                start += 2
            byte = data[start]
            start += 1
            strip = byte
            if byte & 0x80:
                # git's varint: 7 bits a byte, high bit for "more", each continuation
                # adding one. Bounded by the previous path's length, so a few bytes.
                strip &= 0x7F
                while byte & 0x80:
                    if strip >= len(previous):
                        return None
                    byte = data[start]
                    start += 1
                    strip = ((strip + 1) << 7) | (byte & 0x7F)
            keep = len(previous) - strip
            if keep < 0:
                return None
            nul = find(b"\0", start, end)
            if nul < 0:
                return None
            name = previous[:keep] + data[start:nul]
            length = flags & _NAME_MASK
            if length != _NAME_MASK and length != len(name):
                return None
            budget -= len(name)
            if budget < 0:
                return None
            append(name)
            previous = name
            offset = nul + 1
    except (struct.error, IndexError):
        return None
    if offset > end:
        return None
    return names, offset


def _extensions(data: bytes, offset: int, end: int) -> bytes | bool | None:
    """The payload of the ``link`` extension (None without one) of the extensions from
    ``offset`` to ``end``; False if they are malformed or one git requires is unknown."""
    link: bytes | None = None
    while end - offset >= 8:
        signature, size = _EXTENSION.unpack_from(data, offset)
        offset += 8
        if size > end - offset:
            return False
        if signature == b"link":
            if link is not None:
                return False
            link = data[offset : offset + size]
        # An extension named in upper case is optional (TREE, REUC, UNTR, FSMN, EOIE,
        # IEOT); a lower-case one changes what the entries mean, and git refuses one it
        # does not know. "sdir" only marks an index as sparse.
        elif not (0x41 <= signature[0] <= 0x5A) and signature != b"sdir":
            return False
        offset += size
    # Anything left is not an extension: with the checksum, this tells hash sizes apart.
    return link if offset == end else False


def _merge_split(
    git_dir: str, names: list[bytes], link: bytes, hash_size: int
) -> list[bytes] | None:
    """The paths of a split index: the shared index's, less those the delete bitmap marks,
    plus this index's own. This index starts with one nameless entry for each bit of the
    replace bitmap (a base entry with new stat data or hash, its path unchanged)."""
    if len(link) < hash_size:
        return None
    base_hash = link[:hash_size]
    if not any(base_hash):
        # No shared index: git reads the entries here alone.
        return None if b"" in names else names
    shared = _read_regular(
        os.path.join(git_dir, "sharedindex." + base_hash.hex()), MAX_INDEX_SIZE, follow=False
    )
    if shared is None or len(shared) < hash_size:
        return None
    name = dict(_HASHES)[hash_size]
    # git checks the shared index is the one named, by its checksum.
    digest = hashlib.new(name, memoryview(shared)[:-hash_size], usedforsecurity=False).digest()
    if digest != base_hash or shared[-hash_size:] != base_hash:
        return None
    parsed = _parse(shared, hash_size)
    if parsed is None or parsed[1] is not None:
        return None
    base = parsed[0]
    if b"" in base:
        return None
    deleted: list[int] = []
    replaced: list[int] = []
    if len(link) > hash_size:
        read = _ewah(link, hash_size, len(base))
        if read is None:
            return None
        deleted, offset = read
        read = _ewah(link, offset, len(base))
        if read is None or read[1] != len(link):
            return None
        replaced = read[0]
    replacements = len(replaced)
    if replacements > len(names) or names.count(b"") != replacements:
        return None
    if any(names[:replacements]):
        return None
    if deleted:
        gone = set(deleted)
        base = [path for position, path in enumerate(base) if position not in gone]
    return base + names[replacements:]


def _ewah(data: bytes, offset: int, limit: int) -> tuple[list[int], int] | None:
    """The set bits of the EWAH bitmap at ``offset`` in ``data`` (ascending) and the offset
    after it; None if it is truncated or sets a bit at ``limit`` or beyond.

    Layout: bit count (u32), word count (u32), the words (u64), the last marker word's
    index (u32). Words are a marker (bit 0: the run's bit; bits 1-32: run length in
    words; bits 33-63: how many literal words follow), then that many literal words."""
    if len(data) - offset < 8:
        return None
    _, words = _EWAH_HEADER.unpack_from(data, offset)
    body = offset + 8
    after = body + 8 * words + 4
    if after > len(data):
        return None
    buffer = struct.unpack_from(f">{words}Q", data, body)
    positions: list[int] = []
    bit = 0
    index = 0
    while index < words:
        marker = buffer[index]
        index += 1
        run = ((marker >> 1) & 0xFFFFFFFF) * 64
        if marker & 1 and run:
            # A run of ones past the entries would be a bit git refuses; bounded first.
            if bit + run > limit:
                return None
            positions.extend(range(bit, bit + run))
        bit += run
        literals = marker >> 33
        if literals > words - index:
            return None
        for word in buffer[index : index + literals]:
            while word:
                lowest = word & -word
                position = bit + lowest.bit_length() - 1
                if position >= limit:
                    return None
                positions.append(position)
                word ^= lowest
            bit += 64
        index += literals
    return positions, after


def _decode(names: list[bytes]) -> frozenset[str] | None:
    """The paths as str, decoded as ``os.fsdecode`` does on a UTF-8 system (undecodable
    bytes kept as surrogates, as a walk of the work tree names them); None if one would
    lead a caller joining it to the work tree elsewhere (absolute, an empty, "." or ".."
    component: git never writes these), or holds a NUL. Checked on all paths at once,
    each between NULs: a search through the bytes costs less than a test per path."""
    if not names:
        return frozenset()
    joined = b"\0" + b"\0".join(names) + b"\0"
    # v2 and v3 paths are read by their length: one holding a NUL would split in two.
    if joined.count(b"\0") != len(names) + 1:
        return None
    # A sparse directory's trailing "/" (before a NUL) passes.
    if b"\0/" in joined or b"//" in joined:
        return None
    for match in _DOT_COMPONENT.finditer(joined):
        if joined[match.start() - 1] in b"/\0":
            return None
    # git on Windows refuses these (core.protectNTFS): there they would be separators or
    # drive letters.
    if os.name == "nt" and (b"\\" in joined or b":" in joined):
        return None
    # One decode for all paths: a NUL never falls inside a UTF-8 sequence.
    return frozenset(joined[1:-1].decode("utf-8", "surrogateescape").split("\0"))
