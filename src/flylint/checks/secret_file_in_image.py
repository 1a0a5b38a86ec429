"""FLY105: a COPY or ADD that puts a secret file (.env, a private key, credentials) in the
image: named as its source, or inside a directory it copies (``COPY . .``) because the file
is in the app's build context, .dockerignore does not exclude it, and the stage that copies
it is the final image or is copied into it (``COPY --from``)."""

from __future__ import annotations

import fnmatch
import functools
import os
import posixpath
from collections.abc import Iterator

from flylint.checks.context import DockerfileContext
from flylint.detectors import secret_files
from flylint.diagnostics import Diagnostic, Related, Span
from flylint.registry import rule_data
from flylint.repository.facts import NAMED, Producer
from flylint.support import globs
from flylint.support.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # imported for FACTS on a warm run, which parses no Dockerfile
    from flylint.files.dockerfile import Dockerfile, Instruction
    from flylint.repository.facts import Fact
    from flylint.support.dockerignore import DockerIgnore, Line


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
    prefix, _, anything, kinds = _catalog()
    name = path.rsplit("/", 1)[-1]
    if name == prefix or (name.startswith(prefix + ".") and not _template(name)):
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
    yield from _named_sources(ctx)
    yield from _context_copies(ctx)


def _named_sources(ctx: DockerfileContext) -> Iterator[Diagnostic]:
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


# -- secret files inside the directories a COPY or ADD copies ---------------------------

# The names worth a look in a build context: the catalog's secret files (by their last
# part: ".aws/credentials" is a file named "credentials"), dotenv files, and files whose
# content may say they are secret (service-account JSON, PEM keys, registry credentials).
_SNIFFED = ("*.json", "*.pem", ".npmrc", ".pypirc", "*.env", "*kubeconfig*")


@functools.cache
def _context_names() -> tuple[str, ...]:
    catalog = rule_data.catalog("secret-files")
    prefix = catalog["env_file_prefix"]
    names = {pattern.rsplit("/", 1)[-1] for k in catalog["kinds"] for pattern in k["patterns"]}
    return tuple(sorted({prefix, f"{prefix}.*", *names, *_SNIFFED}))


def _secret_file_rows(text: str | None, name: str) -> list[tuple]:
    """(what its content holds, the keys holding credentials) of a file named like a secret
    or worth sniffing; nothing for a sniffed file that holds none (a package.json)."""
    kind, keys = secret_files.sniff(text, name)
    if not kind and not _named_secret(name):
        return []
    return [(kind, *keys)]


def _named_secret(name: str) -> bool:
    lower = name.lower()
    return not any(fnmatch.fnmatchcase(lower, p) for p in _SNIFFED) or lower.endswith(".env")


def _dockerignore_rows(text: str | None, name: str) -> list[tuple]:
    return [(text,)] if text is not None else []


FACTS = (
    Producer("context-file", NAMED, _secret_file_rows, names=_context_names()),
    Producer("dockerignore", NAMED, _dockerignore_rows, names=("*.dockerignore",)),
)

# A path segment that says a file is not the app's own secret: a test key, an example.
_NOT_LIVE = frozenset(
    {"test", "tests", "testing", "testdata", "fixtures", "spec", "example", "examples", "sample",
     "samples", "demo", "docs", "mock", "mocks", "ci"}
)  # fmt: skip


class _Copied(Record):
    """A secret file of the context a COPY/ADD puts into a stage."""

    __slots__ = ("fact", "instruction", "landed", "relative", "source", "span")

    def __init__(
        self, fact: Fact, relative: str, instruction: Instruction, source: str, span: Span,
        landed: str,
    ) -> None:  # fmt: skip
        self.fact = fact
        self.relative = relative  # to the build context, with "/"
        self.instruction = instruction
        self.source = source  # the COPY source that holds it
        self.span = span
        self.landed = landed  # its path in the stage ("" when a variable hides it)


def _context_copies(ctx: DockerfileContext) -> Iterator[Diagnostic]:
    """The secret files each directory copy brings into the final image."""
    app = ctx.app
    if app is None:
        return
    files = {}
    for fact in ctx.facts("context-file"):
        relative = os.path.relpath(fact.resolved, app.context).replace(os.sep, "/")
        files[relative] = fact
    ignore, ignore_name = _dockerignore(ctx, app.context, app.dockerfile)
    stages = _Stages(ctx.dockerfile)
    reported: set[int] = set()
    for copied in _copied(ctx.dockerfile, files, stages):
        kind, keys, confidence = _judged(copied)
        if kind is None:
            continue
        deciding = ignore.deciding(copied.relative) if ignore else None
        if deciding is not None and not deciding.exception:
            continue
        route = stages.to_final(copied.instruction.stage, copied.landed)
        if route is None:
            continue
        reported.add(id(copied.instruction))
        yield _finding(ctx, copied, kind, keys, confidence, ignore_name, deciding, route)
    if ignore is None:
        yield from _no_dockerignore(ctx, stages, reported)


