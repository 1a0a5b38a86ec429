"""FLY101 (secrets in fly.toml [env]) and FLY102 (secrets in fly.toml [build.args])."""

from __future__ import annotations

from collections.abc import Iterator

from flylint.context import FlyTomlContext
from flylint.model import Diagnostic
from flylint.secrets import find_secret


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    config = ctx.config
    for key, value in config.table("env").items():
        if not isinstance(value, str):
            continue
        match = find_secret(key, value)
        if match is not None:
            yield ctx.diagnostic(
                "FLY101",
                config.where(("env", key)).entry,
                f"[env] {key} holds a {match.kind} ({match.masked}): move {key} out of [env]: "
                f"fly secrets set {key}=...",
                f"env.{key}",
            )
    for key, value in config.table("build", "args").items():
        if not isinstance(value, str):
            continue
        match = find_secret(key, value)
        if match is not None:
            yield ctx.diagnostic(
                "FLY102",
                config.where(("build", "args", key)).entry,
                f"[build.args] {key} holds a {match.kind} ({match.masked}), which stays in the "
                f"image history: pass it with fly deploy --build-secret {key}=... and read it "
                f"in a RUN --mount=type=secret,id={key} step",
                f"build.args.{key}",
            )
