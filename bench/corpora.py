"""Generated corpora for bench/run.py: fly.toml files, Dockerfiles, Python modules and a
monorepo of apps that call each other. Deterministic: the same counts give the same bytes."""

from __future__ import annotations

import random
from pathlib import Path

FLY_TOML = """\
# fly.toml app configuration file generated for {app}
app = "{app}"
primary_region = "{region}"

[build]
  dockerfile = "Dockerfile"

[env]
  PORT = "{port}"
  LOG_LEVEL = "info"
  PUBLIC_URL = "https://{app}.fly.dev"
  {extra_env}

[http_service]
  internal_port = {port}
  force_https = {force_https}
  auto_stop_machines = "stop"
  auto_start_machines = true
  min_machines_running = 0
  processes = ["app"]

  [http_service.concurrency]
    type = "requests"
    soft_limit = 200
    hard_limit = 250

[[vm]]
  memory = "1gb"
  cpu_kind = "shared"
  cpus = 1
{services}"""

SERVICES = """
[[services]]
  internal_port = {port}
  protocol = "tcp"

  [[services.ports]]
    handlers = ["http"]
    port = 80

  [[services.ports]]
    handlers = ["tls", "http"]
    port = 443
"""

FLY_ENV = [
    'BILLING_API_URL = "https://{peer}.fly.dev"',
    'DATABASE_URL = "postgres://app:${{DB_PASSWORD}}@db-{n}.internal:5432/app"',
    'SMTP_PASSWORD = "summer-Rain-{n}"',
    'FEATURE_FLAGS = "search,checkout"',
]

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG NODE_VERSION=20.11.1
FROM node:${{NODE_VERSION}}-slim AS base
WORKDIR /app
ENV NODE_ENV="production" \\
    PORT={port} \\
    {extra_env}

FROM base AS build
ARG {arg}
COPY package-lock.json package.json ./
RUN --mount=type=secret,id=NPM_TOKEN NPM_TOKEN="$(cat /run/secrets/NPM_TOKEN)" npm ci
COPY . .
RUN npm run build

FROM base
COPY --from=build /app /app
{copy}
EXPOSE {port}
CMD ["node", "server.js"]
"""

DOCKER_ENV = [
    "BILLING_API_URL=https://{peer}.fly.dev",
    "SMTP_PASSWORD=summer-Rain-{n}",
    "DATABASE_URL=postgres://app@db-{n}.flycast:5432/app",
    "LOG_LEVEL=info",
]

PLAIN_PY = '''"""Module {n}: order handling."""

from dataclasses import dataclass


@dataclass
class Order{n}:
    id: int
    total_cents: int
    currency: str = "EUR"

    def with_tax(self, rate: float) -> int:
        return round(self.total_cents * (1 + rate))


def summarize(orders: list[Order{n}]) -> dict[str, int]:
    totals: dict[str, int] = {{}}
    for order in orders:
        totals[order.currency] = totals.get(order.currency, 0) + order.total_cents
    return totals
'''

CALLER_PY = (
    PLAIN_PY
    + """

import requests

PEER = "https://{peer}.fly.dev"


def charge(order: Order{n}) -> None:
    requests.post(f"{{PEER}}/charges", json={{"id": order.id}})