def _dockerignore(
    ctx: DockerfileContext, context: str, dockerfile: str | None
) -> tuple[DockerIgnore | None, str]:
    """The ignore-file Docker uses: ``<Dockerfile>.dockerignore`` beside the Dockerfile,
    else ``.dockerignore`` at the context's root."""
    from flylint.support.dockerignore import DockerIgnore  # only with a Dockerfile to lint

    texts = {fact.resolved: fact.row[0] for fact in ctx.facts("dockerignore")}
    candidates = [f"{context}{os.sep}.dockerignore"]
    if dockerfile:
        candidates.insert(0, dockerfile + ".dockerignore")
    for candidate in candidates:
        if candidate in texts:
            name = os.path.relpath(candidate, context).replace(os.sep, "/")
            return DockerIgnore.parse(texts[candidate]), name
    return None, ".dockerignore"


def _copied(dockerfile: Dockerfile, files: dict[str, Fact], stages: _Stages) -> Iterator[_Copied]:
    """Each (COPY/ADD from the context, secret-looking file of the context it copies)."""
    if not files:
        return
    for instruction in dockerfile.instructions:
        if instruction.keyword not in ("COPY", "ADD") or "from" in instruction.flags:
            continue
        sources = _sources(instruction)
        if not sources:
            continue
        destination = instruction.arguments[-1].text if instruction.arguments else ""
        for source, span in sources:
            if "://" in source:
                continue
            cleaned = posixpath.normpath("/" + source).lstrip("/")  # "./" and "/" are the root
            for relative, fact in files.items():
                inside = _inside(relative, cleaned)
                if inside is None:
                    continue
                landed = stages.landing(instruction, destination, inside)
                yield _Copied(fact, relative, instruction, source, span, landed)


def _inside(relative: str, source: str) -> str | None:
    """Where the file at ``relative`` lands under what ``source`` copies (its path below
    the copied directory), None when ``source`` does not copy it. A file named by the
    source itself is the named-source check's (``COPY .env ./``)."""
    if source in ("", "."):
        return relative
    if any(c in source for c in "*?["):
        parts = relative.split("/")
        for depth in range(1, len(parts)):  # a directory the wildcard matches
            if fnmatch.fnmatchcase("/".join(parts[:depth]), source) and "/" not in source:
                return "/".join(parts[depth:])
        return None
    if relative.startswith(source + "/"):
        return relative[len(source) + 1 :]
    return None


def _judged(copied: _Copied) -> tuple[str | None, tuple[str, ...], str]:
    """(what the file is, the keys holding credentials, the confidence); None: no secret.
    What the content shows names it best (a service-account key in any *.json); a dotenv
    file counts when it holds credentials (many hold only settings); a file named like a
    key or a credentials file counts by its name, surer when its content says so too."""
    content, *keys = copied.fact.row
    named = secret_file_kind(copied.relative)
    if content in (secret_files.PRIVATE_KEY, secret_files.SERVICE_ACCOUNT):
        kind = content
    elif named == "a dotenv file":
        if content != secret_files.CREDENTIALS:
            return None, (), ""
        kind = "a dotenv file with credentials"
    elif named is not None:
        kind = named
    elif content == secret_files.CREDENTIALS:
        kind = "a file holding credentials"
    else:
        return None, (), ""
    confidence = "high" if content else "medium"
    parts = copied.relative.lower().split("/")
    if (
        _NOT_LIVE.intersection(parts[:-1])
        or _template(parts[-1])
        or _NOT_LIVE.intersection(_dotenv_suffixes(parts[-1]))
    ):
        confidence = "low"  # a test key, a test environment; a template's values are examples
    return kind, tuple(keys), confidence


def _template(name: str) -> bool:
    """A committed dotenv template (.env.example, .env.production.sample): values to copy,
    not use."""
    return not _catalog()[1].isdisjoint(_dotenv_suffixes(name))


def _dotenv_suffixes(name: str) -> list[str]:
    """The parts of a dotenv file's name after ".env" (.env.production.local: production,
    local); none for other names."""
    prefix = _catalog()[0]
    return name[len(prefix) + 1 :].split(".") if name.startswith(prefix + ".") else []


def _finding(
    ctx: DockerfileContext,
    copied: _Copied,
    kind: str,
    keys: tuple[str, ...],
    confidence: str,
    ignore_name: str,
    deciding: Line | None,
    route: list[Instruction],
) -> Diagnostic:
    instruction = copied.instruction
    holding = f" ({', '.join(keys[:3])})" if keys else ""
    if deciding is not None:
        why = f"{ignore_name} line {deciding.line} `{deciding.pattern}` keeps it"
    elif ignore_name and any(f.row for f in ctx.facts("dockerignore")):
        why = f"{ignore_name} does not exclude it"
    else:
        why = "there is no .dockerignore"
    through = ""
    related = []
    for step in route:
        stage_from = step.flags.get("from", "")
        through = f" (copied on into the final image by COPY --from={stage_from})"
        related.append(
            Related(step.span, f"COPY --from={stage_from} takes it into the final image")
        )
    message = (
        f"{instruction.keyword} {copied.source} copies {copied.relative}, {kind}{holding}, "
        f"into the image{through}: {why}; fly deploy sends the whole directory, untracked "
        f"files too. Add /{copied.relative} to .dockerignore and pass its values with fly "
        "secrets set (run time) or fly deploy --build-secret (build time)"
    )
    anchor = f"{instruction.stage}.{instruction.keyword}.{copied.source}.{copied.relative}"
    return ctx.diagnostic(
        "FLY105", copied.span, message, anchor, confidence, related=tuple(related)
    )


