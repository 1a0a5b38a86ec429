"""Reading LSP messages from stdin, in place of pygls's reader: messages are cut by their
``Content-Length`` header, malformed framing is skipped to the next header, and a message
over ``MAX_MESSAGE_BYTES`` is skipped as it arrives, never held."""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
from collections.abc import Iterator
from typing import Any

from flylint.files.reading import MAX_FILE_BYTES

# The largest message the reader takes in: one holding a document of MAX_FILE_BYTES
# fits, even with every byte JSON-escaped (``\u00XX``: six bytes). A larger one is
# skipped as it arrives, never held: a request gets an error, an opened or changed
# document the too-large diagnostic.
MAX_MESSAGE_BYTES = 6 * MAX_FILE_BYTES + 1024 * 1024
_CHUNK_BYTES = 1024 * 1024  # one read of stdin
_HEADER_BYTES = 64 * 1024  # bytes without a blank line before them are junk, not headers
_HEADER_TAIL = 1024  # of junk skipped, what is kept: a header may be starting there
PEEK_BYTES = 64 * 1024  # of a skipped message, the start and end read for its id

_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*(\d{1,20})[ \t]*(?:\r\n|\Z)", re.I)
_STRING = r'"(?:[^"\\]|\\.){0,4096}"'
METHOD = re.compile(r'"method"\s*:\s*(' + _STRING + ")")
ID = re.compile(r'"id"\s*:\s*(-?\d{1,20}|' + _STRING + ")")
URI = re.compile(r'"uri"\s*:\s*(' + _STRING + ")")


class Skipped:
    """A message over MAX_MESSAGE_BYTES, skipped as it arrives: its first bytes and, once
    it has gone by, its last, in which to find what it is."""

    __slots__ = ("answered", "complete", "head", "length", "tail")

    def __init__(self, length: int) -> None:
        self.length = length
        self.head = b""
        self.tail = b""
        self.complete = False
        self.answered = False


class Framer:
    """Cuts a byte stream into message bodies by their ``Content-Length`` header. Junk
    (the rest of a body whose header said it was shorter, garbage) is skipped up to the
    next header; a message over MAX_MESSAGE_BYTES is skipped, in bounded memory."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._skipping: Skipped | None = None
        self._left = 0  # bytes of the skipped message still to come

    def feed(self, data: bytes) -> Iterator[bytes | Skipped]:
        self._buffer += data
        while True:
            if self._skipping is not None:
                skipped = self._skipping
                if not self._buffer:
                    return
                taken = bytes(self._buffer[: self._left])
                del self._buffer[: len(taken)]
                self._left -= len(taken)
                room = PEEK_BYTES - len(skipped.head)
                full_before = room <= 0
                skipped.head += taken[: max(room, 0)]
                skipped.tail = (skipped.tail + taken)[-PEEK_BYTES:]
                if not self._left:
                    skipped.complete = True
                    self._skipping = None
                    yield skipped
                elif not full_before and len(skipped.head) >= PEEK_BYTES:
                    yield skipped  # its start: enough to answer most messages now
                continue
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > _HEADER_BYTES:
                    del self._buffer[:-_HEADER_TAIL]
                return
            start = end + 4
            lengths = _CONTENT_LENGTH.findall(bytes(self._buffer[:end]))
            if not lengths:
                del self._buffer[:start]  # junk up to a blank line
                continue
            length = int(lengths[-1])  # the last: junk may precede the real header
            if length > MAX_MESSAGE_BYTES:
                del self._buffer[:start]
                self._skipping, self._left = Skipped(length), length
                continue
            if len(self._buffer) < start + length:
                return
            body = bytes(self._buffer[start : start + length])
            del self._buffer[: start + length]
            yield body

    def resync(self, body: bytes) -> None:
        """``body`` was no message: if its header said more than it held, it swallowed
        the next message's header, and reading goes on from there."""
        found = _CONTENT_LENGTH.search(body)
        if found is not None and found.start() > 0:
            self._buffer[:0] = body[found.start() :]


def top_level(head: str, tail: str) -> str:
    """The parts of a message's JSON outside its nested objects, as far as its first and
    last bytes show them: where its ``id`` and ``method`` are."""
    first = head.find("{")
    nested = head.find("{", first + 1)
    outside = head if nested < 0 else head[:nested]
    body = tail.rstrip()
    if body.endswith("}"):
        closed = body.rfind("}", 0, len(body) - 1)
        outside += " " + body[closed + 1 : -1]
    return outside


def value(pattern: re.Pattern[str], text: str) -> Any:
    """The JSON value ``pattern`` finds in ``text``, or None."""
    match = pattern.search(text)
    if match is None:
        return None
    try:
        return json.loads(match.group(1))
    except ValueError:
        return None


class Stdin:
    """Reads of stdin in a thread, one at a time (a flood waits in the pipe, not in
    memory). A daemon reading the file descriptor, so that a read still blocked at exit
    holds neither the exit nor a lock of ``sys.stdin`` up."""

    def __init__(self, stream: Any) -> None:
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            read = getattr(stream, "read1", stream.read)
        else:

            def read(n: int) -> bytes:
                return os.read(fd, n)

        self._read = read
        self._wanted = threading.Semaphore(0)
        self._pending: tuple[asyncio.AbstractEventLoop, asyncio.Future[bytes]] | None = None
        threading.Thread(target=self._run, name="flylint-stdin", daemon=True).start()

    async def read(self) -> bytes:
        """The next bytes; b"" at the end."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = loop.create_future()
        self._pending = (loop, future)
        self._wanted.release()
        return await future

    def _run(self) -> None:
        while True:
            self._wanted.acquire()
            assert self._pending is not None
            loop, future = self._pending
            try:
                chunk = self._read(_CHUNK_BYTES)
            except (OSError, ValueError):
                chunk = b""
            try:
                loop.call_soon_threadsafe(_resolve, future, chunk)
            except RuntimeError:  # the loop is closed: the server is exiting
                return
            if not chunk:
                return


def _resolve(future: asyncio.Future[bytes], chunk: bytes) -> None:
    if not future.done():
        future.set_result(chunk)
