"""FLY201: an HTTP service that does not force HTTPS."""

from __future__ import annotations

from collections.abc import Iterator

from flylint.checks.context import FlyTomlContext
from flylint.detectors import databases, hostnames, private, processes
from flylint.diagnostics import Diagnostic, Edit
from flylint.files.fly_toml import handlers, port_number

# A database behind a service is FLY301's finding alone; whether the app serves HTTP.
FACTS = (*databases.FACTS, *processes.FACTS, *hostnames.FACTS)


def _private(ctx: FlyTomlContext, label: str) -> str | None:
    """The message for a plain-HTTP service of a private app or of a config nothing
    deploys as it is, or None."""
    stale = processes.unbuildable(ctx)
    if stale is not None:
        return f"{label} serves plain HTTP, but {stale}"
    hidden = private.evidence(ctx)
    if hidden is None:
        return None
    return (
        f"{label} serves plain HTTP, but {hidden}: Flycast is plain HTTP and its callers "
        "need it, keep force_https off; force it only if the app gets a public IP"
    )


def _woken_by_callers(ctx: FlyTomlContext, label: str) -> str | None:
    """The message for a plain-HTTP service of an app that stops its idle Machines and
    that other apps of the repository call at its public address, or None. Those callers
    belong on Flycast (only Fly's proxy starts stopped Machines), which is plain HTTP:
    forcing HTTPS would break them there, so no fix is offered."""
    app = ctx.app
    if app is None or not app.stops or not app.name:
        return None
    found = hostnames.callers(ctx, f"{app.name.lower()}.fly.dev")
    if not found:
        return None
    return (
        f"{label} serves plain HTTP to the internet, and the repository calls this app at "
        f"its public address ({found[0]}) although it stops idle Machines: move those "
        f"callers to http://{app.name.lower()}.flycast and release its public IPs, keeping "
        "force_https off (Flycast is plain HTTP); force HTTPS only if it must stay public"
    )


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    config = ctx.config
    service = config.data.get("http_service")
    # A force_https that is not a boolean is FLY002's finding (flyctl cannot load the file).
    if (
        isinstance(service, dict)
        and service.get("force_https", False) is False
        and not databases.behind(ctx, service, [])
    ):
        written = config.locations.get(("http_service", "force_https"))
        span = written.entry if written else config.where(("http_service",)).key
        idle = processes.serves_no_http(ctx, service)
        hidden = _private(ctx, "[http_service]") if idle is None else None
        woken = _woken_by_callers(ctx, "[http_service]") if not (idle or hidden) else None
        if idle is not None:
            message = processes.boilerplate("[http_service]", idle)
        else:
            message = (
                hidden or woken or f"{_why(service)}: set force_https = true under [http_service]"
            )
        low = idle is not None or hidden is not None
        yield ctx.diagnostic(
            "FLY201",
            span,
            message,
            "http_service",
            "low" if low else "medium" if woken else None,
            fix=None if low or woken else Edit(("http_service",), "force_https", True),
        )

    for service_path, service in config.tables("services"):
        ports = config.tables(*service_path, "ports")
        if databases.behind(ctx, service, [port for _, port in ports]):
            continue
        idle = processes.serves_no_http(ctx, service)
        for port_path, port in ports:
            served = handlers(port)
            forced = port.get("force_https", False)
            if "http" not in served or "tls" in served or forced is not False:
                continue
            written = config.locations.get((*port_path, "force_https"))
            span = written.entry if written else config.where(port_path).key
            number = port_number(port.get("port"))
            label = f"port {number}" if number is not None else "this port"
            # flyctl reads force_https only per port; on the service it does nothing.
            misplaced = (
                " (force_https on [[services]] itself has no effect)"
                if "force_https" in service
                else ""
            )
            message = (
                f"{label} serves plain HTTP{misplaced}: set force_https = true in this "
                "[[services.ports]] entry"
            )
            hidden = _private(ctx, label) if idle is None else None
            woken = _woken_by_callers(ctx, label) if not (idle or hidden) else None
            if idle is not None:
                message = processes.boilerplate(f"[[services]] {label}", idle)
            low = idle is not None or hidden is not None
            yield ctx.diagnostic(
                "FLY201",
                span,
                hidden or woken or message,
                ".".join(map(str, port_path)),
                "low" if low else "medium" if woken else None,
                fix=None if low or woken else Edit(port_path, "force_https", True),
            )


def _why(service: dict) -> str:
    if "force_https" not in service:
        return "[http_service] serves plain HTTP (no force_https)"
    return "force_https = false serves plain HTTP"
