"""When open documents are linted. A lint runs in one worker thread, so the server goes
on reading messages while it runs, and always lints a document's newest text: edits that
come within ``DEBOUNCE_SECONDS`` of each other cost one lint, and a lint whose document
changed, was saved or closed while it ran publishes nothing (the lint of the newer state,
already due, does). A thread cannot be stopped, so a stale lint runs to its end; what
the editor waits for is never it but the lint of its newest text."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

# Typing is a keystroke every 100-300 ms; a burst (a paste, an editor's auto-edit, a
# fast typist) comes faster than this. Short enough that a keystroke in a 100 KB Python
# file is linted and published within 150 ms of it on a laptop.
DEBOUNCE_SECONDS = 0.05


@dataclass(frozen=True)
class Job:
    """A document's state as it was when its lint started: the version it publishes for,
    and the work (run in the worker thread)."""

    version: int | None
    work: Callable[[], Any]


class Scheduler:
    """Lints due documents one at a time, in order. ``start`` (called on the event loop)
    takes a snapshot of a document and returns its Job, or None when there is nothing to
    lint; ``finish`` (on the event loop) publishes a Job's result if it is still current."""

    def __init__(
        self,
        start: Callable[[str], Job | None],
        finish: Callable[[str, Job, Any], None],
    ) -> None:
        self._start = start
        self._finish = finish
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._due: dict[str, None] = {}  # in the order they became due
        # A number per document that every later schedule or cancel changes: a lint
        # publishes only when its document's number is the one it started with.
        self._generation: dict[str, int] = {}
        self._counter = 0
        self._busy = False
        self._executor: ThreadPoolExecutor | None = None

    def schedule(self, uri: str, delay: float = 0.0) -> None:
        """Lint ``uri`` after ``delay`` seconds without another schedule of it."""
        self._renew(uri)
        if delay <= 0:
            self._ready(uri)
        else:
            loop = asyncio.get_running_loop()
            self._timers[uri] = loop.call_later(delay, self._ready, uri)

    def cancel(self, uri: str) -> None:
        """Lint ``uri`` no more (it closed): nothing due or running publishes for it."""
        self._renew(uri)
        del self._generation[uri]

    def _renew(self, uri: str) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self._due.pop(uri, None)
        self._counter += 1
        self._generation[uri] = self._counter

    def _ready(self, uri: str) -> None:
        self._timers.pop(uri, None)
        self._due[uri] = None
        self._next()

    def _next(self) -> None:
        while not self._busy and self._due:
            uri = next(iter(self._due))
            del self._due[uri]
            job = self._start(uri)
            if job is None:
                continue
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="flylint-lint")
            self._busy = True
            generation = self._generation.get(uri)
            future = asyncio.get_running_loop().run_in_executor(self._executor, job.work)
            future.add_done_callback(functools.partial(self._done, uri, generation, job))

    def _done(self, uri: str, generation: int | None, job: Job, done: asyncio.Future) -> None:
        self._busy = False
        try:
            if self._generation.get(uri) == generation:
                self._finish(uri, job, done.result())
        finally:
            self._next()
