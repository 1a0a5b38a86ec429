"""Databases behind a Fly service: by port (PostgreSQL 5432, Redis 6379, ...), by Fly's
``pg_tls`` handler, or by the image the app runs (``[build] image``, or the final stage of
its Dockerfile, a fact). FLY301 reports them; the rules about HTTP services leave them
alone (one problem, one finding)."""

from __future__ import annotations

import functools

from flylint.files.fly_toml import handlers, port_number
from flylint.registry import rule_data
from flylint.repository.facts import DOCKERFILE, Producer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from flylint.checks.context import FlyTomlContext


@functools.cache
def catalog() -> tuple[dict[int, str], dict[str, str], frozenset[str]]:
    catalog = rule_data.catalog("databases")
    ports = {int(port): engine for port, engine in catalog["ports"].items()}
    return ports, catalog["images"], frozenset(catalog["postgres_handlers"])


def database_image(image: Any) -> str | None:
    """The database an image reference runs (``postgres:16-alpine`` -> PostgreSQL), if any."""
    if not isinstance(image, str) or not image.strip():
        return None
    _, images, _ = catalog()
    reference = image.strip().lower().split("@", 1)[0]
    name, _, tag = reference.rpartition(":")
    if not name or "/" in tag:  # no tag, or the colon was a registry port
        name = reference
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # a registry host
    if parts and parts[0] == "library":
        parts = parts[1:]
    path = "/".join(parts)
    return images.get(path) or (images.get(parts[-1]) if parts else None)


def image_engine(ctx: FlyTomlContext) -> str | None:
    """The database the app's image runs: ``[build] image``, else its Dockerfile's final
    stage, e.g. "PostgreSQL image (FROM postgres:16)"."""
    image = ctx.config.get(("build", "image"))
    engine = database_image(image)
    if engine is not None:
        return f"{engine} image ([build] image)"
    final = next((fact.row[0] for fact in ctx.facts("final-image")), None)
    engine = database_image(final)
    if engine is not None:
        return f"{engine} image (its Dockerfile's final stage: FROM {final})"
    return None


def _final_image(text: str) -> list[tuple]:
    from flylint.files.dockerfile import final_image, stages_in

    image = final_image(stages_in(text))
    return [(image,)] if image else []


# The image the app's Dockerfile runs, for a database image behind a service.
FACTS = (Producer("final-image", DOCKERFILE, _final_image),)


def behind(ctx: FlyTomlContext, service: dict[str, Any], ports: list[dict[str, Any]]) -> bool:
    """Whether ``service`` (with its public ``ports``) puts a database on the network."""
    db_ports, _, pg_handlers = catalog()
    if port_number(service.get("internal_port")) in db_ports:
        return True
    for port in ports:
        if pg_handlers.intersection(handlers(port)) or port_number(port.get("port")) in db_ports:
            return True
    return image_engine(ctx) is not None
