"""FLY302: a database connection over a public host, in fly.toml ``[env]``, a Dockerfile
``ENV`` or a Python database driver call."""

from __future__ import annotations

from collections.abc import Iterator

from flylint.checks.context import DockerfileContext, FlyTomlContext, PythonContext
from flylint.detectors import addresses
from flylint.diagnostics import Diagnostic
from flylint.repository.apps import Repository


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    config = ctx.config
    for key, value in config.table("env").items():
        target = database_setting(key, value) if isinstance(value, str) else None
        if target is not None and addresses.is_public_database(target):
            yield ctx.diagnostic(
                "FLY302",
                config.where(("env", key)).entry,
                _message(ctx.repository, key, target),
                f"env.{key}",
            )


def check_dockerfile(ctx: DockerfileContext) -> Iterator[Diagnostic]:
    for instruction, setting in ctx.dockerfile.env():
        target = database_setting(setting.key, setting.value or "")
        if target is not None and addresses.is_public_database(target):
            yield ctx.diagnostic(
                "FLY302",
                setting.span,
                f"ENV {_message(ctx.repository, setting.key, target)}",
                f"{instruction.stage}.ENV.{setting.key}",
            )


def check_python(ctx: PythonContext) -> Iterator[Diagnostic]:
    import ast

    from flylint.files.python import calls_catalog

    module = ctx.module
    catalog = calls_catalog()["database"]
    functions = set(catalog["functions"])
    for call in module.nodes(ast.Call):
        names = module.names(call.func) & functions
        if not names:
            continue
        value = module.string(module.argument(call, catalog["url_keywords"]))
        if not value:
            continue
        target = addresses.database_target(value)
        if target is None and "://" not in value:
            target = addresses.database_host_target(value)
        if target is not None and addresses.is_public_database(target):
            label = min(names)
            yield ctx.diagnostic(
                "FLY302",
                module.span(call),
                _message(ctx.repository, label, target),
                f"{label}:{target.host}",
            )


def database_setting(key: str, value: str) -> addresses.DatabaseTarget | None:
    """The database a setting connects to: a database URL, or a host under a database host
    key. One problem, one finding: such a setting is FLY302's, never also FLY402's."""
    database = addresses.database_target(value)
    if database is None and addresses.is_database_host_key(key):
        database = addresses.database_host_target(value)
    return database


def _message(repository: Repository, key: str, target: addresses.DatabaseTarget) -> str:
    engine = target.engine if target.engine != "database" else "a database"
    if target.fly_app is not None:
        app = target.fly_app
        other = repository.app_named(app)
        port = target.port or (other.internal_port if other else None) or "<port>"
        return (
            f"{key} connects to {engine} at {app}.fly.dev over the public internet: "
            f"use {app}.flycast:{port} (or {app}.internal:{port}) instead"
        )
    return (
        f"{key} connects to {engine} at the public IP {target.host}: connect over the "
        "private network (APP.flycast or APP.internal) instead"
    )
