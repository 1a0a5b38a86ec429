"""FLY102: a credential in fly.toml ``[build.args]``."""

from __future__ import annotations

from collections.abc import Iterator

from flylint.checks.context import FlyTomlContext
from flylint.checks.secret_in_fly_env import table_secrets
from flylint.diagnostics import Diagnostic


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    for key, found in table_secrets(ctx, "build", "args"):
        yield ctx.diagnostic(
            "FLY102",
            ctx.config.where(("build", "args", key)).entry,
            f"[build.args] {key} holds a credential ({found.kind}, {found.masked}), which "
            f"stays in the image history: pass it with fly deploy --build-secret {key}=... "
            f"and read it in a RUN --mount=type=secret,id={key} step",
            f"build.args.{key}",
        )
