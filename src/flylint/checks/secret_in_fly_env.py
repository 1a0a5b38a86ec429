"""FLY101: a credential in fly.toml ``[env]``."""

from __future__ import annotations

from collections.abc import Iterator

from flylint.checks.context import FlyTomlContext
from flylint.detectors.secrets import SecretMatch, setting_secret
from flylint.diagnostics import Diagnostic


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    app = f" --app {ctx.app.name}" if ctx.app is not None and ctx.app.name else ""
    for key, found in table_secrets(ctx, "env"):
        # Never fixed automatically: moving a secret needs the real value and a deploy.
        yield ctx.diagnostic(
            "FLY101",
            ctx.config.where(("env", key)).entry,
            f"[env] {key} holds a credential ({found.kind}): make it a secret with "
            f"fly secrets set {key}={found.masked}{app} (the real value, masked here) "
            "and delete it from [env]",
            f"env.{key}",
        )


def table_secrets(ctx: FlyTomlContext, *table: str) -> Iterator[tuple[str, SecretMatch]]:
    """(key, what it holds) for each credential in a fly.toml table of string values."""
    for key, value in ctx.config.table(*table).items():
        if isinstance(value, str) and (match := setting_secret(key, value)) is not None:
            yield key, match
