"""FLY302 (database connection over a public host) and FLY402 (another app's public URL
used as a service address), for settings in fly.toml [env] and Dockerfile ENV, and
FLY302 for Python database driver calls."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flylint.checks.context import DockerfileContext, FlyTomlContext, PythonContext
from flylint.detectors import addresses
from flylint.diagnostics import Diagnostic, Edit
from flylint.repository.apps import App, Project


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    config = ctx.config
    for key, value in config.table("env").items():
        if isinstance(value, str):
            for rule_id, message, precision, target in _findings(key, value, ctx.app, ctx.project):
                span = config.where(("env", key)).entry
                private = _private_value(value, target, ctx.project) if target else None
                fix = Edit(("env",), key, private) if private else None
                yield ctx.diagnostic(rule_id, span, message, f"env.{key}", precision, fix)


def check_dockerfile(ctx: DockerfileContext) -> Iterator[Diagnostic]:
    from flylint.files.dockerfile import env_settings  # not needed by fly.toml-only runs

    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword != "ENV":
            continue
        for setting in env_settings(instruction):
            for rule_id, message, precision, _ in _findings(
                setting.key, setting.value or "", ctx.app, ctx.project
            ):
                anchor = f"{instruction.stage}.ENV.{setting.key}"
                yield ctx.diagnostic(rule_id, setting.span, f"ENV {message}", anchor, precision)


def check_python(ctx: PythonContext) -> Iterator[Diagnostic]:
    import libcst as cst

    from flylint.files.python import calls_catalog

    module = ctx.module
    catalog = calls_catalog()["database"]
    functions = set(catalog["functions"])
    for call in module.nodes(cst.Call):
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
                _database_message(ctx.project, label, target),
                f"{label}:{target.host}",
            )


def _findings(
    key: str, value: str, app: App | None, project: Project
) -> Iterator[tuple[str, str, str | None, addresses.FlyDevTarget | None]]:
    """(rule id, message, precision when surer than the rule's, the called app's
    address for FLY402) for one setting."""
    database = addresses.database_target(value)
    if database is None and addresses.is_database_host_key(key):
        database = addresses.database_host_target(value)
    if database is not None:
        # One problem, one finding: a database address is FLY302, never also FLY402.
        if addresses.is_public_database(database):
            yield "FLY302", _database_message(project, key, database), None, None
        return
    if not addresses.is_service_address_key(key):
        return
    for target in addresses.fly_dev_targets(value):
        if not project.is_own(target.app, app):
            # An app of this repository: certainly a call between our own services.
            surer = "very-high" if project.app_named(target.app) else None
            yield "FLY402", _service_message(project, key, target), surer, target
            return


def _private_value(value: str, target: addresses.FlyDevTarget, project: Project) -> str | None:
    """``value`` calling the app over the private network, for --fix: only when the value
    is a plain URL of an app of this repository whose internal port is known."""
    port = _internal_port(project, target.app)
    if port is None or target.scheme not in ("http", "https", "ws", "wss"):
        return None
    prefix = re.match(rf"(?i)(?:https?|wss?)://{re.escape(target.app)}\.fly\.dev(?::\d+)?", value)
    if prefix is None or value[prefix.end() : prefix.end() + 1] not in ("", "/", "?", "#"):
        return None  # userinfo, a list of URLs, or text around the address
    return addresses.private_url(target.app, port, target.scheme) + value[prefix.end() :]


def _internal_port(project: Project, app: str) -> int | None:
    other = project.app_named(app)
    return other.internal_port if other else None


def _database_message(project: Project, key: str, target: addresses.DatabaseTarget) -> str:
    engine = target.engine if target.engine != "database" else "a database"
    if target.fly_app is not None:
        app = target.fly_app
        port = target.port or _internal_port(project, app) or "<port>"
        return (
            f"{key} connects to {engine} at {app}.fly.dev over the public internet: "
            f"use {app}.flycast:{port} (or {app}.internal:{port}) instead"
        )
    return (
        f"{key} connects to {engine} at the public IP {target.host}: connect over the "
        "private network (APP.flycast or APP.internal) instead"
    )


def _service_message(project: Project, key: str, target: addresses.FlyDevTarget) -> str:
    private = addresses.private_address(
        target.app, _internal_port(project, target.app), target.scheme
    )
    return (
        f"{key} calls {target.app} over the public internet: use {private} "
        f"instead of {target.public_url}"
    )
