"""The hostnames an app answers on, as its repository shows them: its own host settings
(``ALLOWED_HOSTS``, ``CSRF_TRUSTED_ORIGINS``, ``SERVER_NAME``, ``SITE_URL``, ...) in its
fly config's ``[env]``, its Dockerfile's ``ENV`` and the Python code it ships; the domains
its docs add a certificate for (``fly certs add``); and its own ``APP.fly.dev`` name where
its code, docs or CI workflows give it as the app's address. FLY202 asks whether one
is a custom domain (HSTS matters there) or all are ``*.fly.dev`` (HSTS-preloaded).
"""

from __future__ import annotations

import ast
import functools
import posixpath
import re

from flylint.registry import rule_data
from flylint.repository.facts import DOCKERFILE, PYTHON, TEXT, Producer
from flylint.support.globs import Globs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from flylint.checks.context import FlyTomlContext
    from flylint.files.python import PythonModule
    from flylint.repository.apps import App
    from flylint.repository.facts import Fact

_HOST = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://)?(?:\*\.|\.)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+|localhost)(?::\d+)?(?:/.*)?$"
)
_CERTS = re.compile(
    r"\bfly(?:ctl)?\s+certs\s+(?:add|create)\s+(?:-a\s+\S+\s+)?([A-Za-z0-9.*-]+\.[A-Za-z]{2,})"
)
_FLY_DEV = re.compile(
    r"\b([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.(fly\.dev|flycast)\b", re.IGNORECASE
)
# Deploy commands that keep an app off the public internet, with the app they name if any.
_PRIVATE = re.compile(
    r"\bfly(?:ctl)?\s+(?:deploy|launch)\b[^\n]*?(--flycast|--no-public-ips)"
    r"|\bfly(?:ctl)?\s+ips\s+(allocate-v6\s[^\n]*?--private|release)\b"
)
# A doc's statement that the app holds no public IP ("neither app has a public IP",
# "deployed without public IPs"): the owner looked (fly ips list) or chose so.
_NO_PUBLIC_IP = re.compile(
    r"\b(?:no|neither\b[^.\n]{0,40}?\bhas an?|without (?:an? |any )?)\s*public ip"
    r"(?:v[46])?(?: address(?:es)?)?s?\b",
    re.IGNORECASE,
)
_APP_FLAG = re.compile(r"(?:-a|--app)[= ]+([a-z0-9][a-z0-9-]*)")
_CONFIG_FLAG = re.compile(r"(?:-c|--config)[= ]+([^\s;&|'\"]+)")
# A shell's change of directory in a doc's instructions: the commands after it run there.
_CD = re.compile(r"^[ \t]*(?:[$>][ \t]*)?cd[ \t]+([^\s;&|'\"]+)", re.MULTILINE)
# Where a repository gives an app's address, in its build context: docs and the CI
# workflows (``fly launch`` writes .github/workflows/fly-deploy.yml; others deploy from
# deploy-prod.yml, release.yaml, ...).
_DOCS = (
    "README.md", "readme.md", "README", "DEPLOY.md", "DEPLOYMENT.md", "docs/DEPLOY.md",
    "docs/deploy.md", "docs/deployment.md", ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
)  # fmt: skip
# Host settings whose names say so even in lower case (a pydantic settings field).
_DISTINCT = frozenset({
    "allowed_hosts", "csrf_trusted_origins", "server_name", "site_url", "site_domain",
    "phx_host", "session_cookie_domain", "csrf_cookie_domain", "custom_domain",
})  # fmt: skip
_HINTS = (
    ".fly.dev", ".flycast", "allowed_hosts", "csrf_trusted_origins", "server_name",
    "phx_host", "site_url", "site_domain", "site_host", "app_url", "app_host", "app_domain",
    "public_url", "public_host", "base_url", "root_url", "domain", "production_url",
    "website_url", "canonical_", "nextauth_url", "auth_url",
)  # fmt: skip


@functools.cache
def _catalog() -> tuple[Globs, Globs]:
    catalog = rule_data.catalog("hostnames")
    return Globs(catalog["own_host_keys"]), Globs(catalog["not_custom"])


def is_host_key(key: str) -> bool:
    return _catalog()[0].match(key.upper())


