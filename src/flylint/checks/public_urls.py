"""FLY302 (database connection over a public host) and FLY402 (another app's public URL
used as a service address), for configuration values."""

from __future__ import annotations

from collections.abc import Iterator

from flylint import addresses
from flylint.context import FlyTomlContext
from flylint.model import Diagnostic


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    config = ctx.config
    own = (ctx.app.name or "").lower()
    for key, value in config.table("env").items():
        if not isinstance(value, str):
            continue
        span = config.where(("env", key)).entry
        anchor = f"env.{key}"
        database = addresses.database_target(value)
        if database is None and addresses.is_database_host_key(key):
            database = addresses.database_host_target(value)
        if database is not None:
            # One problem, one finding: a database address is FLY302, never also FLY402.
            if addresses.is_public_database(database):
                yield ctx.diagnostic("FLY302", span, _database_message(ctx, key, database), anchor)
            continue
        if not addresses.is_service_address_key(key):
            continue
        for target in addresses.fly_dev_targets(value):
            if target.app == own:
                continue
            yield ctx.diagnostic("FLY402", span, _service_message(ctx, key, target), anchor)
            break


def _internal_port(ctx: FlyTomlContext, app: str) -> int | None:
    other = ctx.project.app_named(app)
    return other.internal_port if other else None


def _database_message(ctx: FlyTomlContext, key: str, target: addresses.DatabaseTarget) -> str:
    engine = target.engine if target.engine != "database" else "a database"
    if target.fly_app is not None:
        app = target.fly_app
        port = target.port or _internal_port(ctx, app) or "<port>"
        return (
            f"{key} connects to {engine} at {app}.fly.dev over the public internet: "
            f"use {app}.flycast:{port} (or {app}.internal:{port}) instead"
        )
    return (
        f"{key} connects to {engine} at the public IP {target.host}: connect over the "
        "private network (APP.flycast or APP.internal) instead"
    )


def _service_message(ctx: FlyTomlContext, key: str, target: addresses.FlyDevTarget) -> str:
    private = addresses.private_address(target.app, _internal_port(ctx, target.app), target.scheme)
    return (
        f"{key} calls {target.app} over the public internet: use {private} "
        f"instead of {target.public_url}"
    )
