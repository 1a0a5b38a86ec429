"""FLY101 (secrets in fly.toml [env]) and FLY102 (secrets in fly.toml [build.args])."""

from __future__ import annotations

from collections.abc import Iterator

from flylint.context import FlyTomlContext
from flylint.model import Diagnostic
from flylint.secrets import find_secret


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    for key, found in _secrets(ctx, "env"):
        yield ctx.diagnostic(
            "FLY101",
            ctx.config.where(("env", key)).entry,
            f"[env] {key} holds a credential ({found}): move {key} out of [env]: "
            f"fly secrets set {key}=...",
            f"env.{key}",
        )
    for key, found in _secrets(ctx, "build", "args"):
        yield ctx.diagnostic(
            "FLY102",
            ctx.config.where(("build", "args", key)).entry,
            f"[build.args] {key} holds a credential ({found}), which stays in the image "
            f"history: pass it with fly deploy --build-secret {key}=... and read it in a "
            f"RUN --mount=type=secret,id={key} step",
            f"build.args.{key}",
        )


def _secrets(ctx: FlyTomlContext, *table: str) -> Iterator[tuple[str, str]]:
    """(key, "kind, masked value") for each credential in a table of string values."""
    for key, value in ctx.config.table(*table).items():
        if isinstance(value, str) and (match := find_secret(key, value)) is not None:
            yield key, f"{match.kind}, {match.masked}"
