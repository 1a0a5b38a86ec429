"""FLY201: an HTTP service that does not force HTTPS."""

from __future__ import annotations

from collections.abc import Iterator

from flylint.checks.context import FlyTomlContext
from flylint.diagnostics import Diagnostic, Edit
from flylint.files.fly_toml import handlers, port_number


def check_fly_toml(ctx: FlyTomlContext) -> Iterator[Diagnostic]:
    config = ctx.config
    service = config.data.get("http_service")
    # A force_https that is not a boolean is FLY002's finding (flyctl cannot load the file).
    if isinstance(service, dict) and service.get("force_https", False) is False:
        written = config.locations.get(("http_service", "force_https"))
        span = written.entry if written else config.where(("http_service",)).key
        yield ctx.diagnostic(
            "FLY201",
            span,
            f"{_why(service)}: set force_https = true under [http_service]",
            "http_service",
            fix=Edit(("http_service",), "force_https", True),
        )

    for service_path, service in config.tables("services"):
        for port_path, port in config.tables(*service_path, "ports"):
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
            yield ctx.diagnostic(
                "FLY201",
                span,
                f"{label} serves plain HTTP{misplaced}: set force_https = true in this "
                "[[services.ports]] entry",
                ".".join(map(str, port_path)),
                fix=Edit(port_path, "force_https", True),
            )


def _why(service: dict) -> str:
    if "force_https" not in service:
        return "[http_service] serves plain HTTP (no force_https)"
    return "force_https = false serves plain HTTP"