def _no_dockerignore(
    ctx: DockerfileContext, stages: _Stages, reported: set[int]
) -> Iterator[Diagnostic]:
    """A copy of the whole context into the final image with no .dockerignore at all: a
    .env or key added later, tracked or not, goes into the image unnoticed."""
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword not in ("COPY", "ADD") or "from" in instruction.flags:
            continue
        if id(instruction) in reported or instruction.stage != stages.final:
            continue
        for source, span in _sources(instruction):
            if posixpath.normpath("/" + source) != "/":
                continue
            message = (
                f"{instruction.keyword} {source} copies the whole build context into the "
                "image and there is no .dockerignore: any .env file or key in the directory "
                "fly deploy sends (untracked files too) goes into the image; add a "
                ".dockerignore that excludes .env* and keys"
            )
            anchor = f"{instruction.stage}.{instruction.keyword}.{source}.no-dockerignore"
            yield ctx.diagnostic("FLY105", span, message, anchor, "low")
            break


class _Stages:
    """The build stages of a Dockerfile: where a COPY puts a file, and whether a stage's
    file reaches the final image (the last stage: it is the image, a stage built ``FROM``
    it inherits it, and ``COPY --from`` copies paths of one stage into another)."""

    def __init__(self, dockerfile: Dockerfile) -> None:
        self.final = len(dockerfile.stages) - 1
        names = {}
        for index, stage in enumerate(dockerfile.stages):
            if stage.name:
                names[stage.name.lower()] = index
        self.base = [names.get(stage.image.lower()) for stage in dockerfile.stages]
        self.workdir: dict[int, str] = {}  # each COPY's stage's WORKDIR, by id
        self.copies_from: list[tuple[int, int, str, str, Instruction]] = []
        workdirs = ["/"] * len(dockerfile.stages)
        for instruction in dockerfile.instructions:
            stage = instruction.stage
            if stage < 0:
                continue
            if instruction.keyword == "FROM":
                base = self.base[stage]
                workdirs[stage] = workdirs[base] if base is not None else "/"
            elif instruction.keyword == "WORKDIR" and instruction.arguments:
                workdirs[stage] = posixpath.join(workdirs[stage], instruction.arguments[0].text)
            elif instruction.keyword in ("COPY", "ADD"):
                self.workdir[id(instruction)] = workdirs[stage]
                origin = instruction.flags.get("from")
                arguments = instruction.arguments
                if origin is None or len(arguments) < 2:
                    continue
                index = names.get(origin.lower())
                if index is None and origin.isdigit():
                    index = int(origin)
                if index is None or index >= stage:
                    continue
                destination = self._absolute(stage, workdirs[stage], arguments[-1].text)
                for word in arguments[:-1]:
                    source = posixpath.normpath(posixpath.join("/", word.text))
                    self.copies_from.append((index, stage, source, destination, instruction))

    @staticmethod
    def _absolute(stage: int, workdir: str, path: str) -> str:
        return posixpath.normpath(posixpath.join(workdir, path)) if "$" not in path else ""

    def landing(self, instruction: Instruction, destination: str, inside: str) -> str:
        """Where a file ``inside`` a copied directory lands in the stage ("" when a
        variable hides it)."""
        target = self._absolute(instruction.stage, self.workdir.get(id(instruction), "/"),
                                destination)  # fmt: skip
        return posixpath.join(target, inside) if target else ""

    def to_final(self, stage: int, path: str, depth: int = 0) -> list[Instruction] | None:
        """The COPY --from instructions that take ``path`` of ``stage`` into the final
        image ([] when ``stage`` is it), None when it does not get there."""
        if stage == self.final:
            return []
        if not path or depth > len(self.base):
            return None  # a path a variable hides is not followed
        for later, base in enumerate(self.base):
            if base == stage and later > stage:
                route = self.to_final(later, path, depth + 1)
                if route is not None:
                    return route
        for origin, into, source, destination, instruction in self.copies_from:
            if origin != stage or not destination:
                continue
            if path == source or path.startswith(source.rstrip("/") + "/"):
                moved = posixpath.join(destination, posixpath.relpath(path, source))
                route = self.to_final(into, posixpath.normpath(moved), depth + 1)
                if route is not None:
                    return [instruction, *route]
        return None
