"""FLY103: a credential in a Dockerfile ``ENV``."""

from __future__ import annotations

from collections.abc import Iterator

from flylint.checks.context import DockerfileContext
from flylint.detectors.secrets import find_secret
from flylint.diagnostics import Diagnostic


def check_dockerfile(ctx: DockerfileContext) -> Iterator[Diagnostic]:
    for instruction, setting in ctx.dockerfile.env():
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