def hosts_in(value: str) -> list[str]:
    """The hostnames a setting's value names (a host, a URL, a list of them)."""
    found = []
    for part in re.split(r"[\s,;]+", value.strip().lower()):
        match = _HOST.match(part.strip("'\"[]"))
        if match is not None:
            found.append(match.group(1))
    return found


def is_custom(host: str) -> bool:
    return not _catalog()[1].match(host) and not re.fullmatch(r"[\d.]+", host)


def _strings(node: ast.AST) -> list[str]:
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def _python_rows(module: PythonModule) -> list[tuple]:
    """(line, setting, host) for each host a host setting of the module names: assigned,
    passed by keyword, a dict or config entry, or the default of an environment read."""
    rows = []
    # Every string constant is looked at only in a module that names a .fly host at all.
    kinds: tuple[type, ...] = (ast.Assign, ast.AnnAssign, ast.Call, ast.Dict)
    if ".fly" in module.source.text:
        kinds += (ast.Constant,)
    for node in module.nodes(kinds):
        pairs: list[tuple[str, ast.AST]] = []
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = getattr(target, "id", None) or getattr(target, "attr", None)
                if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
                    name = target.slice.value
                if isinstance(name, str):
                    pairs.append((name, node.value))
        elif isinstance(node, ast.Call):
            pairs += [(k.arg, k.value) for k in node.keywords if k.arg]
            # os.environ.get("ALLOWED_HOSTS", "a.com"), env.list("ALLOWED_HOSTS", default=[...])
            if (
                node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                defaults = [*node.args[1:], *(k.value for k in node.keywords if k.arg == "default")]
                pairs += [(node.args[0].value, d) for d in defaults]
        elif isinstance(node, ast.Dict):
            pairs += [
                (k.value, v)
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            ]
        for name, value in pairs:
            # Settings are written in capitals (Django, Flask, env names); a lower-case
            # base_url or domain is a client's or a function's, about another host.
            if (name.isupper() or name.lower() in _DISTINCT) and is_host_key(name):
                line = getattr(value, "lineno", getattr(node, "lineno", 1))
                rows += [(line, name, host) for text in _strings(value) for host in hosts_in(text)]
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and ".fly" in node.value:
            rows += [
                (node.lineno, "", f"{m.group(1).lower()}.{m.group(2).lower()}")
                for m in _FLY_DEV.finditer(node.value)
            ]
    return rows


def _dockerfile_rows(text: str) -> list[tuple]:
    from pathlib import Path

    from flylint.diagnostics import FileKind
    from flylint.files.dockerfile import parse
    from flylint.files.reading import Source

    rows = []
    for _, setting in parse(Source(Path("Dockerfile"), FileKind.DOCKERFILE, text)).env():
        if not setting.value:
            continue
        if is_host_key(setting.key):
            rows += [(setting.span.line, setting.key, host) for host in hosts_in(setting.value)]
        else:  # a mention, which counts for the app it names only
            rows += [(setting.span.line, "", host) for host in _fly_dev_names(setting.value)]
    return rows


def _fly_dev_names(text: str) -> list[str]:
    return [
        f"{m.group(1).lower()}.fly.dev" for m in _FLY_DEV.finditer(text) if m.group(2) != "flycast"
    ]


def _docs_rows(text: str) -> list[tuple]:
    """The domains the docs add a certificate for, and every ``X.fly.dev`` they name (a
    setting name "" marks a mere mention: it counts only for the app named X)."""
    rows = []
    for match in _CERTS.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        rows.append((line, "fly certs add", match.group(1).lower().lstrip("*.")))
    for match in _FLY_DEV.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        rows.append((line, "", f"{match.group(1).lower()}.{match.group(2).lower()}"))
    for match in _PRIVATE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        end = text.find("\n", match.start())
        # Named by its flag alone: the rest of a command line can hold a build secret.
        if match.group(1):
            command = f"fly deploy {match.group(1)}"
        elif match.group(2) == "release":
            command = "fly ips release"
        else:
            command = "fly ips allocate-v6 --private"
        rows.append((line, f"private: {command}", _target(text, match.start(), end)))
    for match in _NO_PUBLIC_IP.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        # Named by the doc's place only: the sentence names no app a flag would.
        rows.append((line, "private: no public IP, as its docs say", ""))
    return rows


def _target(text: str, start: int, end: int) -> str:
    """The app a command at ``start`` of ``text`` is about, as the doc says: ``-a APP``,
    ``config:PATH`` (``-c PATH``), ``dir:PATH`` (the last ``cd PATH`` before it), or ""."""
    end = end if end >= 0 else len(text)
    named = _APP_FLAG.search(text, start, end)
    if named:
        return named.group(1)
    config = _CONFIG_FLAG.search(text, start, end)
    if config:
        return f"config:{config.group(1)}"
    moved = [m.group(1) for m in _CD.finditer(text, 0, start)]
    return f"dir:{moved[-1]}" if moved else ""


def names_app(target: str, app: App) -> bool:
    """Whether a command's ``target`` (``_target``) is ``app``: its name, its config's path
    or its config's directory (as the doc wrote them: from wherever the reader is)."""
    relative = app.relative
    if target.startswith("config:"):
        path = posixpath.normpath(target.removeprefix("config:"))
        return relative == path or relative.endswith("/" + path.lstrip("./"))
    if target.startswith("dir:"):
        wanted = posixpath.normpath(target.removeprefix("dir:")).strip("/")
        directory = posixpath.dirname(relative)
        return bool(directory) and (wanted == directory or wanted.endswith("/" + directory))
    return bool(target) and target == (app.name or "").lower()


# Shared: an app's address is also read from the apps that call it (private, evidence).
# The repository's own docs and workflows are read for every app: what they say counts
# for an app outside their build context only where they name it (``about``).
FACTS = (
    Producer("hostnames", PYTHON, _python_rows, hints=_HINTS, shared=True),
    Producer("hostnames", DOCKERFILE, _dockerfile_rows, shared=True),
    Producer("hostnames", TEXT, _docs_rows, paths=_DOCS, shared=True, everywhere=_DOCS),
)


def about(fact: Fact, app: App) -> bool:
    """Whether a row read for ``app`` may speak of it unnamed: it comes from a file of
    its build context (a doc beside its config), not from the repository's other docs."""
    return fact.resolved.startswith(app.inside)


def evidence(ctx: FlyTomlContext) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The app's hostnames the repository shows: (custom ones, *.fly.dev ones), each with
    where it is written. Its own config, Dockerfile, code and docs first; when they name
    none, the other apps of the repository that call it at its ``APP.fly.dev`` address."""
    custom: list[tuple[str, str]] = []
    fly_dev: list[tuple[str, str]] = []
    config = ctx.config
    env: Any = config.data.get("env")
    own = f"{(ctx.app.name or '').lower()}.fly.dev" if ctx.app and ctx.app.name else None
    rows = []
    for key, value in env.items() if isinstance(env, dict) else ():
        if not isinstance(value, str):
            continue
        where = f"{key} in [env] of {ctx.path.name}"
        if is_host_key(key):
            rows += [(where, host) for host in hosts_in(value)]
        elif own in _fly_dev_names(value):  # its own address, under any name
            rows.append((where, own))
    for fact in ctx.facts("hostnames"):
        line, setting, host = fact.row
        if setting.startswith("private:") or host.endswith(".flycast"):
            continue  # read by private_evidence
        # A mere mention of a fly.dev name tells the address only of the app it names; a
        # doc outside the app's build context, only such mentions.
        if host == own or (setting and ctx.app is not None and about(fact, ctx.app)):
            rows.append((f"{setting or 'named'} at {ctx.named(fact)}:{line}", host))
    for where, host in rows:
        if is_custom(host):
            custom.append((host, where))
        elif host == "fly.dev" or host.endswith(".fly.dev"):
            fly_dev.append((host, where))
    if not custom and not fly_dev and own is not None:
        fly_dev = [(own, where) for where in callers(ctx, own)[:1]]
    return custom, fly_dev


def callers(ctx: FlyTomlContext, address: str) -> list[str]:
    """Where the other apps of the repository call ``address`` (an ``APP.fly.dev``): their
    ``[env]``, the code they ship."""
    found = []
    for other in ctx.repository.apps:
        if other is ctx.app:
            continue
        if address in other.calls:
            found.append(f"[env] of {other.relative}")
        for fact in ctx.repository.facts(other, "hostnames"):
            line, setting, host = fact.row
            if host == address and not setting.startswith("private:"):
                found.append(f"{ctx.named(fact)}:{line}")
    return found
