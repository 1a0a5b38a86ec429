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


def image_path(image: Any) -> str | None:
    """An image reference's repository path, without registry, tag or digest
    (``docker.io/library/postgres:16-alpine`` -> ``postgres``)."""
    if not isinstance(image, str) or not image.strip():
        return None
    reference = image.strip().lower().split("@", 1)[0]
    name, _, tag = reference.rpartition(":")
    if not name or "/" in tag:  # no tag, or the colon was a registry port
        name = reference
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # a registry host
    if parts and parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts) or None


def database_image(image: Any) -> str | None:
    """The database an image reference runs (``postgres:16-alpine`` -> PostgreSQL), if any."""
    path = image_path(image)
    if path is None:
        return None
    _, images, _ = catalog()
    return images.get(path) or images.get(path.rsplit("/", 1)[-1])


def running_images(ctx: FlyTomlContext) -> list[tuple[str, str]]:
    """(the image reference, where it is named) of what the app runs: ``[build] image``,
    then its Dockerfile's final stage."""
    found = []
    image = ctx.config.get(("build", "image"))
    if isinstance(image, str) and image.strip():
        found.append((image.strip(), "[build] image"))
    final = next((fact.row[0] for fact in ctx.facts("final-image")), None)
    if final:
        found.append((final, f"its Dockerfile's final stage: FROM {final}"))
    return found


def image_engine(ctx: FlyTomlContext) -> str | None:
    """The database the app's image runs: ``[build] image``, else its Dockerfile's final
    stage, e.g. "PostgreSQL image (FROM postgres:16)"."""
    for image, where in running_images(ctx):
        engine = database_image(image)
        if engine is not None:
            return f"{engine} image ({where})"
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
