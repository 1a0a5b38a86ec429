"""FLY301: a database exposed as a public service."""

from __future__ import annotations

from collections.abc import Iterator

from flylint.checks.context import FlyTomlContext
from flylint.detectors import databases, hostnames, private
from flylint.diagnostics import Diagnostic, Related, Span
from flylint.files.fly_toml import handlers, port_number

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from flylint.files.toml_locations import KeyPath

# The image the app's Dockerfile runs; the addresses other apps call it at.
FACTS = (*databases.FACTS, *hostnames.FACTS)


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    config = ctx.config
    app = ctx.app.name or "<app>"
    image_engine = databases.image_engine(ctx)
    entries: list[tuple[KeyPath, str, dict[str, Any], list[tuple[KeyPath, dict[str, Any]]]]] = []
    service = config.data.get("http_service")
    if isinstance(service, dict):
        entries.append((("http_service",), "[http_service]", service, []))
    for path, table in config.tables("services"):
        ports = config.tables(*path, "ports")
        if ports:  # a service without public ports is reachable only over the private network
            entries.append((path, "[[services]]", table, ports))

    stock = _stock_fly_postgres(config.data)
    found = []
    for path, label, table, ports in entries:
        reason = _reason(ctx, app, label, path, table, ports, image_engine, stock)
        if reason is not None:
            found.append((path, label, *reason))
    if not found:
        return
    # One database app, one finding: at the surest of its services, the others listed.
    rank = ("high", "medium", "low").index
    first = min(found, key=lambda f: rank(f[4]))
    path, _, span, message, confidence = first
    hidden = private.evidence(ctx) if confidence == "high" else None
    if hidden is not None:
        message = f"{message} (it may have no public IP: {hidden}; fly ips list -a {app} tells)"
        confidence = "low"
    related = tuple(
        Related(other_span, f"{other_label} also exposes this database here")
        for _, other_label, other_span, _, _ in found
        if other_span != span
    )
    anchor = ".".join(map(str, path))
    yield ctx.diagnostic("FLY301", span, message, anchor, confidence, related=related)


def _stock_fly_postgres(data: dict[str, Any]) -> str | None:
    """The evidence that this is the config ``fly pg create`` made (which allocates no
    public IP): a ``flyio/postgres*`` image, or its ``/flycheck/`` health checks."""
    image = (data.get("build") or {}).get("image") if isinstance(data.get("build"), dict) else None
    if isinstance(image, str) and image.strip().lower().startswith("flyio/postgres"):
        return f"its image is {image.strip()}"
    checks = data.get("checks")
    if isinstance(checks, dict):
        paths = [c.get("path") for c in checks.values() if isinstance(c, dict)]
        if any(isinstance(p, str) and p.startswith("/flycheck/") for p in paths):
            return "its /flycheck/ health checks"
    return None


def _reason(
    ctx: FlyTomlContext,
    app: str,
    label: str,
    path: KeyPath,
    table: dict[str, Any],
    ports: list[tuple[KeyPath, dict[str, Any]]],
    image_engine: str | None,
    stock: str | None,
) -> tuple[Span, str, str] | None:
    """Where and why this service exposes a database, and how sure that is: the strongest
    evidence only."""
    db_ports, _, pg_handlers = databases.catalog()
    config = ctx.config
    internal = port_number(table.get("internal_port"))
    numbers = [n for _, port in ports if (n := port_number(port.get("port"))) is not None]
    if not numbers and path == ("http_service",):
        numbers = [80]  # what Fly's proxy serves [http_service] on (and Flycast reaches)
    # The private ways in. Flycast goes through this service's ports, so the advice keeps
    # them: what makes the database public is the app's public IPs.
    flycast = f"{app}.flycast:{numbers[0]}" if numbers else f"{app}.flycast"
    private = (
        f"release the app's public IPs (fly ips list -a {app}, then fly ips release) and "
        f"connect over {app}.internal:{internal or '<port>'}, or over {flycast} with a "
        f"private IPv6 (fly ips allocate-v6 --private -a {app}; Flycast reaches it through "
        "this service's ports, so keep them)"
    )

    def port_span(port_path: KeyPath) -> Span:
        written = config.locations.get((*port_path, "port"))
        return written.entry if written else config.where(port_path).key

    for port_path, port in ports:
        if pg_handlers.intersection(handlers(port)):
            number = port_number(port.get("port"))
            if stock is not None:
                # fly pg create allocates no public IP: public only if one was added since.
                why = (
                    f"{label} serves PostgreSQL on port {number} (pg_tls) of a stock Fly "
                    f"Postgres config ({stock}), which gets no public IP unless one is "
                    f"allocated: if one was, {private}"
                )
                return port_span(port_path), why, "low"
            why = (
                f"{label} exposes PostgreSQL on public port {number} (pg_tls), reachable from "
                f"the internet while the app holds a public IP: {private}"
            )
            return port_span(port_path), why, "high"
    for port_path, port in ports:
        number = port_number(port.get("port"))
        if number in db_ports:
            why = f"{label} exposes {db_ports[number]} on public port {number}: {private}"
            return port_span(port_path), why, "high"
    header = config.where(path).key
    if internal in db_ports:
        via = f"public port {numbers[0]}" if numbers else "the internet"
        why = f"{label} exposes {db_ports[internal]} (internal port {internal}) on {via}: {private}"
        return header, why, "high"
    if image_engine is not None:
        why = f"{label} exposes a {image_engine} to the internet: {private}"
        return header, why, "high"
    return None
