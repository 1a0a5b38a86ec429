"""Time flylint end to end (process start included) on generated corpora.

    python bench/run.py                 # 200 generated fly.toml files
    python bench/run.py --count 1000
    python bench/run.py --dir ../shared/corpus/fly   # real files, passed explicitly
    python bench/run.py --kind dockerfile --count 500

Each figure is the best of --repeat runs of the installed ``flylint`` command, next to
a floor: ``python3 -c`` parsing the same files and nothing else (tomllib for fly.toml,
dockerfile-parse for Dockerfiles, ast for Python).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = """\
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

EXTRA_ENV = [
    'BILLING_API_URL = "https://billing-{n}.fly.dev"',
    'DATABASE_URL = "postgres://app:${{DB_PASSWORD}}@db-{n}.internal:5432/app"',
    'SMTP_PASSWORD = "summer-Rain-{n}"',
    'FEATURE_FLAGS = "search,checkout"',
]


def generate(directory: Path, count: int) -> list[Path]:
    rng = random.Random(20261122)
    paths = []
    for n in range(count):
        app_dir = directory / f"app-{n:04d}"
        app_dir.mkdir(parents=True)
        text = TEMPLATE.format(
            app=f"app-{n}",
            region=rng.choice(["ams", "iad", "sjc", "fra", "nrt"]),
            port=rng.choice([3000, 8080, 8000, 4000]),
            extra_env=EXTRA_ENV[n % len(EXTRA_ENV)].format(n=n),
            force_https=rng.choice(["true", "true", "false"]),
            services=SERVICES.format(port=8080) if n % 5 == 0 else "",
        )
        path = app_dir / ("fly.toml" if n % 7 else "fly.staging.toml")
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


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
    "BILLING_API_URL=https://billing-{n}.fly.dev",
    "SMTP_PASSWORD=summer-Rain-{n}",
    "DATABASE_URL=postgres://app@db-{n}.flycast:5432/app",
    "LOG_LEVEL=info",
]


def generate_dockerfiles(directory: Path, count: int) -> list[Path]:
    paths = []
    for n in range(count):
        app_dir = directory / f"app-{n:04d}"
        app_dir.mkdir(parents=True)
        text = DOCKERFILE.format(
            port=3000 + n % 5,
            extra_env=DOCKER_ENV[n % len(DOCKER_ENV)].format(n=n),
            arg="SENTRY_AUTH_TOKEN" if n % 3 == 0 else "BUILD_ID",
            copy="COPY .env ./" if n % 10 == 0 else "COPY public ./public",
        )
        path = app_dir / "Dockerfile"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


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

BILLING = "https://billing-{n}.fly.dev"


def charge(order: Order{n}) -> None:
    requests.post(f"{{BILLING}}/charges", json={{"id": order.id}})
"""
)


def generate_python(directory: Path, count: int) -> list[Path]:
    """``count`` modules of which 1% call another app's fly.dev URL."""
    paths = []
    for n in range(count):
        package = directory / f"pkg{n // 100:03d}"
        package.mkdir(exist_ok=True)
        path = package / f"module_{n:05d}.py"
        template = CALLER_PY if n % 100 == 0 else PLAIN_PY
        path.write_text(template.format(n=n), encoding="utf-8")
        paths.append(path)
    return paths


def best_of(command: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        if result.returncode not in (0, 1):
            sys.exit(f"{command[0]} failed ({result.returncode}): {result.stderr.decode()[:500]}")
        best = min(best, elapsed)
    return best


FLOORS = {
    "fly-toml": (
        "import sys, tomllib\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name, 'rb') as f:\n"
        "        tomllib.load(f)\n"
    ),
    "python": (
        "import ast, sys\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name, 'rb') as f:\n"
        "        ast.parse(f.read())\n"
    ),
    "dockerfile": (
        "import sys\n"
        "from dockerfile_parse import DockerfileParser\n"
        "for name in sys.argv[1:]:\n"
        "    with open(name, 'rb') as f:\n"
        "        DockerfileParser(fileobj=f).structure\n"
    ),
}


def _tool(option: str | None, name: str) -> str | None:
    return option or shutil.which(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=sorted(FLOORS), default="fly-toml")
    parser.add_argument("--count", type=int, default=200, help="generated files")
    parser.add_argument("--dir", type=Path, help="time these files instead")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--hadolint", help="hadolint binary (default: on PATH)")
    parser.add_argument("--checkov", help="checkov binary (default: on PATH)")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()

    flylint = shutil.which("flylint") or str(Path(sys.executable).parent / "flylint")
    rows: list[tuple[str, float, str]] = []  # (what, seconds, comparison)
    with tempfile.TemporaryDirectory() as tmp:
        noun = {
            "fly-toml": "fly.toml files",
            "dockerfile": "Dockerfiles",
            "python": "Python files",
        }[args.kind]
        if args.dir:
            pattern = {"fly-toml": "*.toml", "dockerfile": "**/*Dockerfile*", "python": "**/*.py"}[
                args.kind
            ]
            files = sorted(args.dir.glob(pattern))
            label = f"{len(files)} {noun} from {args.dir}"
        else:
            make = {
                "fly-toml": generate,
                "dockerfile": generate_dockerfiles,
                "python": generate_python,
            }[args.kind]
            files = make(Path(tmp), args.count)
            label = f"{len(files)} generated {noun}"
        names = [str(path) for path in files]
        floor_code = FLOORS[args.kind]
        check = [flylint, "check", "--format", "concise"]
        floor = best_of([sys.executable, "-c", floor_code, *names], args.repeat)
        lint_files = best_of([*check, *names], args.repeat)
        rows.append(("flylint check FILES...", lint_files, f"{lint_files / floor:.2f}x floor"))
        if not args.dir:
            lint_dir = best_of([*check, tmp], args.repeat)
            rows.append(("flylint check DIR (walk included)", lint_dir, ""))
        rows.append(("floor: parse only, `python3 -c`", floor, ""))
        one = best_of([*check, names[0]], args.repeat)
        one_floor = best_of([sys.executable, "-c", floor_code, names[0]], args.repeat)
        rows.append(("one file: flylint", one, f"{one / one_floor:.2f}x floor"))
        rows.append(("one file: floor", one_floor, ""))
        hadolint = _tool(args.hadolint, "hadolint") if args.kind == "dockerfile" else None
        if hadolint:
            seconds = best_of([hadolint, "--no-fail", *names], args.repeat)
            rows.append(("hadolint", seconds, f"flylint is {seconds / lint_files:.2f}x faster"))
        checkov = _tool(args.checkov, "checkov") if args.kind == "dockerfile" else None
        if checkov and not args.dir:
            command = [checkov, "-d", tmp, "--framework", "dockerfile", "secrets",
                       "--quiet", "--compact", "--skip-download"]  # fmt: skip
            seconds = best_of(command, 1)
            rows.append(
                ("checkov (1 run)", seconds, f"flylint is {seconds / lint_files:.1f}x faster")
            )

    lines = [f"{label}, best of {args.repeat} runs, process start included:", "",
             "| what | ms | |", "|---|---:|---|"]  # fmt: skip
    lines += [f"| {what} | {seconds * 1000:.1f} | {note} |" for what, seconds, note in rows]
    print("\n".join(lines))
    if args.markdown:
        with args.markdown.open("a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
