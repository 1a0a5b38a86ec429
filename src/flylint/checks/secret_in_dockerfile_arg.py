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
            match = find_secret(key, setting.value) if setting.value else None
            if match is not None:
                message = (
                    f"ARG {key} defaults to a credential ({match.kind}, {match.masked}), "
                    f"which is kept in the image history: {fix}"
                )
            elif not setting.value and is_secret_name(key):
                message = (
                    f"ARG {key} passes a secret as a build argument, whose value is kept "
                    f"in the image history: {fix}"
                )
            else:
                continue
            yield ctx.diagnostic("FLY104", setting.span, message, f"{instruction.stage}.ARG.{key}")
