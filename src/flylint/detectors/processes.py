"""Whether an app's process serves HTTP: the evidence for and against, from what the app
runs (fly.toml ``[processes]``, its Dockerfile's ``ENTRYPOINT``/``CMD``, a Procfile) and
what the code it runs does (starts a web server, or polls a chat API and binds no port).

``fly launch`` writes a ``[[services]]`` block with ports 80 and 443 into every config,
bots and queue workers included; for those it is boilerplate to remove, not a service
that lacks HTTPS or HSTS. The rules about HTTP services (FLY201, FLY202, FLY203) ask
``serves_no_http``; its answer names the evidence that decided.
"""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

from flylint.repository.facts import DOCKERFILE, PYTHON, TEXT, Producer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from flylint.checks.context import FlyTomlContext
    from flylint.files.python import PythonModule

# Programs that serve HTTP whatever their arguments (the first word of a command, or the
# module of ``python -m``).
_SERVERS = frozenset({
    "gunicorn", "uvicorn", "hypercorn", "daphne", "waitress-serve", "granian", "uwsgi",
    "streamlit", "gradio", "chainlit", "panel", "bokeh", "datasette", "mkdocs", "nginx",
    "caddy", "httpd", "apache2", "node", "npm", "yarn", "pnpm", "bun", "deno", "next",
    "puma", "rails", "php-fpm", "php", "java", "dotnet", "litestar", "fastapi", "sanic",
    "http.server", "flask", "jupyter", "voila", "shiny", "reflex", "nicegui",
})  # fmt: skip
# Commands that run a worker: (program, a word that must follow it), None for any.
_WORKERS = (
    ("celery", "worker"), ("celery", "beat"), ("rq", "worker"), ("rqworker", None),
    ("rqscheduler", None), ("dramatiq", None), ("huey_consumer", None),
    ("huey_consumer.py", None), ("arq", None), ("taskiq", "worker"), ("faust", "worker"),
    ("supercronic", None), ("cron", None), ("crond", None),
)  # fmt: skip
# Commands that start nothing at all: an image kept for one-off ``fly machine run`` jobs.
_IDLE = frozenset({"echo", "true", ":", "sleep", "printf"})
# Images of servers that speak a protocol of their own, not HTTP, by repository path: the
# protocol and the ports it is spoken on (a service on another port of the image, such as
# NATS's HTTP monitoring on 8222, may be HTTP).
_NON_HTTP_IMAGES = {
    "nats": ("the NATS protocol", (4222, 6222, 7422)),
    "eclipse-mosquitto": ("MQTT", (1883, 8883)),
    "emqx/emqx": ("MQTT", (1883, 8883)),
    "rabbitmq": ("AMQP", (5672, 5671)),
    "memcached": ("the memcached protocol", (11211,)),
}
# manage.py commands that run a worker, not the site.
_DJANGO_WORKERS = frozenset({"qcluster", "rqworker", "process_tasks", "run_huey", "runworker"})
_PYTHON = re.compile(r"^python[0-9.]*$")
# Calls in Python code that start a server or bind a port, and calls that poll a chat or
# queue API (a bot): by the last part of the called name.
_SERVING_CALLS = frozenset({
    "run_webhook", "start_webhook", "run_app", "serve_forever", "HTTPServer",
    "ThreadingHTTPServer", "TCPServer", "make_server", "create_server", "start_server",
    "run_simple", "TCPSite", "AppRunner", "UnixSite",
})  # fmt: skip
# Method names that start a server only on a socket or server object (``sock.bind``,
# ``server.listen``) or an app (``demo.launch()``, ``server.serve()``), never as a plain
# function (SQLAlchemy's ``listen(...)``) or on an event registry.
_SERVING_METHODS = {
    "bind": ("sock", "server"),
    "listen": ("sock", "server", "app"),
    "serve": ("",),
    "launch": ("demo", "app", "ui", "iface", "interface"),
}
_POLLING_CALLS = frozenset({
    "run_polling", "start_polling", "infinity_polling", "polling", "idle",
    "run_until_disconnected", "sync_forever", "listen_forever",
})  # fmt: skip
# Names whose ``.run(...)`` serves HTTP (``app.run()`` of Flask, ``uvicorn.run``) ...
_RUN_SERVES = frozenset({"app", "application", "uvicorn", "web", "server", "socketio", "api"})
# ... and whose ``.run(...)`` is a bot polling (discord.py ``client.run(TOKEN)``).
_RUN_POLLS = frozenset({"client", "bot"})
# Chat-bot libraries whose clients poll (or hold a socket to) the chat service: a module
# that imports one is a bot, unless the code also starts a server (a webhook).
_BOT_LIBRARIES = frozenset({
    "pyrogram", "telethon", "aiogram", "telegram", "telebot", "discord", "nextcord",
    "disnake", "interactions", "hikari", "twitchio", "vkbottle", "vk_api", "slack_sdk",
})  # fmt: skip
_HINTS = (
    "pyrogram", "telethon", "aiogram", "telegram", "telebot", "discord", "nextcord",
    "disnake", "hikari", "twitchio", "vkbottle", "vk_api",
    "run_polling", "start_polling", "infinity_polling", ".polling(", "run_until_disconnected",
    "sync_forever", "client.run(", "bot.run(", "run_webhook", "start_webhook", "run_app",
    "serve_forever", "httpserver", "tcpserver", "make_server", "create_server", "tcpsite",
    "start_server", ".bind(", ".listen(", "uvicorn.run", "app.run(", ".serve(", "launch(",
    "run_simple",
)  # fmt: skip


