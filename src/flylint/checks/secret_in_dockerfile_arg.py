"""FLY104: a credential in, or passed through, a Dockerfile ``ARG``."""

from __future__ import annotations

from collections.abc import Iterator

from flylint.checks.context import DockerfileContext
from flylint.detectors.secrets import find_secret, is_secret_name
from flylint.diagnostics import Diagnostic
from flylint.files.dockerfile import arg_settings


def check_dockerfile(ctx: DockerfileContext) -> Iterator[Diagnostic]:
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword != "ARG":
            continue
        for setting in arg_settings(instruction):
            key = setting.key
            fix = f"use RUN --mount=type=secret,id={key} and fly deploy --build-secret {key}=..."
            # ARG X_TOKEN=${X_TOKEN} defaults to itself: it has no default of its own.
            value = "" if _refers_to_itself(key, setting.value or "") else setting.value
            match = find_secret(key, value) if value else None
            if match is not None:
                message = (
                    f"ARG {key} defaults to a credential ({match.kind}, {match.masked}), "
                    f"which is kept in the image history: {fix}"
                )
            elif not value and is_secret_name(key):
                message = (
                    f"ARG {key} passes a secret as a build argument, whose value is kept "
                    f"in the image history: {fix}"
                )
            else:
                continue
            yield ctx.diagnostic("FLY104", setting.span, message, f"{instruction.stage}.ARG.{key}")


def _refers_to_itself(key: str, value: str) -> bool:
    """Whether an ARG's default is only a reference to the ARG itself (``$KEY``,
    ``${KEY}``, ``${KEY:-}``), which gives it no value."""
    text = value.strip().strip("\"'")
    return text in (f"${key}", f"${{{key}}}", f"${{{key}:-}}", f"${{{key}-}}")