"""
)

MONOREPO_PACKAGES = ("api", "core", "billing", "jobs", "storage")


def fly_toml_text(n: int, app: str, peer: str, rng: random.Random) -> str:
    port = rng.choice([3000, 8080, 8000, 4000])
    return FLY_TOML.format(
        app=app,
        region=rng.choice(["ams", "iad", "sjc", "fra", "nrt"]),
        port=port,
        extra_env=FLY_ENV[n % len(FLY_ENV)].format(n=n, peer=peer),
        force_https=rng.choice(["true", "true", "false"]),
        services=SERVICES.format(port=port) if n % 5 == 0 else "",
    )


def dockerfile_text(n: int, peer: str) -> str:
    return DOCKERFILE.format(
        port=3000 + n % 5,
        extra_env=DOCKER_ENV[n % len(DOCKER_ENV)].format(n=n, peer=peer),
        arg="SENTRY_AUTH_TOKEN" if n % 3 == 0 else "BUILD_ID",
        copy="COPY .env ./" if n % 10 == 0 else "COPY public ./public",
    )


def python_text(n: int, peer: str | None) -> str:
    """A small module; with ``peer``, one that calls that app over its public URL."""
    template = PLAIN_PY if peer is None else CALLER_PY
    return template.format(n=n, peer=peer)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def fly_tomls(directory: Path, count: int) -> list[Path]:
    """``count`` apps with one config each; every 7th is named ``fly.staging.toml``."""
    rng = random.Random(20261122)
    paths = []
    for n in range(count):
        name = "fly.staging.toml" if n % 7 == 6 else "fly.toml"
        text = fly_toml_text(n, f"app-{n}", f"billing-{n}", rng)
        paths.append(_write(directory / f"app-{n:04d}" / name, text))
    return paths


def dockerfiles(directory: Path, count: int) -> list[Path]:
    return [
        _write(directory / f"app-{n:04d}" / "Dockerfile", dockerfile_text(n, f"billing-{n}"))
        for n in range(count)
    ]


def python_of_size(size: int) -> str:
    """Generated modules of an app, one after the other, up to ``size`` bytes: a file
    flylint parses (it calls another app's ``fly.dev`` URL)."""
    parts, total, n = [], 0, 0
    while total < size:
        part = python_text(n, "billing")
        parts.append(part)
        total += len(part.encode())
        n += 1
    return "".join(parts)


def python_modules(directory: Path, count: int) -> list[Path]:
    """``count`` modules, 100 per package, of which 1% call another app's fly.dev URL."""
    paths = []
    for n in range(count):
        peer = f"billing-{n}" if n % 100 == 0 else None
        path = directory / f"pkg{n // 100:03d}" / f"module_{n:05d}.py"
        paths.append(_write(path, python_text(n, peer)))
    return paths


def monorepo(directory: Path, apps: int, modules: int = 50) -> list[Path]:
    """``apps`` apps under ``apps/NAME/``, each with fly.toml, Dockerfile and ``modules``
    Python files (``__init__.py`` included) in nested packages; every third app calls the
    next one at ``https://NEXT.fly.dev``, the way a monorepo's services talk too publicly."""
    rng = random.Random(20261123)
    names = [f"shop-{n:02d}" for n in range(apps)]
    paths = []
    for n, name in enumerate(names):
        root = directory / "apps" / name
        peer = names[(n + 1) % apps]
        paths.append(_write(root / "fly.toml", fly_toml_text(n, name, peer, rng)))
        paths.append(_write(root / "Dockerfile", dockerfile_text(n, peer)))
        paths += _app_package(root / "src" / name.replace("-", "_"), n, peer, modules)
    return paths


def _app_package(package: Path, n: int, peer: str, modules: int) -> list[Path]:
    paths = [_write(package / "__init__.py", "")]
    for m in range(modules - 1):
        sub = MONOREPO_PACKAGES[m % len(MONOREPO_PACKAGES)]
        if m < len(MONOREPO_PACKAGES):
            paths.append(_write(package / sub / "__init__.py", ""))
            continue
        calls = peer if n % 3 == 0 and m % 10 == 0 else None
        path = package / sub / f"module_{m:02d}.py"
        paths.append(_write(path, python_text(n * 1000 + m, calls)))
    return paths


def app_repository(directory: Path, modules: int = 20) -> list[Path]:
    """One app at the root of ``directory``, as a small repository holds it: its fly.toml,
    its Dockerfile and ``modules`` Python files (``__init__.py`` included) under ``src/``,
    in that order."""
    rng = random.Random(20261124)
    paths = [
        _write(directory / "fly.toml", fly_toml_text(0, "shop", "billing", rng)),
        _write(directory / "Dockerfile", dockerfile_text(0, "billing")),
    ]
    return paths + _app_package(directory / "src" / "shop", 0, "billing", modules)


def mixed(directory: Path, count: int) -> list[Path]:
    """``count`` files: ``count // 10`` apps with a Fly config and a Dockerfile each (as
    ``fly_tomls`` and ``dockerfiles`` write them), the rest Python modules in packages
    beside them (as ``python_modules`` writes them)."""
    apps = count // 10
    return [
        *fly_tomls(directory, apps),
        *dockerfiles(directory, apps),
        *python_modules(directory, count - 2 * apps),
    ]
