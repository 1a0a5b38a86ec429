"""FLY402: another app's public URL used as a service address in fly.toml ``[env]`` or a
Dockerfile ``ENV``."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flylint.checks.context import Context, DockerfileContext, FlyTomlContext
from flylint.checks.database_url_public_host import database_setting
from flylint.detectors import addresses
from flylint.diagnostics import Diagnostic, Edit
from flylint.repository.apps import Repository


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    config = ctx.config
    for key, value in config.table("env").items():
        if not isinstance(value, str):
            continue
        for message, confidence, target in _findings(key, value, ctx):
            private = _private_value(value, target, ctx.repository)
            yield ctx.diagnostic(
                "FLY402",
                config.where(("env", key)).entry,
                message,
                f"env.{key}",
                confidence,
                Edit(("env",), key, private) if private else None,
            )


def check_dockerfile(ctx: DockerfileContext) -> Iterator[Diagnostic]:
    for instruction, setting in ctx.dockerfile.env():
        for message, confidence, _ in _findings(setting.key, setting.value or "", ctx):
            anchor = f"{instruction.stage}.ENV.{setting.key}"
            yield ctx.diagnostic("FLY402", setting.span, f"ENV {message}", anchor, confidence)


def _findings(
    key: str, value: str, ctx: Context
) -> Iterator[tuple[str, str | None, addresses.FlyDevTarget]]:
    """(message, confidence, the called app's address) for a setting that calls another
    app's public URL."""
    if database_setting(key, value) is not None or not addresses.is_service_address_key(key):
        return
    for target in addresses.fly_dev_targets(value):
        if not ctx.is_own(target.app):
            # An app of this repository: certainly a call between our own services; an app
            # the repository does not hold may be a third party's public API.
            ours = ctx.repository.app_named(target.app) is not None
            confidence = "high" if ours else "medium"
            yield _message(ctx.repository, key, target, ours), confidence, target
            return


def _private_value(
    value: str, target: addresses.FlyDevTarget, repository: Repository
) -> str | None:
    """``value`` calling the app over the private network, for --fix: only when the value
    is a plain URL of an app of this repository; through Flycast when that app stops its
    idle Machines, else at its internal port when that is known."""
    other = repository.app_named(target.app)
    port = other.internal_port if other else None
    if other is None or target.scheme not in ("http", "https", "ws", "wss"):
        return None
    if port is None and not other.stops:
        return None
    prefix = re.match(rf"(?i)(?:https?|wss?)://{re.escape(target.app)}\.fly\.dev(?::\d+)?", value)
    if prefix is None or value[prefix.end() : prefix.end() + 1] not in ("", "/", "?", "#"):
        return None  # userinfo, a list of URLs, or text around the address
    if other.stops:  # only Flycast, through Fly's proxy, starts its stopped Machines
        return addresses.flycast_url(target.app, target.scheme) + value[prefix.end() :]
    assert port is not None
    return addresses.private_url(target.app, port, target.scheme) + value[prefix.end() :]


def _internal_port(repository: Repository, app: str) -> int | None:
    other = repository.app_named(app)
    return other.internal_port if other else None


def _message(repository: Repository, key: str, target: addresses.FlyDevTarget, ours: bool) -> str:
    other = repository.app_named(target.app)
    private = addresses.private_address(
        target.app, _internal_port(repository, target.app), target.scheme,
        other.stops if other else False,
    )  # fmt: skip
    return (
        f"{key} calls {target.app} over the public internet: use {private} "
        f"instead of {target.public_url} ({addresses.ownership(target.app, ours)})"
    )
