"""FLY103 (secret in a Dockerfile ENV) and FLY104 (secret in, or passed through, an ARG)."""

from __future__ import annotations

from collections.abc import Iterator

from flylint.checks.context import DockerfileContext
from flylint.detectors.secrets import find_secret, is_secret_name
from flylint.diagnostics import Diagnostic
from flylint.files.dockerfile import arg_settings, env_settings


def check_dockerfile(ctx: DockerfileContext) -> Iterator[Diagnostic]:
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword == "ENV":
            for setting in env_settings(instruction):
                match = find_secret(setting.key, setting.value or "")
                if match is None:
                    continue
                yield ctx.diagnostic(
                    "FLY103",
                    setting.span,
                    f"ENV {setting.key} bakes a credential ({match.kind}, {match.masked}) into "
                    f"the image: delete it and set it at run time with "
                    f"fly secrets set {setting.key}=...",
                    f"{instruction.stage}.ENV.{setting.key}",
                )
        elif instruction.keyword == "ARG":
            for setting in arg_settings(instruction):
                key = setting.key
                fix = (
                    f"use RUN --mount=type=secret,id={key} and fly deploy --build-secret {key}=..."
                )
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
                yield ctx.diagnostic(
                    "FLY104", setting.span, message, f"{instruction.stage}.ARG.{key}"
                )
