"""The files of one run, each read at most once: a file whose stat signature is the one
the cache recorded with its digest is not read at all until its bytes are needed."""

from __future__ import annotations

import os
from pathlib import Path

from flylint.engine import cache
from flylint.files import reading
from flylint.support import digests, observed
from flylint.support.records import Record


class File(Record):
    """A file as this run saw it."""

    __slots__ = ("content", "digest", "signature")

    def __init__(
        self, signature: cache.Signature | None, digest: bytes, content: bytes | None
    ) -> None:
        self.signature = signature  # None: an editor's buffer stands for the file
        self.digest = digest  # of the bytes; b"" when the cache is off, which hashes nothing
        self.content = content  # None: not read, the cache vouches for the digest


class Files:
    """``overrides`` are unsaved editor buffers that stand for files, by resolved path."""

    def __init__(self, index: cache.Index, overrides: dict[str, bytes]) -> None:
        self.index = index
        self.overrides = overrides
        self._seen: dict[str, File] = {}
        # The parsed values of each Fly config this run parsed, by resolved path: the
        # model and the config's own lint share one parse.
        self.documents: dict[str, dict] = {}

    def get(
        self,
        path: Path | str,
        resolved: str,
        content: bool = False,
        status: os.stat_result | None = None,
    ) -> File:
        """The file at ``path`` (``resolved``, ``status`` if already taken); with
        ``content``, its bytes too. Raises reading.Unreadable."""
        seen = self._seen.get(resolved)
        if seen is None or (content and seen.content is None):
            seen = self._seen[resolved] = self._look(path, resolved, content, status)
        return seen

    def is_buffer(self, resolved: str) -> bool:
        return resolved in self.overrides

    def _look(
        self, path: Path | str, resolved: str, content: bool, status: os.stat_result | None
    ) -> File:
        buffer = self.overrides.get(resolved) if self.overrides else None
        if buffer is not None:
            if len(buffer) > reading.MAX_FILE_BYTES:  # stdin (read up to one byte over)
                raise reading.too_large()
            return File(None, self._digest(buffer), buffer)
        observed.note(path)
        signature = cache.signature(reading.status(path, status))
        if not content and self.index.enabled:
            digest = self.index.known(resolved, signature)
            if digest is not None:
                return File(signature, digest, None)
        data = reading.read_checked(path)
        digest = self._digest(data)
        if self.index.enabled:
            self.index.vouch(resolved, signature, digest)
        return File(signature, digest, data)

    def _digest(self, data: bytes) -> bytes:
        return digests.digest(data) if self.index.enabled else b""
