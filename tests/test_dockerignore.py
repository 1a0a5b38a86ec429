""".dockerignore semantics (flylint.support.dockerignore) on the examples of Docker's
documentation (docs.docker.com/build/concepts/context/#dockerignore-files) and the cases
where it differs from .gitignore."""

from __future__ import annotations

import pytest

from flylint.support.dockerignore import DockerIgnore

CASES = [
    # Docker's documented examples.
    ("# comment\n*/temp*", "somedir/temporary.txt", True),
    ("*/temp*", "somedir/temp", True),  # a directory: everything below it goes too
    ("*/temp*", "somedir/temp/notes.txt", True),
    ("*/temp*", "temporary.txt", False),  # one level below the root only
    ("*/*/temp*", "somedir/subdir/temporary.txt", True),
    ("*/*/temp*", "somedir/temporary.txt", False),
    ("temp?", "tempa", True),
    ("temp?", "temp", False),
    ("**/*.go", "main.go", True),  # "**" stands for no directory too
    ("**/*.go", "cmd/tool/main.go", True),
    ("*.md\n!README.md", "README.md", False),
    ("*.md\n!README.md", "CHANGES.md", True),
    ("*.md\n!README*.md\nREADME-secret.md", "README-secret.md", True),
    ("*.md\nREADME-secret.md\n!README*.md", "README-secret.md", False),  # the last decides
    # Anchored at the context's root, unlike .gitignore.
    (".env", "app/.env", False),
    ("**/.env", "app/.env", True),
    ("/.env", ".env", True),
    ("./config/../.env", ".env", True),  # cleaned as Go's filepath.Clean cleans it
    ("secrets/", "secrets/gcp.json", True),  # a trailing slash is cleaned away
    # An exception re-includes a file inside an excluded directory (git cannot).
    ("secrets\n!secrets/public.pem", "secrets/public.pem", False),
    ("secrets\n!secrets/public.pem", "secrets/private.pem", True),
    # A "#" is a comment in column 1 only; blank lines are nothing.
    (" #.env\n\n", "#.env", True),
    ("#.env", ".env", False),
    # Case matters, as on Linux builders.
    (".ENV", ".env", False),
    ("[a-c].key", "b.key", True),
    (".env*\n!.env.example", ".env.example", False),
    (".env*\n!.env.example", ".env.production", True),
]


@pytest.mark.parametrize(("text", "path", "excluded"), CASES)
def test_dockerignore_excludes_as_docker_does(text: str, path: str, excluded: bool) -> None:
    assert DockerIgnore.parse(text).excludes(path) is excluded


def test_the_deciding_line_is_named_with_its_number() -> None:
    ignore = DockerIgnore.parse("# keep the example\n.env*\n\n!.env.live\n")
    line = ignore.deciding(".env.live")
    assert line is not None
    assert (line.line, line.pattern, line.exception) == (4, "!.env.live", True)
    assert ignore.deciding("app.py") is None


def test_a_hostile_pattern_is_matched_in_bounded_time() -> None:
    import time

    ignore = DockerIgnore.parse("*a*a*a*a*a*a*a*a*a*a*a*b\n" * 50)
    start = time.perf_counter()
    assert not ignore.excludes("a" * 250)
    assert time.perf_counter() - start < 1.0