def _commands_of_dockerfile(text: str) -> list[tuple]:
    """The final stage's ``ENTRYPOINT`` and ``CMD`` as one command line."""
    from flylint.diagnostics import FileKind
    from flylint.files.dockerfile import parse
    from flylint.files.reading import Source

    dockerfile = parse(Source(Path("Dockerfile"), FileKind.DOCKERFILE, text))
    last = max((i.stage for i in dockerfile.instructions), default=-1)
    found: dict[str, str] = {}
    for instruction in dockerfile.instructions:
        if instruction.stage == last and instruction.keyword in ("ENTRYPOINT", "CMD"):
            # The exec form's brackets and commas are not part of the command.
            words = " ".join(word.text for word in instruction.words)
            found[instruction.keyword] = " ".join(re.sub(r"[\[\],]", " ", words).split())
    command = " ".join(found[k] for k in ("ENTRYPOINT", "CMD") if k in found).strip()
    return [("Dockerfile", command)] if command else []


def _commands_of_procfile(text: str) -> list[tuple]:
    rows = []
    for line in text.splitlines():
        name, colon, command = line.partition(":")
        if colon and name.strip() and not name.lstrip().startswith("#"):
            rows.append((f"Procfile {name.strip()}", command.strip()))
    return rows


def _calls_of_module(module: PythonModule) -> list[tuple]:
    """(line, "serves" or "polls", the call) for each call that starts a server or polls."""
    rows: list[tuple] = []
    imported = False
    for node in module.nodes((ast.Import, ast.ImportFrom, ast.Call)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            bots = sorted({n.split(".")[0] for n in names if n} & _BOT_LIBRARIES)
            relative = isinstance(node, ast.ImportFrom) and node.level
            if bots and not relative and not imported:
                imported = True  # one row a module: what it is, not how often
                rows.append((node.lineno, "polls", f"import {bots[0]}"))
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name is None:
            continue
        owner = func.value if isinstance(func, ast.Attribute) else None
        owner_name = owner.id if isinstance(owner, ast.Name) else None
        if name == "run" and owner_name is not None:
            kind = "polls" if owner_name.lower() in _RUN_POLLS else None
            # app.run(main()) runs a coroutine (Pyrogram, asyncio-like): no server in that.
            runs_coroutine = bool(node.args) and isinstance(node.args[0], ast.Call)
            if owner_name.lower() in _RUN_SERVES and not runs_coroutine:
                kind = "serves"
        elif name in _POLLING_CALLS:
            kind = "polls"
        elif name in _SERVING_CALLS:
            kind = "serves"
        elif name in _SERVING_METHODS and owner_name is not None:
            owners = _SERVING_METHODS[name]
            kind = "serves" if any(o in owner_name.lower() for o in owners) else None
        else:
            kind = None
        if kind is not None:
            label = f"{owner_name}.{name}" if owner_name else name
            rows.append((node.lineno, kind, label))
    return rows


FACTS = (
    Producer("process-command", DOCKERFILE, _commands_of_dockerfile),
    Producer("process-command", TEXT, _commands_of_procfile, paths=("Procfile",)),
    Producer("process-calls", PYTHON, _calls_of_module, hints=_HINTS),
)


def _words(command: str) -> list[str]:
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    # A shell wrapper runs what follows it: sh -c "celery -A app worker", bash -lc "...".
    if (
        len(words) >= 3
        and words[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash", "dash", "zsh")
        and re.fullmatch(r"-[a-z]*c", words[1])
    ):
        return _words(words[2])
    return [w for w in words if w not in ("exec", "&&")]


def _kind(command: str) -> str:
    """ "web", "worker", "idle" (starts nothing), "script" (a Python file or module: its
    code decides) or "unknown"."""
    words = _words(command)
    programs = [w.rsplit("/", 1)[-1] for w in words]
    if not programs:
        return "unknown"
    idle = programs[0] in _IDLE or (programs[:2] == ["tail", "-f"] and "/dev/null" in words)
    if idle:  # and nothing after it: "echo ready && gunicorn app" is a web server
        return "unknown" if re.search(r"[;&|]", command) else "idle"
    for index, program in enumerate(programs):
        if program in _SERVERS:
            return "web"
        rest = programs[index + 1 :]
        for name, after in _WORKERS:
            if program == name and (after is None or after in rest):
                return "worker"
        if program == "manage.py" and rest:
            return "worker" if rest[0] in _DJANGO_WORKERS else "web"
        if _PYTHON.match(program):
            arguments = [w for w in rest if not w.startswith("-")]
            if "-m" in rest:
                module = rest[rest.index("-m") + 1] if rest.index("-m") + 1 < len(rest) else ""
                if module.split(".")[0] in _SERVERS or module in _SERVERS:
                    return "web"
                if module.split(".")[0] in {name for name, _ in _WORKERS}:
                    return _kind(" ".join(rest[rest.index("-m") + 1 :]))
                return "script"
            if arguments and arguments[0].endswith("manage.py"):
                continue
            return "script" if arguments else "unknown"
    return "unknown"


def commands(ctx: FlyTomlContext, service: dict[str, Any]) -> list[tuple[str, str]]:
    """(where it is written, the command) of every process the service routes to."""
    processes = ctx.config.data.get("processes")
    if isinstance(processes, dict) and processes:
        wanted = service.get("processes")
        names = [n for n in wanted if isinstance(n, str)] if isinstance(wanted, list) else []
        chosen = {n: c for n, c in processes.items() if not names or n in names}
        if all(isinstance(c, str) for c in chosen.values()) and chosen:
            return [(f"[processes] {n}", c) for n, c in chosen.items()]
        return []
    rows = [fact.row for fact in ctx.facts("process-command")]
    dockerfile = [(where, command) for where, command in rows if where == "Dockerfile"]
    return dockerfile or [(where, command) for where, command in rows]


def boilerplate(label: str, evidence: str) -> str:
    """The message for a service whose app serves no HTTP."""
    return (
        f"{label} looks like the service block fly launch writes, left in an app whose "
        f"process serves no HTTP ({evidence}): remove it if nothing listens on its port, "
        "or force HTTPS and send HSTS if something does"
    )


def unbuildable(ctx: FlyTomlContext) -> str | None:
    """The evidence that the config cannot be deployed as it is: the Dockerfile its
    ``[build]`` names is not in the repository (a stale config)."""
    app = ctx.app
    if app is None or app.dockerfile_exists or app.config_dockerfile is None:
        return None
    return (
        f"this config builds with {app.config_dockerfile} ([build] dockerfile), which is not "
        "in the repository: nothing deploys it as it is"
    )


def serves_no_http(ctx: FlyTomlContext, service: dict[str, Any]) -> str | None:
    """The evidence that the processes behind ``service`` serve no HTTP, or None when
    they do or the repository does not tell."""
    protocol = _non_http_image(ctx, service)
    if protocol is not None:
        return protocol
    found = commands(ctx, service)
    if not found:
        return None
    kinds = [_kind(command) for _, command in found]
    if any(kind in ("web", "unknown") for kind in kinds):
        return None
    workers = [
        (w, c) for (w, c), kind in zip(found, kinds, strict=True) if kind in ("worker", "idle")
    ]
    if len(workers) == len(found):
        return "it runs " + "; ".join(f"{c} ({w})" for w, c in workers)
    calls = ctx.facts("process-calls")
    if any(fact.row[1] == "serves" for fact in calls):
        return None
    polls = [fact for fact in calls if fact.row[1] == "polls"]
    if not polls:
        return None
    # A polling call says more than an import of a bot library.
    first = min(polls, key=lambda fact: fact.row[2].startswith("import "))
    scripts = [(w, c) for (w, c), kind in zip(found, kinds, strict=True) if kind == "script"]
    where, command = scripts[0]
    return (
        f"it runs {command} ({where}), a bot that polls ({first.row[2]} at "
        f"{ctx.named(first)}:{first.row[0]}) and starts no web server"
    )


def _non_http_image(ctx: FlyTomlContext, service: dict[str, Any]) -> str | None:
    """The evidence that the service's port is that of a server image speaking no HTTP."""
    from flylint.detectors.databases import image_path, running_images

    port = service.get("internal_port")
    for image, where in running_images(ctx):
        path = image_path(image) or ""
        known = _NON_HTTP_IMAGES.get(path) or _NON_HTTP_IMAGES.get(path.rsplit("/", 1)[-1])
        if known is not None and port in known[1]:
            return f"it runs {image} ({where}), whose port {port} speaks {known[0]}"
    return None
