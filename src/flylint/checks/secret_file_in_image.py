"""FLY105: a COPY or ADD that puts a secret file (.env, a private key, credentials) in the image."""

from __future__ import annotations

import functools
from collections.abc import Iterator

from flylint.checks.context import DockerfileContext
from flylint.diagnostics import Diagnostic, Span
from flylint.files.dockerfile import Instruction
from flylint.registry import rule_data
from flylint.support import globs
from flylint.support.records import Record


class _Names(Record):
    """Shell patterns for a path: one without ``/`` matches its last part, one with ``/``
    its end (``config/credentials/*.key`` matches ``app/config/credentials/x.key``)."""

    __slots__ = ("names", "paths")

    def __init__(self, names: globs.Globs, paths: globs.Globs) -> None:
        self.names = names
        self.paths = paths

    @classmethod
    def of(cls, patterns: list[str]) -> _Names:
        paths = [p for p in patterns if "/" in p]
        names = globs.Globs(p for p in patterns if "/" not in p)
        return cls(names, globs.Globs([*paths, *(f"*{p}" for p in paths)]))

    def match(self, path: str, name: str) -> bool:
        return self.names.match(name) or self.paths.match(path)


class _Kind(Record):
    __slots__ = ("description", "exceptions", "patterns")

    def __init__(self, description: str, patterns: _Names, exceptions: _Names) -> None:
        self.description = description
        self.patterns = patterns
        self.exceptions = exceptions


@functools.cache
def _catalog() -> tuple[str, frozenset[str], _Names, tuple[_Kind, ...]]:
    catalog = rule_data.catalog("secret-files")
    kinds = tuple(
        _Kind(k["description"], _Names.of(k["patterns"]), _Names.of(k["except"]))
        for k in catalog["kinds"]
    )
    # Most paths are no kind's: one test of every kind's patterns at once rules them out.
    anything = _Names.of([pattern for k in catalog["kinds"] for pattern in k["patterns"]])
    return catalog["env_file_prefix"], frozenset(catalog["env_template_suffixes"]), anything, kinds


# A wildcard source (COPY .env* ./) is judged by the secret files it would pick up.
_WILDCARD_PROBES = (".env", ".env.production", "id_rsa", "server.key", "master.key")


def secret_file_kind(source: str) -> str | None:
    """What secret a build-context path holds, if it is a secret file."""
    path = source.strip().rstrip("/").lower()
    if any(c in path for c in "*?["):
        directory, _, pattern = path.rpartition("/")
        for probe in _WILDCARD_PROBES:
            if globs.match(probe, pattern):
                return _kind(f"{directory}/{probe}" if directory else probe)
        return None
    return _kind(path)


def _kind(path: str) -> str | None:
    prefix, templates, anything, kinds = _catalog()
    name = path.rsplit("/", 1)[-1]
    if name == prefix or (
        name.startswith(prefix + ".") and name[len(prefix) + 1 :] not in templates
    ):
        return "a dotenv file"
    if not anything.match(path, name):
        return None
    for kind in kinds:
        if kind.patterns.match(path, name) and not kind.exceptions.match(path, name):
            return kind.description
    return None


def _sources(instruction: Instruction) -> list[tuple[str, Span]]:
    """The build-context paths a COPY/ADD reads (not its destination), with positions.

    In the JSON form (``COPY ["a", "b", "/dest/"]``) the words carry the brackets and
    commas once their quotes are gone; they are trimmed off.
    """
    arguments = instruction.arguments
    if arguments and arguments[0].text.startswith("["):
        paths = [(w.text.strip("[], "), w.span) for w in arguments]
        paths = [(text, span) for text, span in paths if text]
        return paths[:-1]
    return [(w.text, w.span) for w in arguments[:-1] if not w.text.startswith("<<")]


def check_dockerfile(ctx: DockerfileContext) -> Iterator[Diagnostic]:
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword not in ("COPY", "ADD") or "from" in instruction.flags:
            continue  # COPY --from copies from another stage or image, not the context
        for source, span in _sources(instruction):
            if "://" in source:
                continue  # ADD of a URL
            kind = secret_file_kind(source)
            if kind is None:
                continue
            yield ctx.diagnostic(
                "FLY105",
                span,
                f"{instruction.keyword} {source} puts {kind} into the image, where anyone who "
                f"can pull it can read it: add {source} to .dockerignore and pass its values "
                f"with fly secrets set (run time) or fly deploy --build-secret (build time)",
                f"{instruction.stage}.{instruction.keyword}.{source}",
            )
